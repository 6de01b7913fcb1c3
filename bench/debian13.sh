#!/usr/bin/env bash
# The benchmarks on Debian 13 (OpenSSL 3.5, Boost 1.83, g++ 14, CPython 3.13,
# Go 1.24), from a Debian 12 or 13 host: bench/run.sh or bench/primitives.sh in
# a container of asyncfetch-deps, the image docker/test.sh builds its tests in,
# with this checkout mounted at its own path and the host's network (every
# target is 127.0.0.1). The scripts install their own missing packages there
# from Debian 13's archive, as they do on a host. Needs root: docker/test.sh
# --prepare installs Docker, starts a daemon when none runs (stopped again at
# the end) and makes the image when it is missing.
#
#   bench/debian13.sh peers [ARGS]       bash bench/run.sh ARGS -> bench/results/peers-<date>-debian13.md
#   bench/debian13.sh primitives         bench/primitives.sh    -> bench/results/primitives-debian13.md
#
# Env passed through: N, THREADS, SCENARIOS, ROUNDS, JOBS (run.sh), MIN_TIME,
# REPS, PATHS, WALL (primitives.sh), OPENSSL_CONF (a file in the checkout, e.g.
# to try other TLS groups). The builds go to build-debian13/, apart from the
# host's build dirs.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

say() { echo "debian13: $*"; }
mode=${1:-}
case "$mode" in
  peers) script=(bash bench/run.sh "${@:2}"); results=bench/results/peers-$(date -u +%Y%m%d-%H%M)-debian13.md ;;
  primitives) script=(bash bench/primitives.sh); results=bench/results/primitives-debian13.md ;;
  *) say "usage: bench/debian13.sh peers|primitives"; exit 2 ;;
esac
[[ $(id -u) -eq 0 ]] || { say "needs root (Docker)"; exit 1; }
# shellcheck disable=SC1091
host=$( . /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}:${VERSION_ID:-}" )
case "$host" in
  bookworm:*|trixie:*) ;;
  *) say "needs a Debian 12 or 13 host (docker/test.sh installs Debian's docker.io)"; exit 1 ;;
esac

DOCKER=/usr/bin/docker
# A daemon that --prepare starts is ours to stop; one already running is not.
daemon_was_running=0
[[ -x $DOCKER ]] && $DOCKER info > /dev/null 2>&1 && daemon_was_running=1
dockerd_pidfile=/run/asyncfetch-dockerd.pid
container=asyncfetch-bench-debian13-$$
somaxconn=/proc/sys/net/core/somaxconn
old_somaxconn=""
cleanup() {
  set +e
  $DOCKER rm -f "$container" > /dev/null 2>&1
  [[ -n $old_somaxconn ]] && echo "$old_somaxconn" > "$somaxconn"
  if ((!daemon_was_running)) && [[ -f $dockerd_pidfile ]]; then
    say "stopping the dockerd docker/test.sh --prepare started"
    pid=$(cat "$dockerd_pidfile")
    rm -f "$dockerd_pidfile"
    kill "$pid"
    for _ in $(seq 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  fi
}
trap cleanup EXIT

t0=$(date +%s)
DEBIAN_RELEASE=trixie docker/test.sh --prepare
$DOCKER image inspect asyncfetch-deps > /dev/null 2>&1 || { say "no asyncfetch-deps image after docker/test.sh --prepare"; exit 1; }
say "image ready in $(( $(date +%s) - t0 )) s"

env_args=(-e BUILD_DIR=build-debian13/release -e BUILD_PREFIX=build-debian13/bench -e "RESULTS=$root/$results"
          -e "COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
          -e "BENCH_WHERE=in the asyncfetch-deps image (bench/debian13.sh) on a Debian ${host#*:} host")
for v in N THREADS SCENARIOS ROUNDS JOBS MIN_TIME REPS PATHS WALL OPENSSL_CONF; do
  [[ -n ${!v:-} ]] && env_args+=(-e "$v=${!v}")
done
# The host's open-file limit (S3 holds 10000 sockets in each of two processes).
nofile=$(ulimit -Hn)
[[ $nofile == unlimited ]] && nofile=1048576
# run.sh raises net.core.somaxconn for S3 (see there), but /proc/sys is read-only
# in a container; the container shares the host's network namespace, so here.
if [[ $mode == peers ]] && (($(cat "$somaxconn") < 16384)); then
  old_somaxconn=$(cat "$somaxconn")
  echo 16384 > "$somaxconn"
  say "net.core.somaxconn $old_somaxconn -> 16384 for the run"
fi
say "running ${script[*]} on Debian 13"
status=0
$DOCKER run --rm --name "$container" --network host --ulimit "nofile=$nofile:$nofile" \
  -v "$root:$root" -w "$root" "${env_args[@]}" asyncfetch-deps "${script[@]}" || status=$?
[[ -f $results ]] && say "table: $results"
exit "$status"
