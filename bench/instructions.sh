#!/usr/bin/env bash
# User-space instructions per fetch of an asyncfetch binary, from
# valgrind --tool=callgrind: the service's total Ir for 5000 fetches minus that
# for 1000, divided by 4000 (start-up cancels out; fresh: 1000 minus 200). Deterministic, so it
# compares builds on a loaded machine. Needs bench/run.sh's Go tools
# (BUILD_DIR/bench-go/) and valgrind.
#   bench/instructions.sh [BINARY] [THREADS] [MODE]
#     default build-release/service/asyncfetch, 1, fetch
#   MODE fetch, batch, post, https, fresh or h2: see bench_mode.sh (S1, S1, S4, S5, S6, S7)
# CALLGRIND_KEEP=DIR keeps the callgrind output files there (for callgrind_annotate).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build-release/service/asyncfetch} threads=${2:-1} mode=${3:-fetch}
gobin=${BUILD_DIR:-build-release}/bench-go
command -v valgrind >/dev/null || { echo "instructions: valgrind not installed" >&2; exit 1; }
. bench/bench_mode.sh

total_ir() {  # fetches -> Ir of the whole service run
  local n=$1 sport out=$tmp/cg.$1
  sport=$(port)
  # shellcheck disable=SC2046  # service_args is a list of words
  timeout 600 valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" $(service_args "$sport") 2>/dev/null &
  local vg=$!
  for _ in $(seq 300); do curl -sf "localhost:$sport/readyz" >/dev/null && break; sleep 0.1; done
  timeout 200 "$gobin/afpost" -service "http://127.0.0.1:$sport/fetch" -url "$url" \
    -n "$n" "${client_args[@]}" >/dev/null
  kill -TERM $vg; wait $vg 2>/dev/null || true
  [[ -n "${CALLGRIND_KEEP:-}" ]] && mkdir -p "$CALLGRIND_KEEP" && cp "$out" "$CALLGRIND_KEEP/"
  awk '/^(summary|totals):/{print $2; exit}' "$out"
}
# A handshake per fetch makes fresh runs ~15x dearer under valgrind: fewer fetches.
lo=1000 hi=5000
[[ $mode == fresh ]] && lo=200 hi=1000
a=$(total_ir $lo)
b=$(total_ir $hi)
echo "$bin threads=$threads: $(( (b - a) / (hi - lo) )) instructions per $unit (user space)"
