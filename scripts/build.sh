#!/usr/bin/env bash
# Installs what is missing and builds asyncfetch in build/ (RelWithDebInfo: -O2 -g1): the tree
# scripts/serve.sh starts and scripts/test.sh tests, so whichever runs second
# builds only what the first did not.
#
#   scripts/build.sh [-DOPTION=VALUE...] [target...]   default: every target
#
# Options already in build/'s CMake cache (such as the test script's
# -DASYNCFETCH_WERROR=ON) are kept.
set -euo pipefail
cd "$(dirname "$0")/.."

options=()
targets=()
for a in "$@"; do
  if [[ $a == -D* ]]; then options+=("$a"); else targets+=(--target "$a"); fi
done
bash scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo "${options[@]}" > /dev/null
cmake --build build -j"${JOBS:-2}" "${targets[@]}"
