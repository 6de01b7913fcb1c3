# Shared by overload.sh, soak.sh and soak_mixed.sh (sourced): the binary, a loopback
# upstream, the service on a free loopback port, clean-up of exactly the
# processes started here.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
if [[ -z "${PYTHON:-}" ]]; then
  if [[ -x /usr/bin/python3 ]]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
fi
out_dir="$root/bench/results"
mkdir -p "$out_dir"
tmp="$(mktemp -d)"
upstream_pid=""
service_pid=""
other_pids=()  # more processes a script started (its own upstreams, a proxy)
cleanup() {
  for pid in "${other_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [[ -n "$service_pid" ]] && kill "$service_pid" 2>/dev/null || true
  [[ -n "$upstream_pid" ]] && kill "$upstream_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# SERVICE_BIN names a built binary (not ASYNCFETCH_*: the service reads those as config); else build-bench/ (Release, only that target).
binary() {
  if [[ -n "${SERVICE_BIN:-}" ]]; then echo "$SERVICE_BIN"; return; fi
  local dir="$root/build-bench"
  if [[ ! -f "$dir/CMakeCache.txt" ]]; then
    cmake -S "$root" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DASYNCFETCH_BUILD_EXAMPLES=OFF >&2
  fi
  cmake --build "$dir" -j"${JOBS:-2}" --target asyncfetch >&2
  echo "$dir/service/asyncfetch"
}

start_upstream() {
  "$PYTHON" "$root/bench/reliability/upstream.py" "$tmp/upstream.port" &
  upstream_pid=$!
  for _ in $(seq 100); do [[ -s "$tmp/upstream.port" ]] && break; sleep 0.05; done
  upstream_port=$(cat "$tmp/upstream.port")
}

# start_service FLAGS...: on a loopback port that was free a moment ago.
start_service() {
  local bin; bin=$(binary)
  service_port=$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "$bin" --config= --listen_address 127.0.0.1 --port "$service_port" --allow_cidrs=127.0.0.0/8 \
    --log_level warn "$@" 2>"$tmp/service.log" &
  service_pid=$!
  for _ in $(seq 200); do
    curl -fs "http://127.0.0.1:$service_port/readyz" >/dev/null 2>&1 && break
    kill -0 "$service_pid" 2>/dev/null || { echo "service exited:"; cat "$tmp/service.log"; exit 1; }
    sleep 0.05
  done
  echo "service pid $service_pid on 127.0.0.1:$service_port ($bin $*)"
}

service_log() { cat "$tmp/service.log"; }
