#!/usr/bin/env bash
# User-space instructions per fetch of an asyncfetch binary, from
# valgrind --tool=callgrind: the service's total Ir for 5000 fetches minus that
# for 1000, divided by 4000 (start-up cancels out). Deterministic, so it
# compares builds on a loaded machine. Needs bench/run.sh's Go tools
# (BUILD_DIR/bench-go/) and valgrind.
#   bench/instructions.sh [BINARY] [THREADS] [MODE]
#     default build-release/service/asyncfetch, 1, fetch
#   MODE fetch: one POST /fetch carrying all the URLs (S1's cost per fetch)
#   MODE batch: 64 clients each POSTing batches of 100 URLs, concurrency 1 (S1's other mode, per fetch)
#   MODE post:  64 clients each POSTing 1-URL /fetch requests (S4's cost per request)
#   MODE https: as fetch, from a TLS 1.3 origin over HTTP/1.1 keep-alive (S5's cost per fetch;
#               the certificates from bench/tls_certs.sh in BUILD_DIR/bench-tls/)
# CALLGRIND_KEEP=DIR keeps the callgrind output files there (for callgrind_annotate).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build-release/service/asyncfetch} threads=${2:-1} mode=${3:-fetch}
gobin=${BUILD_DIR:-build-release}/bench-go
command -v valgrind >/dev/null || { echo "instructions: valgrind not installed" >&2; exit 1; }
case $mode in
  fetch) client_args=(-concurrency 64) unit="fetch" ;;
  batch) client_args=(-clients 64 -batch 100 -concurrency 1) unit="fetch in batches of 100" ;;
  post) client_args=(-clients 64 -batch 1 -concurrency 1) unit="1-URL POST" ;;
  https) client_args=(-concurrency 64) unit="https fetch" ;;
  *) echo "instructions: MODE is fetch, batch, post or https, not $mode" >&2; exit 2 ;;
esac
port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
tmp=$(mktemp -d)
uport=$(port)
url="http://127.0.0.1:$uport/bytes?n=1024" service_tls=()
if [[ $mode == https ]]; then
  tls=${BUILD_DIR:-build-release}/bench-tls
  bench/tls_certs.sh "$tls"
  # The TLS origin is an extra listener (-origins 1); its port is in /stats.
  "$gobin/upstream" -listen "127.0.0.1:$uport" -origins 1 -cert "$tls/server.pem" -key "$tls/server.key" \
    -h2=false 2>/dev/null & up=$!
  service_tls=(--ca_file="$tls/ca.pem")
else
  "$gobin/upstream" -listen "127.0.0.1:$uport" 2>/dev/null & up=$!
fi
trap 'kill $up 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
if [[ $mode == https ]]; then
  for _ in $(seq 100); do curl -sf "127.0.0.1:$uport/stats" >/dev/null && break; sleep 0.1; done
  oport=$(curl -sf "127.0.0.1:$uport/stats" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["origins"][0]["port"])')
  url="https://127.0.0.1:$oport/bytes?n=1024"
fi

total_ir() {  # fetches -> Ir of the whole service run
  local n=$1 sport out=$tmp/cg.$1
  sport=$(port)
  timeout 300 valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" --config= --port="$sport" \
    --threads="$threads" --allow_cidrs=127.0.0.0/8 --log_level=warn --global_concurrency=64 \
    --max_concurrency_per_request=64 --max_urls_per_request=100000 --max_request_bytes=67108864 \
    --max_queue=100000 --drain_timeout_ms=0 "${service_tls[@]}" 2>/dev/null & local vg=$!
  for _ in $(seq 300); do curl -sf "localhost:$sport/readyz" >/dev/null && break; sleep 0.1; done
  timeout 200 "$gobin/afpost" -service "http://127.0.0.1:$sport/fetch" -url "$url" \
    -n "$n" "${client_args[@]}" >/dev/null
  kill -TERM $vg; wait $vg 2>/dev/null || true
  [[ -n "${CALLGRIND_KEEP:-}" ]] && mkdir -p "$CALLGRIND_KEEP" && cp "$out" "$CALLGRIND_KEEP/"
  awk '/^(summary|totals):/{print $2; exit}' "$out"
}
a=$(total_ir 1000)
b=$(total_ir 5000)
echo "$bin threads=$threads: $(( (b - a) / 4000 )) instructions per $unit (user space)"
