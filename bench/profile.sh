#!/usr/bin/env bash
# Profiles asyncfetch in S1 (one POST of N=20000 fetches of 1 KiB, C=64) with
# perf (cpu-clock sampling, DWARF call graphs) and writes a flame graph and the
# top functions to bench/results/. Needs bench/run.sh to have built the tools
# (build-release/, build-release/bench-go/) and Debian's linux-perf.
#   bench/profile.sh            THREADS=2 N=20000
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build-release}
bin=$build/service/asyncfetch gobin=$build/bench-go
threads=${THREADS:-2} n=${N:-20000}
command -v perf >/dev/null || { echo "profile: perf not installed (apt-get install linux-perf)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'kill $svc $up 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
uport=$(port) sport=$(port)
"$gobin/upstream" -listen "127.0.0.1:$uport" 2>/dev/null & up=$!
"$bin" --config= --port="$sport" --threads="$threads" --allow_cidrs=127.0.0.0/8 --log_level=warn \
  --global_concurrency=64 --max_concurrency_per_request=64 --max_urls_per_request=100000 \
  --max_request_bytes=67108864 --max_queue=100000 2>/dev/null & svc=$!
for _ in $(seq 100); do curl -sf "localhost:$sport/readyz" >/dev/null && break; sleep 0.1; done
post() { timeout 60 "$gobin/afpost" -service "http://127.0.0.1:$sport/fetch" -url "http://127.0.0.1:$uport/bytes?n=1024" -n "$n" -concurrency 64; }
post >/dev/null  # warm: connections pooled, allocator grown
timeout 120 perf record -e cpu-clock -F 1999 --call-graph dwarf,8192 -p "$svc" -o "$tmp/perf.data" 2>/dev/null & rec=$!
sleep 0.3
for _ in 1 2 3; do post; done
kill -INT $rec; wait $rec || true
timeout 300 perf script -i "$tmp/perf.data" -F comm,tid,ip,sym,dso 2>/dev/null |
  /usr/bin/python3 bench/flamegraph.py --binary "$bin" --svg bench/results/s1-flamegraph.svg \
    --title "asyncfetch S1: 3 POSTs of $n fetches, C=64, threads=$threads (perf cpu-clock, DWARF)" --top 40 |
  tee bench/results/s1-profile-top.txt
echo "profile: bench/results/s1-flamegraph.svg, bench/results/s1-profile-top.txt"
