# asyncfetch image: a build stage with Debian's -dev packages, and a runtime
# stage with only the shared libraries the binary needs and the CA store.
#   docker build -t asyncfetch .
#   docker run --rm -p 127.0.0.1:8080:8080 --read-only --cap-drop ALL asyncfetch
# BASE_IMAGE picks the Debian release: debian:trixie-slim (Debian 13, the
# default) or debian:bookworm-slim (Debian 12); scripts/setup.sh installs that
# release's packages. RUN_TESTS=1 also builds and runs every test of the
# normal build in the build stage (what CI's Debian 13 stage does), so the
# image ships the binary those tests ran against.
ARG BASE_IMAGE=debian:trixie-slim

# The packages come first, in layers of their own: a change to the sources
# reuses them, and docker/test.sh --prepare builds them while CI compiles.
FROM ${BASE_IMAGE} AS runtime-base
COPY scripts/setup.sh /tmp/setup.sh
RUN bash /tmp/setup.sh --runtime \
 && rm -rf /tmp/setup.sh /var/lib/apt/lists/* /var/cache/apt/* /var/log/* \
 && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin asyncfetch

FROM ${BASE_IMAGE} AS build-deps
COPY scripts/setup.sh /tmp/setup.sh
RUN bash /tmp/setup.sh && rm -rf /tmp/setup.sh /var/lib/apt/lists/*

FROM build-deps AS build
ARG RUN_TESTS=0
# docker/test.sh sets it anew for each test so that the tests run again
# instead of coming from the layer cache.
ARG TEST_RUN=
WORKDIR /src
COPY . .
RUN if [ "$RUN_TESTS" = 1 ]; then \
      SKIP_PROMETHEUS=1 SKIP_CLANG=1 SKIP_BENCH=1 SKIP_SANITIZERS=1 SKIP_FUZZ=1 SKIP_DOCKER=1 bash scripts/test.sh; \
    else \
      bash scripts/build.sh asyncfetch; \
    fi \
 && strip -o /asyncfetch build/service/asyncfetch

FROM runtime-base
COPY --from=build /asyncfetch /usr/local/bin/asyncfetch
# Configured through ASYNCFETCH_* variables (see docs/configuration.md). Inside
# a container the service listens on every interface; the egress policy still
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
