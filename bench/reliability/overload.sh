#!/usr/bin/env bash
# Overload: open-loop load far above capacity against a slow upstream, with a
# small max_queue. Expected: the excess gets fast 429s (their latency is
# reported and bounded), the admitted requests are answered, nothing is lost,
# and RSS stays flat instead of growing with the backlog.
#
#   bench/reliability/overload.sh        # DURATION=30 RATE=300 SERVICE_BIN=... PYTHON=...
#
# Capacity here: global_concurrency 16 fetches of 200 ms = 80 fetches/s =
# 20 requests/s of 4 URLs; RATE (default 300/s) is 15x that. Loopback only;
# bounded by `timeout`. Report: bench/results/overload.json.
source "$(dirname "$0")/common.sh"
duration=${DURATION:-30}
rate=${RATE:-300}
start_upstream
start_service --global_concurrency=16 --max_queue=16 --threads=2
u="http://127.0.0.1:$upstream_port/delay?ms=200"
timeout $((duration + 120)) "$PYTHON" "$root/bench/reliability/load.py" \
  --port "$service_port" --pid "$service_pid" --urls "[\"$u&a\",\"$u&b\",\"$u&c\",\"$u&d\"]" --concurrency 4 \
  --rate "$rate" --duration "$duration" --rss-every 1 --warmup 5 --progress 10 \
  --max-429-p99-ms "${MAX_429_P99_MS:-100}" --max-rss-growth-mb "${MAX_RSS_GROWTH_MB:-16}" \
  --report "$out_dir/overload.json"
