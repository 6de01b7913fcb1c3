#!/usr/bin/env bash
# Builds the libFuzzer targets with clang-14 into build-fuzz/ (next to fuzz/).
# Not part of the CMake/g++ build: each target is its own program, compiled
# from the service/config sources it needs. Asio and Beast are used header-only
# here (no *_SEPARATE_COMPILATION macros, no asio_impl.cpp/beast_impl.cpp):
# consistent within each program, and nothing from the runtime library is linked.
#
#   fuzz/build.sh [target...]     default: every target; JOBS (default 2) at a time
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
out="${BUILD_FUZZ_DIR:-$root/build-fuzz}"
CXX="${CXX_FUZZ:-clang++-14}"
mkdir -p "$out"
# shellcheck source=in_parallel.sh
source "$here/in_parallel.sh"

flags=(-std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -Wall -Wextra -Wno-unused-parameter
       -I"$root/service/wire/include" -I"$root/config/include" -I"$root/runtime/include")

declare -A sources=(
  [fetch_request_fuzz]="service/wire/src/fetch_request.cpp service/wire/src/fetch_error.cpp service/wire/src/result_json.cpp
                       service/wire/src/url.cpp service/wire/src/credentials.cpp"
  [url_egress_fuzz]="service/wire/src/url.cpp service/wire/src/credentials.cpp service/wire/src/cidr.cpp
                    service/wire/src/egress_policy.cpp"
  [config_fuzz]="config/src/config.cpp service/wire/src/cidr.cpp service/wire/src/url.cpp
                 service/wire/src/credentials.cpp service/wire/src/proxy.cpp"
  [http_response_fuzz]="service/wire/src/url.cpp service/wire/src/credentials.cpp service/wire/src/content_coding.cpp
                        service/wire/src/content_decoder.cpp service/wire/src/memory_meter.cpp
                        service/wire/src/zlib_codec.cpp service/wire/src/brotli_codec.cpp service/wire/src/zstd_codec.cpp"
  [content_decoder_fuzz]="service/wire/src/content_coding.cpp service/wire/src/content_decoder.cpp
                          service/wire/src/memory_meter.cpp service/wire/src/zlib_codec.cpp
                          service/wire/src/brotli_codec.cpp service/wire/src/zstd_codec.cpp"
  [trace_context_fuzz]="service/wire/src/trace_context.cpp service/wire/src/request_id.cpp
                        service/wire/src/random_bytes.cpp"
  [h2_response_fuzz]="service/fetch/src/h2/session.cpp service/wire/src/content_coding.cpp
                      service/wire/src/content_decoder.cpp service/wire/src/memory_meter.cpp
                      service/wire/src/zlib_codec.cpp service/wire/src/brotli_codec.cpp service/wire/src/zstd_codec.cpp"
  [connect_answer_fuzz]="service/wire/src/connect_answer.cpp"
)
# service/wire/src/beast_impl.cpp routes Beast's assertions to a handler that lets one
# known-false assertion pass (beast_assertion_handler.hpp); this target uses it too.
declare -A extra=(
  [http_response_fuzz]="-DBOOST_ENABLE_ASSERT_DEBUG_HANDLER -I$root/service/wire/src -I$root/service/fetch/src"
  [h2_response_fuzz]="-I$root/service/fetch/src"
)
# Libraries, linked after the sources.
declare -A libs=(
  [content_decoder_fuzz]="-lz -lbrotlidec -lzstd"
  [h2_response_fuzz]="-lnghttp2 -lz -lbrotlidec -lzstd"
  [fetch_request_fuzz]="-lcrypto"
  [config_fuzz]="-lcrypto"
  [url_egress_fuzz]="-lcrypto"
  [http_response_fuzz]="-lcrypto -lz -lbrotlidec -lzstd"
)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(fetch_request_fuzz url_egress_fuzz config_fuzz http_response_fuzz
                                     content_decoder_fuzz trace_context_fuzz h2_response_fuzz connect_answer_fuzz)

# One target per compiler run, JOBS of them at a time (default 2: one per core).
build_one() {
  local t=$1 srcs=("$here/$1.cpp") s
  for s in ${sources[$t]}; do srcs+=("$root/$s"); done
  # Up to date when no source or header it may include is newer than the binary.
  if [ -x "$out/$t" ] && [ -z "$(find "$here/$t.cpp" "$here"/*.hpp "$root/service" "$root/config/src" \
        "$root/config/include" "$root/runtime/include" -newer "$out/$t" -print -quit)" ]; then
    echo "up to date: $out/$t" >&2
    return 0
  fi
  echo "building $out/$t" >&2
  "$CXX" "${flags[@]}" ${extra[$t]:-} "${srcs[@]}" -o "$out/$t" ${libs[$t]:-} -lpthread
}
for t in "${targets[@]}"; do
  [ -n "${sources[$t]+x}" ] || { echo "unknown target: $t" >&2; exit 2; }
done
in_parallel "${JOBS:-2}" build_one "${targets[@]}"
