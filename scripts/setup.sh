#!/usr/bin/env bash
# Installs the Debian packages asyncfetch needs to build and test, only the
# ones that are missing (run as root; apt-get update only when needed).
# Debian 13 "trixie" and Debian 12 "bookworm" are supported: the same
# libraries, under each release's own package names.
#
#   scripts/setup.sh          what the build and the tests need
#   scripts/setup.sh --test   also the compilers of the extra test stages (clang)
#   scripts/setup.sh --runtime  only the shared libraries the built binary needs (the Docker image)
set -euo pipefail

# shellcheck disable=SC1091
release=$( . /etc/os-release 2>/dev/null && echo "${ID:-}:${VERSION_CODENAME:-}" )
# nghttp2-server (nghttpd) and golang-go (Go's net/http) are the integration tests' HTTP/2 upstreams.
common=(build-essential g++ cmake pkg-config libssl-dev nlohmann-json3-dev catch2 libcpp-httplib-dev
        zlib1g-dev libbrotli-dev libzstd-dev libnghttp2-dev nghttp2-server golang-go libbenchmark-dev
        ca-certificates curl openssl python3 python3-yaml)
case "$release" in
  debian:trixie)
    packages=("${common[@]}" libboost-dev)      # Boost 1.83, Catch2 v3, cpp-httplib 0.18
    clang_packages=(clang-19 libclang-rt-19-dev)
    runtime_packages=(libssl3t64 zlib1g libbrotli1 libzstd1 libnghttp2-14 ca-certificates)
    ;;
  debian:bookworm)
    packages=("${common[@]}" libboost1.81-dev)  # Boost 1.81, Catch2 v2, cpp-httplib 0.11
    clang_packages=(clang-14 libclang-rt-14-dev)
    runtime_packages=(libssl3 zlib1g libbrotli1 libzstd1 libnghttp2-14 ca-certificates)
    ;;
  *)
    echo "setup: this is '${release:-an unknown system}'; asyncfetch's scripts support Debian 13 (trixie) and" >&2
    echo "setup: Debian 12 (bookworm). Elsewhere, install by hand: a C++20 compiler (g++ >= 12), CMake >= 3.25," >&2
    echo "setup: Boost >= 1.81 (Asio, Beast), OpenSSL, nlohmann_json 3, and for the tests Catch2 v2 or v3 and" >&2
    echo "setup: cpp-httplib; then build with cmake (see README.md)." >&2
    exit 1
    ;;
esac
case "${1:-}" in
  --test) packages+=("${clang_packages[@]}") ;;
  --runtime) packages=("${runtime_packages[@]}") ;;
  "") ;;
  *) echo "setup: unknown option '$1' (--test, --runtime)" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: missing packages and not root; run: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all packages present"
fi
