#!/usr/bin/env bash
# The Docker test: builds the image and runs it the way users do, then the
# scale-out compose. Needs root on Debian 12 or 13 (it installs docker.io and,
# when no daemon runs, starts a private dockerd that it stops again at the
# end). The host only ever talks to 127.0.0.1 (published ports); containers
# talk to each other on docker networks in 198.18.0.0/15, a range reserved for
# testing.
#
# The image is built on DEBIAN_RELEASE (default trixie, Debian 13) from a base
# image made locally with debootstrap (no registry is reachable). With
# RUN_TESTS=1 (the default here) its build stage runs the normal build and
# every test of it (scripts/test.sh, stage 1) on that release, and then
# scripts/serve.sh is started in the build stage's image: a fresh Debian 13
# machine that builds, passes the tests and serves.
#
#   docker/test.sh             the test
#   docker/test.sh --install   only the packages it needs (docker.io, ...)
#   docker/test.sh --prepare   only what needs no build: the packages, the daemon
#                              (left running for the test, which stops it), the
#                              base image and the package layers of every image;
#                              scripts/test.sh runs it beside the first stages
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "docker-test: $*"; }
# A command that stops the test under set -e says which one it was.
trap 'say "FAILED (exit $?) at line $LINENO: $BASH_COMMAND"' ERR
# What ctest --output-on-failure printed for each failed test (the log's tail
# shows only their names).
failed_test_output() {
  awk '/\*\*\*(Failed|Timeout|Exception)/ {show = 1}
       show && (/^ *Start +[0-9]+:/ || (/Test +#[0-9]+:/ && !/\*\*\*/)) {show = 0}
       show' "$1" | head -300
}
if [[ $(id -u) -ne 0 ]]; then say "SKIPPED: needs root (to install and start Docker)"; exit 0; fi
if ! grep -Eq 'VERSION_CODENAME=(bookworm|trixie)' /etc/os-release 2>/dev/null; then
  say "SKIPPED: needs Debian 12 or 13 to install docker.io"; exit 0
fi
mode=${1:-test}
case "$mode" in test|--install|--prepare) ;; *) say "unknown option '$mode' (--install, --prepare)"; exit 2 ;; esac
prepare=0
[[ $mode == --prepare ]] && prepare=1
release=${DEBIAN_RELEASE:-trixie}
base=debian:$release-slim
run_tests=${RUN_TESTS:-1}

need=()
for p in docker.io docker-compose debootstrap curl; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if ((${#need[@]})); then
  say "installing ${need[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" > /dev/null
fi
[[ $mode == --install ]] && exit 0
# Debian's client: the one first on PATH may be a newer one without buildx.
DOCKER=/usr/bin/docker
export DOCKER_BUILDKIT=0 COMPOSE_DOCKER_CLI_BUILD=0

work=$(mktemp -d /tmp/asyncfetch-docker.XXXXXX)
# A dockerd started by --prepare: the test adopts it and stops it at its end.
dockerd_pidfile=/run/asyncfetch-dockerd.pid
dockerd_pid=""
if [[ -f $dockerd_pidfile ]] && kill -0 "$(cat "$dockerd_pidfile")" 2>/dev/null && ((!prepare)); then
  dockerd_pid=$(cat "$dockerd_pidfile")
  rm -f "$dockerd_pidfile"
fi
cleanup() {
  set +e
  if ((prepare)); then rm -rf "$work"; return; fi
  $DOCKER rm -f af-test af-up af-serve > /dev/null 2>&1
  $DOCKER network rm af-test-net > /dev/null 2>&1
  docker-compose -p afscale -f docker/compose.scale.yml down -t 2 > /dev/null 2>&1
  if [[ -n "$dockerd_pid" ]]; then
    say "stopping the dockerd this test started"
    kill "$dockerd_pid"; wait "$dockerd_pid" 2>/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT

if ! $DOCKER info > /dev/null 2>&1; then
  say "starting a private dockerd"
  dockerd --data-root /var/lib/asyncfetch-docker > /var/log/asyncfetch-dockerd.log 2>&1 &
  dockerd_pid=$!
  ((prepare)) && echo "$dockerd_pid" > "$dockerd_pidfile"
  for _ in $(seq 60); do $DOCKER info > /dev/null 2>&1 && break; sleep 0.5; done
  $DOCKER info > /dev/null 2>&1 || { say "dockerd did not start"; tail -20 /var/log/asyncfetch-dockerd.log; exit 1; }
fi

# No registry is reachable: make the base image locally if it is missing.
if ! $DOCKER image inspect "$base" > /dev/null 2>&1; then
  mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  mirror=${mirror:-http://deb.debian.org/debian}
  say "making the base image with debootstrap from $mirror"
  debootstrap --variant=minbase "$release" "$work/rootfs" "$mirror" > "$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log"; exit 1; }
  # Slim it like the official image: no package cache, lists, docs or man pages.
  rm -rf "$work"/rootfs/var/cache/apt/archives/*.deb "$work"/rootfs/var/lib/apt/lists/* \
         "$work"/rootfs/usr/share/doc/* "$work"/rootfs/usr/share/man/* "$work"/rootfs/usr/share/info/*
  tar -C "$work/rootfs" -c . | $DOCKER import - "$base" > /dev/null
  rm -rf "$work/rootfs"
fi

if ((prepare)); then
  t0=$(date +%s)
  $DOCKER build -q --build-arg "BASE_IMAGE=$base" --target build-deps -t asyncfetch-deps . > /dev/null
  $DOCKER build -q --build-arg "BASE_IMAGE=$base" -t asyncfetch-nginx docker/nginx > /dev/null
  $DOCKER build -q --build-arg "BASE_IMAGE=$base" -t asyncfetch-prometheus docker/prometheus > /dev/null
  say "prepared: the base image and the package layers of every image ($(( $(date +%s) - t0 )) s)"
  exit 0
fi

t0=$(date +%s)
args=(--build-arg "BASE_IMAGE=$base" --build-arg "RUN_TESTS=$run_tests")
if [[ $run_tests == 1 ]]; then
  # A new TEST_RUN makes the build stage run the tests again: a layer cached
  # from an earlier run of the same tree would pass without running them.
  args+=(--build-arg "TEST_RUN=$(date +%s%N)")
  say "building the image on $release, with the normal build's tests run in its build stage"
  # The build stage's output is the test run: shown when it fails.
  $DOCKER build "${args[@]}" --target build -t asyncfetch-build . > "$work/build.log" 2>&1 \
    || { failed_test_output "$work/build.log"; tail -60 "$work/build.log"; say "FAILED: the build stage on $release"; exit 1; }
  grep -E '^=== |tests passed|tests failed' "$work/build.log" | sed 's/^/docker-test:   /' || true
  grep -q '100% tests passed' "$work/build.log" \
    || { tail -60 "$work/build.log"; say "FAILED: the build stage on $release printed no passing test run"; exit 1; }
else
  say "building the image on $release"
fi
$DOCKER build -q "${args[@]}" -t asyncfetch . > /dev/null
$DOCKER build -q --build-arg "BASE_IMAGE=$base" -t asyncfetch-nginx docker/nginx > /dev/null
$DOCKER build -q --build-arg "BASE_IMAGE=$base" -t asyncfetch-prometheus docker/prometheus > /dev/null
mb() { $DOCKER image inspect -f '{{.Size}}' "$1" | awk '{printf "%.1f MB", $1/1e6}'; }
say "built in $(( $(date +%s) - t0 )) s; image $(mb asyncfetch) (base $(mb "$base"))"

fail() { say "FAILED: $*"; $DOCKER logs af-test 2>&1 | tail -20 || true; exit 1; }

# 0. The README's first command on that release: scripts/serve.sh in the build
# stage's image (its build is up to date there, so it only starts the service).
if [[ $run_tests == 1 ]]; then
  $DOCKER run -d --name af-serve asyncfetch-build bash scripts/serve.sh > /dev/null
  for _ in $(seq 120); do
    $DOCKER exec af-serve curl -sf 127.0.0.1:8080/readyz > /dev/null 2>&1 && break; sleep 0.5
  done
  [[ $($DOCKER exec af-serve curl -s 127.0.0.1:8080/readyz) == '{"ready":true}' ]] \
    || { $DOCKER logs af-serve 2>&1 | tail -20; fail "scripts/serve.sh on $release"; }
  $DOCKER rm -f af-serve > /dev/null
  say "scripts/serve.sh on $release: serving"
fi

# 1. One container, hardened, fetching from an upstream container.
$DOCKER network create --subnet 198.18.0.0/24 af-test-net > /dev/null
$DOCKER run -d --name af-up --network af-test-net asyncfetch-nginx > /dev/null
up_ip=$($DOCKER inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' af-up)
$DOCKER run -d --name af-test --network af-test-net -p 127.0.0.1:18480:8080 \
  --read-only --cap-drop ALL --user 10001 --memory 256m \
  -e ASYNCFETCH_ALLOW_CIDRS=198.18.0.0/24 asyncfetch > /dev/null
for _ in $(seq 50); do curl -sf 127.0.0.1:18480/healthz > /dev/null && break; sleep 0.2; done
[[ $(curl -s 127.0.0.1:18480/healthz) == '{"status":"ok"}' ]] || fail "/healthz"
[[ $(curl -s 127.0.0.1:18480/readyz) == '{"ready":true}' ]] || fail "/readyz"
out=$(curl -s -XPOST 127.0.0.1:18480/fetch \
  -d "{\"urls\":[\"http://$up_ip/hello.txt\",\"http://$up_ip/1k.txt\",\"http://$up_ip/nope\",\"http://10.0.0.1/\"]}")
echo "$out" | grep -q '"succeeded":2,"failed":2' || fail "fan-out: $out"
echo "$out" | grep -q '"error":"blocked"' || fail "egress policy: $out"
say "fan-out through the container: ok"

for _ in $(seq 40); do
  [[ $($DOCKER inspect -f '{{.State.Health.Status}}' af-test) == healthy ]] && break; sleep 0.5
done
[[ $($DOCKER inspect -f '{{.State.Health.Status}}' af-test) == healthy ]] || fail "HEALTHCHECK never turned healthy"
say "HEALTHCHECK: healthy"

t_stop=$(date +%s)
$DOCKER stop af-test > /dev/null
code=$($DOCKER inspect -f '{{.State.ExitCode}}' af-test)
[[ $code == 0 ]] || fail "docker stop: exit code $code"
say "docker stop: exit 0 in $(( $(date +%s) - t_stop )) s"
$DOCKER rm -f af-test af-up > /dev/null
$DOCKER network rm af-test-net > /dev/null

# 2. Scale-out: 3 replicas behind nginx; requests reach several replicas,
# Prometheus scrapes them all (3.), and stopping one loses no request (4.).
export LB_HOST_PORT=18488 PROMETHEUS_HOST_PORT=18489
docker-compose -p afscale -f docker/compose.scale.yml up -d > "$work/compose.log" 2>&1 \
  || { tail -20 "$work/compose.log"; fail "compose up"; }
for _ in $(seq 60); do curl -sf 127.0.0.1:$LB_HOST_PORT/readyz > /dev/null && break; sleep 0.5; done
body='{"urls":["http://upstream/hello.txt"]}'
replicas=$(for _ in $(seq 12); do
  curl -s -o /dev/null -D - -XPOST 127.0.0.1:$LB_HOST_PORT/fetch -d "$body" | awk -F': ' 'tolower($1)=="x-upstream" {print $2}'
done | tr -d '\r' | sort -u | wc -l)
[[ $replicas -ge 2 ]] || fail "requests reached $replicas replica(s)"
say "requests reached $replicas replicas"

# 3. Prometheus finds every replica by DNS and scrapes it; the fetches made
# through nginx show in the sum over the replicas, and the rules evaluate.
t_prom=$(date +%s)
prom=http://127.0.0.1:$PROMETHEUS_HOST_PORT
# An instant query's JSON answer (empty when Prometheus does not answer), and
# the value of its first sample ("none" when there is none).
promq() { curl -sf --get "$prom/api/v1/query" --data-urlencode "query=$1" || true; }
value() {
  python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "none")' \
    2> /dev/null || echo none
}
expected=$(docker-compose -p afscale -f docker/compose.scale.yml ps -q asyncfetch | xargs $DOCKER inspect \
  -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}:8080=up' | LC_ALL=C sort | tr '\n' ' ')
targets=""
for _ in $(seq 60); do
  targets=$(curl -sf "$prom/api/v1/targets?state=active" | python3 -c '
import json, sys
for t in json.load(sys.stdin)["data"]["activeTargets"]:
    if t["labels"]["job"] == "asyncfetch": print(t["labels"]["instance"] + "=" + t["health"])' 2> /dev/null \
    | LC_ALL=C sort | tr '\n' ' ' || true)
  [[ $targets == "$expected" ]] && break
  sleep 0.5
done
[[ $targets == "$expected" ]] || fail "Prometheus targets: '$targets', expected: '$expected'"
say "Prometheus scrapes every replica: ${targets% }"

before=$(promq 'sum(asyncfetch_fetches_total)' | value)
[[ $before != none ]] || fail "no sum(asyncfetch_fetches_total) from Prometheus"
urls=$(printf '"http://upstream/hello.txt",%.0s' $(seq 10))
for _ in $(seq 6); do
  curl -sf -o /dev/null -XPOST 127.0.0.1:$LB_HOST_PORT/fetch -d "{\"urls\":[${urls%,}]}" || fail "fan-out through nginx"
done
after=$before
for _ in $(seq 40); do
  answer=$(promq 'sum(asyncfetch_fetches_total)')
  after=$(value <<< "$answer")
  [[ $after != none ]] && (( after >= before + 60 )) && break
  sleep 0.5
done
[[ $after != none ]] && (( after >= before + 60 )) \
  || fail "sum(asyncfetch_fetches_total) went from $before to $after after 60 fetches"
say "sum(asyncfetch_fetches_total): $before before 60 fetches through nginx, $after after"
say "query answer: $answer"
rules=""
for _ in $(seq 20); do
  rules=$(curl -sf "$prom/api/v1/rules" | python3 -c '
import json, sys
rs = [r for g in json.load(sys.stdin)["data"]["groups"] for r in g["rules"]]
print(len(rs), sum(r["health"] == "ok" for r in rs))' 2> /dev/null || true)
  rate=$(promq 'job:asyncfetch_fetches:rate1m{job="asyncfetch"} > 0' | value)
  [[ -n $rules && ${rules% *} -gt 0 && ${rules% *} == "${rules#* }" && $rate != none ]] && break
  sleep 0.5
done
[[ -n $rules && ${rules% *} -gt 0 && ${rules% *} == "${rules#* }" && $rate != none ]] \
  || fail "rules loaded/healthy: '$rules', job:asyncfetch_fetches:rate1m: $rate"
say "Prometheus rules: ${rules% *} loaded, all healthy; job:asyncfetch_fetches:rate1m = $rate"
say "Prometheus checks in $(( $(date +%s) - t_prom )) s"

# 4. Send requests continuously while one replica is stopped (drains, exits).
victim=$(docker-compose -p afscale -f docker/compose.scale.yml ps -q asyncfetch | head -1)
( for i in $(seq 150); do
    curl -s -o /dev/null -w '%{http_code}\n' -XPOST 127.0.0.1:$LB_HOST_PORT/fetch -d "$body"
    sleep 0.02
  done > "$work/codes" ) &
load=$!
sleep 0.5
$DOCKER stop "$victim" > /dev/null
wait $load
bad=$(grep -vc '^200$' "$work/codes" || true)
total=$(wc -l < "$work/codes")
[[ $bad == 0 ]] || fail "$bad of $total requests failed while a replica stopped: $(sort "$work/codes" | uniq -c | tr '\n' ' ')"
code=$($DOCKER inspect -f '{{.State.ExitCode}}' "$victim")
[[ $code == 0 ]] || fail "stopped replica exited with $code"
say "stopping a replica under load: $total requests, all 200; it exited 0"
docker-compose -p afscale -f docker/compose.scale.yml down -t 5 > /dev/null 2>&1
say "passed"
