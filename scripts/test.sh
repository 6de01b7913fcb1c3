#!/usr/bin/env bash
# Installs what is missing, builds everything and runs every test, in this order:
#   1. the normal build (scripts/build.sh: RelWithDebInfo in build/, warnings are errors):
#      all unit, integration and example tests;
#   2. the Prometheus rules: promtool check rules and test rules (docker/prometheus/test_rules.sh);
#   3. the runtime with clang (14 on Debian 12, 19 on Debian 13; warnings are errors) on its
#      public-API path under ASan: its tests and the tutorial examples;
#   4. a smoke run of the peer benchmark (bench/run.sh --smoke: S1 and S7 (HTTP/2) at small N,
#      asyncfetch and wrk, on the binary of stage 1; fails only on a correctness check);
#   5. AddressSanitizer + UndefinedBehaviorSanitizer build: the test suites again;
#   6. ThreadSanitizer build: the test suites again (the service runs with 2 threads), and
#      the runtime's tests once more on its public-API path;
#   7. short fuzz runs, when fuzz/run.sh exists;
#   8. the Docker test (docker/test.sh, which says itself when it skips; its downloads
#      run beside the stages before, docker/test.sh --prepare): the image
#      built on Debian 13 with stage 1 run inside it (so Debian 13 builds and passes
#      every test too), then the container and the scale-out compose checked.
# Set SKIP_PROMETHEUS=1, SKIP_SANITIZERS=1, SKIP_CLANG=1, SKIP_BENCH=1, SKIP_FUZZ=1 or SKIP_DOCKER=1 to leave a stage out locally.
set -uo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
jobs=${JOBS:-2}
failed_stages=()
passed_stages=()

stage() {  # name, command...
  local name=$1; shift
  local t0=$(date +%s)
  echo
  echo "=== $name"
  if "$@"; then
    passed_stages+=("$name")
    echo "=== $name: ok ($(( $(date +%s) - t0 )) s)"
  else
    failed_stages+=("$name")
    echo "=== $name: FAILED ($(( $(date +%s) - t0 )) s)"
  fi
}

build_and_test() {  # build dir, extra cmake args...
  local dir=$1; shift
  cmake -S . -B "$dir" "$@" > /dev/null &&
  cmake --build "$dir" -j"$jobs" &&
  run_tests "$dir"
}
run_tests() {  # build dir, extra ctest args...
  local dir=$1; shift
  (cd "$dir" && ctest --output-on-failure -j"$jobs" --timeout 300 "$@")
}
normal_build() {
  JOBS=$jobs bash scripts/build.sh -DASYNCFETCH_WERROR=ON && run_tests build
}

# shellcheck disable=SC1091
case "$( . /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}" )" in
  trixie) clang_version=19 ;;
  *) clang_version=14 ;;
esac
export CXX_FUZZ=${CXX_FUZZ:-clang++-$clang_version}

# The runtime is a library of its own, so it is also built with clang (the
# compiler of the fuzz stage), on its public-API path (runtime/detail/asio_path.hpp:
# the fallback for a Boost the fast path was not written for), under ASan (not
# UBSan: clang 14 cannot compile coroutines with it, LLVM issue 49689): only its tests and the examples, which is all that includes it apart from the
# service. Catch2 registers a placeholder test for each test program not built,
# and the ops tests need the service: those are left out. (The tsan stage runs
# the runtime's tests on this path under TSan.)
clang_runtime() {
  CC=clang-$clang_version CXX=clang++-$clang_version cmake -S . -B build-ci-clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DASYNCFETCH_WERROR=ON -DASYNCFETCH_BUILD_BENCH=OFF -DASYNCFETCH_ASIO_FAST_PATH=OFF \
    "-DCMAKE_CXX_FLAGS=-fsanitize=address -fno-omit-frame-pointer" -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=address \
    > /dev/null &&
  cmake --build build-ci-clang -j"$jobs" --target runtime_tests examples_tests &&
  (cd build-ci-clang && ctest --output-on-failure -j"$jobs" --timeout 300 -E '_NOT_BUILT|^ops\.')
}
# The runtime's tests on the public-API path under TSan (the normal and
# sanitizer builds above take the fast path).
tsan_runtime_public() {
  cmake -S . -B build-ci-tsan-public -DCMAKE_BUILD_TYPE=Debug -DASYNCFETCH_SANITIZE=thread \
    -DASYNCFETCH_ASIO_FAST_PATH=OFF -DASYNCFETCH_BUILD_EXAMPLES=OFF -DASYNCFETCH_BUILD_BENCH=OFF \
    -DCMAKE_CXX_FLAGS_DEBUG="-g1 -O1" > /dev/null &&
  cmake --build build-ci-tsan-public -j"$jobs" --target runtime_tests &&
  (cd build-ci-tsan-public && ctest --output-on-failure -j"$jobs" --timeout 300 -E '_NOT_BUILT|^ops\.')
}

# clang only when a stage needs it.
if [[ -z "${SKIP_CLANG:-}" || -z "${SKIP_FUZZ:-}" ]]; then
  bash scripts/setup.sh --test || exit 1
else
  bash scripts/setup.sh || exit 1
fi

# The Docker stage's downloads (the base image, the images' package layers)
# need no build: they run beside the first stages, at low priority, and the
# Docker stage waits for them. Its host packages come first, so that no other
# apt-get runs meanwhile.
docker_prepare=""
if [[ -z "${SKIP_DOCKER:-}" && -f docker/test.sh ]]; then
  mkdir -p build
  bash docker/test.sh --install
  nice -n 19 bash docker/test.sh --prepare > build/docker-prepare.log 2>&1 &
  docker_prepare=$!
fi

# Warnings are errors in the normal build. The sanitizer builds leave them as
# warnings: GCC 12 raises false -Wmaybe-uninitialized alarms inside libstdc++
# (std::regex, std::function) once the sanitizers are on.
stage "build + tests" normal_build

if [[ -z "${SKIP_PROMETHEUS:-}" ]]; then
  stage "prometheus rules" bash docker/prometheus/test_rules.sh
fi

if [[ -z "${SKIP_CLANG:-}" ]]; then
  stage "clang runtime" clang_runtime
fi

if [[ -z "${SKIP_BENCH:-}" ]]; then
  stage "bench smoke" env BENCH_ASYNCFETCH=build/service/asyncfetch BUILD_DIR=build bash bench/run.sh --smoke
fi

if [[ -z "${SKIP_SANITIZERS:-}" ]]; then
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
  export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
  export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tests/tsan.supp"
  stage "asan+ubsan" build_and_test build-ci-asan -DCMAKE_BUILD_TYPE=Debug -DASYNCFETCH_SANITIZE=address \
        -DASYNCFETCH_BUILD_EXAMPLES=OFF -DASYNCFETCH_BUILD_BENCH=OFF -DCMAKE_CXX_FLAGS_DEBUG="-g1 -O1"
  stage "tsan" build_and_test build-ci-tsan -DCMAKE_BUILD_TYPE=Debug -DASYNCFETCH_SANITIZE=thread \
        -DASYNCFETCH_BUILD_EXAMPLES=OFF -DASYNCFETCH_BUILD_BENCH=OFF -DCMAKE_CXX_FLAGS_DEBUG="-g1 -O1"
  stage "tsan, runtime on the public-API path" tsan_runtime_public
fi
if [[ -z "${SKIP_FUZZ:-}" && -x fuzz/run.sh ]]; then
  stage "fuzz" bash fuzz/run.sh "${FUZZ_SECONDS:-60}"
fi
if [[ -z "${SKIP_DOCKER:-}" && -f docker/test.sh ]]; then
  if [[ -n $docker_prepare ]]; then
    wait "$docker_prepare" || echo "docker prepare failed (the Docker stage does it itself):"
    sed 's/^/  /' build/docker-prepare.log
  fi
  stage "docker" bash docker/test.sh
fi

echo
echo "stages passed: ${passed_stages[*]:-none}"
echo "stages failed: ${failed_stages[*]:-none}"
echo "total time: $(( $(date +%s) - start )) s"
echo "${#passed_stages[@]} passed, ${#failed_stages[@]} failed"
[[ ${#failed_stages[@]} -eq 0 ]]
