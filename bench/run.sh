#!/usr/bin/env bash
# asyncfetch against its peers (wrk, Go net/http, curl --parallel, aiohttp,
# Node fetch) on loopback: S1 throughput, S2 latency-bound, S3 many slow, S4
# request overhead, threads=1 vs 2, S5 https keep-alive, S6 https with a fresh
# connection per fetch, S7 HTTP/2, S8 many hosts under a per-host cap.
# Installs the Debian packages it needs (as root), builds asyncfetch (Release,
# build-release/) and the Go tools (standard library only), makes a throwaway
# test CA (S5-S7), runs everything under timeouts and writes the table to
# bench/results/peers-<date>.md and stdout.
#
#   bench/run.sh            the full run: 3 rounds (~8 min each on 2 cores, each bounded at 20)
#   bench/run.sh --smoke    S1 and S7 at N=2000, asyncfetch and wrk only (< 1 min after the build); exit 1 if a check fails
#
# Env: BENCH_ASYNCFETCH (an asyncfetch already built, e.g. CI's build/service/asyncfetch: no
# Release build then), N (S1, S5, S7, S8 fetches, default 20000; S6 takes at most 2000), THREADS (service io threads to compare, default 1,2; S2 and S4 use the first),
# SCENARIOS (default S1,S2,S3,S4,scaling,S5,S6,S7,S8), ROUNDS (default 3: the table shows each row's
# median round, the targets their median ratio), BUILD_DIR (default build-release), JOBS (2),
# RESULTS (the table's file, default bench/results/peers-<date>.md).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
smoke=0
[[ "${1:-}" == "--smoke" ]] && smoke=1

# Packages: only the missing ones, as scripts/setup.sh does; the full run's
# peers are optional (a missing one is skipped with a line saying so).
need=(wrk golang-go python3)
((smoke)) || need+=(python3-aiohttp curl openssl linux-perf valgrind)  # the last two: profile.sh, instructions.sh
missing=()
for p in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]]; then
    echo "bench: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    timeout 300 apt-get update -qq
    timeout 600 apt-get install -y -qq --no-install-recommends "${missing[@]}"
  else
    echo "bench: missing ${missing[*]} and not root (sudo apt-get install -y ${missing[*]}); going on without them"
  fi
fi
command -v wrk >/dev/null || { echo "bench: wrk is required (the ceiling)" >&2; exit 1; }
command -v go >/dev/null || { echo "bench: go (golang-go) is required for the upstream" >&2; exit 1; }

build=${BUILD_DIR:-build-release}
bin=${BENCH_ASYNCFETCH:-}
if [[ -n "$bin" ]]; then
  echo "bench: using $bin (BENCH_ASYNCFETCH; no build)"
else
  echo "bench: building asyncfetch (Release, $build/)"
  timeout 900 cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  timeout 1800 cmake --build "$build" -j"${JOBS:-2}" --target asyncfetch >/dev/null
  bin=$build/service/asyncfetch
fi

# Every target here is on loopback: no proxy from the caller's environment
# for asyncfetch (which honours them) or its peers.
unset HTTP_PROXY http_proxy HTTPS_PROXY https_proxy ALL_PROXY all_proxy NO_PROXY no_proxy

# Go: standard library only; caches inside the build dir, nothing fetched.
gobin=$root/$build/bench-go
mkdir -p "$gobin"
export GOCACHE=$gobin/cache GOPATH=$gobin/path GOFLAGS= GOPROXY=off GO111MODULE=off
for tool in upstream peers/gofetch peers/afpost; do
  (cd "bench/$tool" && timeout 300 go build -o "$gobin/$(basename "$tool")" .)
done

# S5-S7's throwaway CA and localhost certificate, made here, never committed.
tls_dir=""
if command -v openssl >/dev/null; then
  tls_dir=$root/$build/bench-tls
  bench/tls_certs.sh "$tls_dir"
fi

py=""
/usr/bin/python3 -c 'import aiohttp' 2>/dev/null && py=/usr/bin/python3
mkdir -p bench/results
args=(--asyncfetch "$bin" --upstream "$gobin/upstream" --gofetch "$gobin/gofetch"
      --afpost "$gobin/afpost" --python "$py" --threads "${THREADS:-1,2}" --tls-dir "$tls_dir"
      --platform "$(bash bench/platform.sh)")
echo "bench: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
if ((smoke)); then
  exec timeout 120 /usr/bin/python3 bench/peers/harness.py "${args[@]}" --smoke --scenarios S1,S7 \
    --n "${N:-2000}" --wrk-seconds 1
fi
# S3 opens 10000 connections at once. Behind Debian's default accept queue
# (net.core.somaxconn 4096) the upstream's fills, the kernel drops the connects
# past it and their clients retry a second later: the run would time the
# kernel's SYN retry, not the clients. As root the full run raises the limit and
# puts it back at the end; the table names any drops that remain.
somaxconn=/proc/sys/net/core/somaxconn
if [[ $(id -u) -eq 0 && -w $somaxconn ]] && (($(cat $somaxconn) < 16384)); then
  old_somaxconn=$(cat $somaxconn)
  echo 16384 > $somaxconn
  trap 'echo "$old_somaxconn" > '"$somaxconn" EXIT
  echo "bench: net.core.somaxconn $old_somaxconn -> 16384 for the run"
fi
rounds=${ROUNDS:-3}
timeout $((1200 * rounds)) /usr/bin/python3 bench/peers/harness.py "${args[@]}" --n "${N:-20000}" --rounds "$rounds" \
  --scenarios "${SCENARIOS:-S1,S2,S3,S4,scaling,S5,S6,S7,S8}" --out "${RESULTS:-bench/results/peers-$(date -u +%Y%m%d-%H%M).md}"
