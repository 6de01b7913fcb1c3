#!/usr/bin/env bash
# Installs what is missing, builds asyncfetch (scripts/build.sh: RelWithDebInfo, in
# build/) and starts it on the default config (config/asyncfetch.json:
# 127.0.0.1:8080). Extra arguments are passed to the service, e.g.
# `bash scripts/serve.sh --port 9090`.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/build.sh asyncfetch
exec ./build/service/asyncfetch --config config/asyncfetch.json "$@"
