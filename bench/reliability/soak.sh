#!/usr/bin/env bash
# Soak: steady load below capacity for DURATION seconds (default 600). Fails
# when any request goes unanswered, any is refused (429), the service's books
# disagree with the client's, or RSS grows more than MAX_RSS_GROWTH_MB
# (default 16) between the end of the warm-up (60 s) and the end.
#
#   bench/reliability/soak.sh            # DURATION=600 RATE=50 SERVICE_BIN=... PYTHON=...
#
# Each request fans out to 4 loopback URLs (two 2 KiB bodies, a 20 ms delay,
# a 64 KiB body): RATE 50/s = 200 fetches/s. Report: bench/results/soak.json.
source "$(dirname "$0")/common.sh"
duration=${DURATION:-600}
rate=${RATE:-50}
start_upstream
start_service --threads=2
b="http://127.0.0.1:$upstream_port"
timeout $((duration + 180)) "$PYTHON" "$root/bench/reliability/load.py" \
  --port "$service_port" --pid "$service_pid" \
  --urls "[\"$b/bytes?n=2048\",\"$b/bytes?n=2048&b\",\"$b/delay?ms=20\",\"$b/bytes?n=65536\"]" --concurrency 4 \
  --rate "$rate" --duration "$duration" --rss-every 10 --warmup "${WARMUP:-60}" --progress 60 --no-429 \
  --max-rss-growth-mb "${MAX_RSS_GROWTH_MB:-16}" --report "$out_dir/soak.json"
