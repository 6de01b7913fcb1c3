# asyncfetch image: a build stage with Debian's -dev packages, and a runtime
# stage with only the shared libraries the binary needs and the CA store.
#   docker build -t asyncfetch .
#   docker run --rm -p 127.0.0.1:8080:8080 --read-only --cap-drop ALL asyncfetch
# BASE_IMAGE may name any Debian 12 image (the tests build one locally).
ARG BASE_IMAGE=debian:bookworm-slim

FROM ${BASE_IMAGE} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      g++ cmake make pkg-config libboost1.81-dev libssl-dev nlohmann-json3-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY runtime runtime
COPY config config
COPY service service
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DASYNCFETCH_BUILD_TESTS=OFF \
      -DASYNCFETCH_BUILD_EXAMPLES=OFF -DASYNCFETCH_BUILD_BENCH=OFF \
 && cmake --build build -j"$(nproc)" --target asyncfetch \
 && strip build/service/asyncfetch

FROM ${BASE_IMAGE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libssl3 ca-certificates \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/* \
 && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin asyncfetch
COPY --from=build /src/build/service/asyncfetch /usr/local/bin/asyncfetch
# Configured through ASYNCFETCH_* variables (see config/README.md). Inside a
# container the service listens on every interface; the egress policy still
# denies every internal range unless ASYNCFETCH_ALLOW_CIDRS opens one.
# drain_timeout_ms stays under docker stop's 10 s grace period.
ENV ASYNCFETCH_LISTEN_ADDRESS=0.0.0.0 \
    ASYNCFETCH_PORT=8080 \
    ASYNCFETCH_DRAIN_TIMEOUT_MS=8000
USER 10001
WORKDIR /
EXPOSE 8080
HEALTHCHECK --interval=5s --timeout=3s --start-period=5s --retries=3 \
  CMD ["/usr/local/bin/asyncfetch", "--health-check"]
# docker stop sends SIGTERM: the service drains (drain_timeout_ms) and exits 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/asyncfetch"]
