#!/usr/bin/env bash
# Measures what a replica needs, for the resource requests in docker/k8s/:
# the RSS of one asyncfetch container (2 threads, the limits of the
# Deployment) idle, under a fan-out of 1 KiB bodies at 512 fetches in flight,
# and under a fan-out that returns 64 KiB bodies (include_body), with the
# fetches per second it made. Uses the images docker/test.sh builds; needs
# root and a running dockerd.
#   bash docker/measure_rss.sh
set -euo pipefail
cd "$(dirname "$0")/.."
DOCKER=/usr/bin/docker
say() { echo "measure-rss: $*"; }
for image in asyncfetch asyncfetch-nginx; do
  $DOCKER image inspect "$image" > /dev/null 2>&1 || { say "image $image missing: run docker/test.sh first"; exit 1; }
done

cleanup() {
  $DOCKER rm -f af-rss af-rss-up > /dev/null 2>&1 || true
  $DOCKER network rm af-rss-net > /dev/null 2>&1 || true
}
trap cleanup EXIT
cleanup
$DOCKER network create --subnet 198.18.1.0/24 af-rss-net > /dev/null
$DOCKER run -d --name af-rss-up --network af-rss-net asyncfetch-nginx > /dev/null
up=$($DOCKER inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' af-rss-up)
$DOCKER run -d --name af-rss --network af-rss-net -p 127.0.0.1:18490:8080 \
  --read-only --cap-drop ALL --user 10001 --memory 256m --cpus 2 \
  -e ASYNCFETCH_THREADS=2 -e ASYNCFETCH_ALLOW_CIDRS=198.18.1.0/24 asyncfetch > /dev/null
for _ in $(seq 50); do curl -sf 127.0.0.1:18490/readyz > /dev/null && break; sleep 0.2; done
pid=$($DOCKER inspect -f '{{.State.Pid}}' af-rss)
kib() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$pid/status"; }
mib() { awk '{printf "%.1f", $1 / 1024}' <<< "$1"; }

sleep 1
say "idle: RSS $(mib "$(kib VmRSS)") MiB"

# A fan-out: CLIENTS clients at once, each sending ROUNDS requests of URLS
# URLs with concurrency 256 (so up to 512 fetches in flight, global_concurrency).
fan_out() {  # name path include_body urls rounds clients
  local name=$1 path=$2 body=$3 urls=$4 rounds=$5 clients=$6
  local list req t0 t1 max=0 rss
  list=$(printf "\"http://$up$path\",%.0s" $(seq "$urls"))
  req="{\"urls\":[${list%,}],\"concurrency\":256,\"include_body\":$body}"
  before=$(curl -sf 127.0.0.1:18490/stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["fetches_total"])')
  t0=$(date +%s.%N)
  for _ in $(seq "$clients"); do
    ( for _ in $(seq "$rounds"); do curl -sf -o /dev/null -XPOST 127.0.0.1:18490/fetch -d "$req"; done ) &
  done
  while [[ -n $(jobs -r) ]]; do
    rss=$(kib VmRSS); (( rss > max )) && max=$rss
    sleep 0.05
  done
  wait
  t1=$(date +%s.%N)
  after=$(curl -sf 127.0.0.1:18490/stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["fetches_total"])')
  sleep 1
  say "$name: $((after - before)) fetches, $(awk -v n=$((after - before)) -v a="$t0" -v b="$t1" \
    'BEGIN {printf "%.0f", n / (b - a)}') fetches/s, peak RSS $(mib "$max") MiB (sampled), $(mib "$(kib VmHWM)") MiB (high-water mark), $(mib "$(kib VmRSS)") MiB after"
}
fan_out "1 KiB bodies" /1k.txt false 1000 10 2
fan_out "64 KiB bodies, include_body" /64k.txt true 100 20 2
max_in_flight=$(curl -sf 127.0.0.1:18490/stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["max_in_flight"])')
say "max_in_flight $max_in_flight"
