#!/usr/bin/env bash
# Installs the Debian 12 packages asyncfetch needs to build and test, only the
# ones that are missing (run as root; apt-get update only when needed).
set -euo pipefail

packages=(
  build-essential g++ cmake pkg-config
  libboost1.81-dev libssl-dev nlohmann-json3-dev catch2 libcpp-httplib-dev
  libbenchmark-dev ca-certificates curl openssl python3
)
# Extra tools for the sanitizer and fuzz runs of the test script.
if [[ "${1:-}" == "--test" ]]; then
  packages+=(clang-14 libclang-rt-14-dev)
fi

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
