#!/usr/bin/env bash
# Installs what is missing, builds asyncfetch (Release) and starts it on the
# default config (config/asyncfetch.json: 127.0.0.1:8080). Extra arguments are
# passed to the service, e.g. `bash scripts/serve.sh --port 9090`.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DASYNCFETCH_BUILD_EXAMPLES=OFF \
      -DASYNCFETCH_BUILD_BENCH=OFF > /dev/null
cmake --build build-release -j2 --target asyncfetch
exec ./build-release/service/asyncfetch --config config/asyncfetch.json "$@"
