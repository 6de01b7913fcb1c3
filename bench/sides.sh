#!/usr/bin/env bash
# Both sides of a run, the service running natively: for N fetches of MODE
# (bench_mode.sh), the service's and the upstream's CPU per 1000 fetches (from
# /proc/PID/stat), and per fetch their syscalls and the packets they put on
# loopback (perf stat on syscall and net_dev_xmit tracepoints; root). What the
# service's framing and batching cost the upstream shows here, not in the
# service's own instruction count. CPU and rate are wall-clock figures, noisy on
# a shared machine; the syscall and packet counts much less so.
#   bench/sides.sh [BINARY] [THREADS] [MODE]    default build-release/service/asyncfetch, 1, h2
#   N (default 20000; fresh 2000), ROUNDS (default 3): a line per round.
#   PEER=go: Go's net/http client (bench/peers/gofetch, the options run.sh gives it in that
#   scenario) in the service's place, to compare what each makes the upstream do.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build-release/service/asyncfetch} threads=${2:-1} mode=${3:-h2}
gobin=${BUILD_DIR:-build-release}/bench-go
command -v perf >/dev/null || { echo "sides: perf not installed (linux-perf)" >&2; exit 1; }
. bench/bench_mode.sh
n=${N:-$([[ $mode == fresh ]] && echo 2000 || echo 20000)}
events=raw_syscalls:sys_enter,syscalls:sys_enter_read,syscalls:sys_enter_write,syscalls:sys_enter_recvmsg
events+=,syscalls:sys_enter_sendmsg,syscalls:sys_enter_recvfrom,syscalls:sys_enter_sendto
events+=,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_futex,net:net_dev_xmit,task-clock
tick=$(getconf CLK_TCK)
cpu() { awk -v t="$tick" '{sub(/.*\) /, ""); print ($12 + $13) / t}' "/proc/$1/stat"; }
# perf's CSV (count,,event,...) -> "name=count/n ..." for the events that occurred
per_fetch() {
  awk -F, -v n="$n" '$1 ~ /^[0-9.]+$/ && $1 > 0 {
    e = $3; sub(/.*:(sys_enter_)?/, "", e); if (e == "sys_enter") e = "syscalls"; if (e == "net_dev_xmit") e = "packets"
    if (e == "task-clock") printf "CPU %.1f us  ", $1 * 1000 / n; else printf "%s %.2f  ", e, $1 / n }' "$1"
}

echo "sides: $bin threads=$threads mode=$mode N=$n ($unit)"
go_args=(-url "$url" -n "$n" -c "$c")
[[ -n $tls ]] && go_args+=(-ca "$tls/ca.pem")
[[ $mode == h2 ]] && go_args+=(-h2)
[[ $mode == fresh ]] && go_args+=(-no-keepalive)
[[ ${PEER:-} == go ]] && echo "sides: the client is gofetch ${go_args[*]}"
for round in $(seq "${ROUNDS:-3}"); do
  curl -sf "127.0.0.1:$uport/reset" >/dev/null
  if [[ ${PEER:-} == go ]]; then
    # Stopped at its start, so that perf is attached before its first request.
    bash -c 'kill -STOP $$; exec "$0" "$@"' "$gobin/gofetch" "${go_args[@]}" >"$tmp/result" & svc=$!
    sleep 0.2
    perf stat -x, -e "$events" -p "$svc" -o "$tmp/svc.csv" & ps=$!
    perf stat -x, -e "$events" -p "$up" -o "$tmp/up.csv" & pu=$!
    sleep 0.3
    u0=$(cpu $up) t0=$(date +%s.%N)
    kill -CONT $svc; wait $svc
    t1=$(date +%s.%N) u1=$(cpu $up)
    wait $ps 2>/dev/null || true  # perf ends with its target
    kill -INT $pu; wait $pu 2>/dev/null || true
    conns=$(curl -sf "127.0.0.1:$uport/stats" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["accepted"] - 1)')
    awk -v n="$n" -v t0="$t0" -v t1="$t1" -v u="$(echo "$u1 - $u0" | bc)" -v r="$round" -v k="$conns" \
        -v ok="$(cat "$tmp/result")" 'BEGIN {
      printf "round %d: %.0f fetches/s (gofetch %s); CPU s per 1000 fetches: upstream %.4f; upstream connections %d\n",
        r, n / (t1 - t0), ok, u / n * 1000, k }'
    echo "  client per fetch:   $(per_fetch "$tmp/svc.csv")"
    echo "  upstream per fetch: $(per_fetch "$tmp/up.csv")"
    continue
  fi
  sport=$(port)
  # shellcheck disable=SC2046  # service_args is a list of words
  "$bin" $(service_args "$sport") 2>/dev/null & svc=$!
  for _ in $(seq 300); do curl -sf "localhost:$sport/readyz" >/dev/null && break; sleep 0.1; done
  curl -sf "127.0.0.1:$uport/reset" >/dev/null
  s0=$(cpu $svc) u0=$(cpu $up)
  perf stat -x, -e "$events" -p "$svc" -o "$tmp/svc.csv" & ps=$!
  perf stat -x, -e "$events" -p "$up" -o "$tmp/up.csv" & pu=$!
  sleep 0.3  # perf attached
  t0=$(date +%s.%N)
  timeout 200 "$gobin/afpost" -service "http://127.0.0.1:$sport/fetch" -url "$url" \
    -n "$n" "${client_args[@]}" >"$tmp/result"
  t1=$(date +%s.%N)
  s1=$(cpu $svc) u1=$(cpu $up)
  kill -INT $ps $pu; wait $ps $pu 2>/dev/null || true
  conns=$(curl -sf "127.0.0.1:$uport/stats" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["accepted"] - 1)')
  kill -TERM $svc; wait $svc 2>/dev/null || true
  awk -v n="$n" -v t0="$t0" -v t1="$t1" -v s="$(echo "$s1 - $s0" | bc)" -v u="$(echo "$u1 - $u0" | bc)" \
      -v r="$round" -v k="$conns" -v ok="$(cat "$tmp/result")" 'BEGIN {
    printf "round %d: %.0f fetches/s (wall incl. the POST: afpost %s); CPU s per 1000 fetches: service %.4f, upstream %.4f; upstream connections %d\n",
      r, n / (t1 - t0), ok, s / n * 1000, u / n * 1000, k }'
  echo "  service per fetch:  $(per_fetch "$tmp/svc.csv")"
  echo "  upstream per fetch: $(per_fetch "$tmp/up.csv")"
done
