#!/usr/bin/env bash
# Soak v2: a steady mixed load for DURATION seconds (default 600): plain http
# with gzip bodies and delays, https over HTTP/1.1, HTTP/2, per_host_concurrency,
# hedge_after_ms, and a forward proxy. Fails when a request goes unanswered or
# an answer is wrong (a result not ok, or without what its kind expects), when
# the service's /stats or an upstream's counters disagree with what the client
# saw, when in_flight is not 0 at the end, or when RSS grows more than
# MAX_RSS_GROWTH_MB (default 16) between the end of the warm-up (WARMUP, 60 s)
# and the end.
#
#   bench/reliability/soak_mixed.sh      # DURATION=600 RATE=30 WARMUP=60 SERVICE_BIN=... PYTHON=...
#
# RATE requests/s (default 30) take the six kinds in turn, 22 URLs per round:
#   http_gzip  3 gzip bodies (4, 16 and 64 KiB decoded, one after 10 ms) from the stdlib upstream
#   https_h1   3 fetches from a Go TLS upstream that offers only HTTP/1.1
#   h2         4 fetches from a Go TLS upstream that speaks HTTP/2
#   per_host   6 fetches of 20 ms to one origin with per_host_concurrency 2 (the answer's
#              max_in_flight must stay at most 2)
#   hedge      2 URLs whose first try hangs 5 s, hedge_after_ms 50: each must be hedged,
#              2 attempts, and the stdlib upstream must see every hung try's client go away
#   proxy      2 http and 2 https URLs on 127.0.0.2, through the proxy (proxy.py)
# One service does all of it: the proxy comes from HTTP_PROXY/HTTPS_PROXY with
# NO_PROXY=127.0.0.1, so the upstreams on 127.0.0.1 are fetched directly and those
# on 127.0.0.2 through the proxy; its counters prove both halves.
# Report: bench/results/soak_mixed.json.
source "$(dirname "$0")/common.sh"
duration=${DURATION:-600}
rate=${RATE:-30}
# Every target is on loopback: no proxy from the caller's environment.
unset HTTP_PROXY http_proxy HTTPS_PROXY https_proxy ALL_PROXY all_proxy NO_PROXY no_proxy

command -v go >/dev/null || { echo "soak_mixed: go (golang-go) is required for the TLS upstreams" >&2; exit 1; }
gobin=${GO_BUILD_DIR:-$root/build-bench/bench-go}
mkdir -p "$gobin"
(cd "$root/bench/upstream" && GOCACHE=$gobin/cache GOPATH=$gobin/path GOFLAGS= GOPROXY=off GO111MODULE=off \
  timeout 300 go build -o "$gobin/upstream" .)
bash "$root/bench/tls_certs.sh" "$tmp/tls"

free_port() { "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for_file() { for _ in $(seq 200); do [[ -s $1 ]] && return; sleep 0.05; done; echo "no $1" >&2; exit 1; }

# go_upstream HOST [flags...]: a Go upstream with one TLS origin on HOST; sets go_origin_port, go_ctl.
go_upstream() {
  local host=$1; shift
  local ctl; ctl=$(free_port)
  "$gobin/upstream" -listen "$host:$ctl" -origins 1 -cert "$tmp/tls/server.pem" -key "$tmp/tls/server.key" "$@" \
    2>>"$tmp/go_upstream.log" &
  other_pids+=($!)
  go_ctl="http://$host:$ctl"
  for _ in $(seq 200); do curl -fs "$go_ctl/stats" >/dev/null 2>&1 && break; sleep 0.05; done
  go_origin_port=$("$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["origins"][0]["port"])' \
    < <(curl -fs "$go_ctl/stats"))
}

start_upstream  # the stdlib upstream on 127.0.0.1: gzip, delays, hang-first
"$PYTHON" "$root/bench/reliability/upstream.py" "$tmp/upstream2.port" 127.0.0.2 &
other_pids+=($!)
wait_for_file "$tmp/upstream2.port"
"$PYTHON" "$root/bench/reliability/proxy.py" "$tmp/proxy.port" &
other_pids+=($!)
wait_for_file "$tmp/proxy.port"
go_upstream 127.0.0.1 -h2=false; h1_port=$go_origin_port; h1_ctl=$go_ctl
go_upstream 127.0.0.1;           h2_port=$go_origin_port; h2_ctl=$go_ctl
go_upstream 127.0.0.2;           ph_port=$go_origin_port; ph_ctl=$go_ctl
proxy="http://127.0.0.1:$(cat "$tmp/proxy.port")"

export HTTP_PROXY=$proxy HTTPS_PROXY=$proxy NO_PROXY=127.0.0.1
start_service --threads=2 --ca_file="$tmp/tls/ca.pem"
unset HTTP_PROXY HTTPS_PROXY NO_PROXY

u="http://127.0.0.1:$upstream_port"
p="http://127.0.0.2:$(cat "$tmp/upstream2.port")"
h1="https://127.0.0.1:$h1_port"
h2="https://127.0.0.1:$h2_port"
ph="https://127.0.0.2:$ph_port"
cat >"$tmp/kinds.json" <<JSON
[
 {"name": "http_gzip", "body": {"urls": ["$u/gzip?n=4096", "$u/gzip?n=16384&ms=10", "$u/gzip?n=65536"]},
  "expect": {"content_encoding": "gzip", "http_version": "1.1"}},
 {"name": "https_h1", "body": {"urls": ["$h1/bytes?n=4096", "$h1/delay?ms=20&n=1024", "$h1/bytes?n=32768"]},
  "expect": {"http_version": "1.1"}, "counts": {"h1_tls": 3}},
 {"name": "h2", "body": {"urls": ["$h2/bytes?n=8192", "$h2/delay?ms=20&n=1024", "$h2/bytes?n=65536", "$h2/bytes?n=512"]},
  "expect": {"http_version": "2"}, "counts": {"h2": 4}},
 {"name": "per_host", "body": {"urls": ["$u/delay?ms=20&i=1", "$u/delay?ms=20&i=2", "$u/delay?ms=20&i=3",
                                        "$u/delay?ms=20&i=4", "$u/delay?ms=20&i=5", "$u/delay?ms=20&i=6"],
                               "concurrency": 6, "per_host_concurrency": 2},
  "max_in_flight": 2},
 {"name": "hedge", "body": {"urls": ["$u/hang-first?key={seq}a&ms=5000", "$u/hang-first?key={seq}b&ms=5000"],
                            "hedge_after_ms": 50},
  "expect": {"hedged": true, "attempts": 2}, "counts": {"hedge_losers": 2}},
 {"name": "proxy", "body": {"urls": ["$p/bytes?n=4096", "$p/gzip?n=8192", "$ph/bytes?n=4096", "$ph/delay?ms=10&n=1024"]},
  "counts": {"proxied_http": 2, "proxied_https": 2}}
]
JSON
proxy_stats="$proxy/stats"
timeout $((duration + 180)) "$PYTHON" "$root/bench/reliability/mixed_load.py" \
  --port "$service_port" --pid "$service_pid" --kinds "$tmp/kinds.json" \
  --rate "$rate" --duration "$duration" --rss-every 10 --warmup "${WARMUP:-60}" --progress 60 \
  --check "https over HTTP/1.1 at its upstream|$h1_ctl/stats|h1|h1_tls" \
  --check "HTTP/2 streams at its upstream|$h2_ctl/stats|h2|h2" \
  --check "hedges' losing tries closed at the upstream|$u/stats|cancelled|hedge_losers" \
  --check "http through the proxy|$proxy_stats|http_requests|proxied_http" \
  --check "https through the proxy, at its upstream|$ph_ctl/stats|requests|proxied_https" \
  --check "proxy failures|$proxy_stats|failed|=0" \
  --check "proxy refusals|$proxy_stats|refused|=0" \
  --max-rss-growth-mb "${MAX_RSS_GROWTH_MB:-16}" --report "$out_dir/soak_mixed.json"
