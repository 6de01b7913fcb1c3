# Sourced by instructions.sh and sides.sh: what a MODE fetches and the upstream
# it fetches from. Needs $mode and $gobin; sets c (the request's concurrency),
# client_args (afpost's), unit, url, service_tls (the service's flags), up (the
# upstream's pid) and tmp (a directory removed at exit, with the upstream).
#   fetch  one POST /fetch carrying all the URLs, C=64, plain HTTP (S1)
#   batch  64 clients each POSTing batches of 100 URLs, concurrency 1 (S1's other mode, per fetch)
#   post   64 clients each POSTing 1-URL /fetch requests (S4)
#   https  as fetch, from a TLS 1.3 origin over HTTP/1.1 keep-alive (S5)
#   fresh  as https, the origin answering Connection: close (S6: a handshake per fetch)
#   h2     as fetch, C=256, from a TLS 1.3 origin offering h2 (S7)
c=64
case $mode in
  fetch) client_args=(-concurrency 64) unit="fetch" ;;
  batch) client_args=(-clients 64 -batch 100 -concurrency 1) unit="fetch in batches of 100" ;;
  post) client_args=(-clients 64 -batch 1 -concurrency 1) unit="1-URL POST" ;;
  https) client_args=(-concurrency 64) unit="https fetch" ;;
  fresh) client_args=(-concurrency 64) unit="https fetch on a fresh connection" ;;
  h2) c=256 client_args=(-concurrency 256) unit="HTTP/2 fetch" ;;
  *) echo "$0: MODE is fetch, batch, post, https, fresh or h2, not $mode" >&2; exit 2 ;;
esac
port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
tmp=$(mktemp -d)
uport=$(port)
url="http://127.0.0.1:$uport/bytes?n=1024" service_tls=() tls=""
if [[ $mode == https || $mode == fresh || $mode == h2 ]]; then
  tls=${BUILD_DIR:-build-release}/bench-tls
  bench/tls_certs.sh "$tls"
  origin_args=(-origins 1 -cert "$tls/server.pem" -key "$tls/server.key")
  [[ $mode == h2 ]] || origin_args+=(-h2=false)
  [[ $mode == fresh ]] && origin_args+=(-close)
  # The TLS origin is an extra listener; its port is in /stats.
  "$gobin/upstream" -listen "127.0.0.1:$uport" "${origin_args[@]}" 2>/dev/null & up=$!
  service_tls=(--ca_file="$tls/ca.pem")
else
  "$gobin/upstream" -listen "127.0.0.1:$uport" 2>/dev/null & up=$!
fi
trap 'kill $up 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do curl -sf "127.0.0.1:$uport/stats" >/dev/null && break; sleep 0.1; done
if [[ -n $tls ]]; then
  oport=$(curl -sf "127.0.0.1:$uport/stats" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["origins"][0]["port"])')
  url="https://127.0.0.1:$oport/bytes?n=1024"
fi
# The service's flags for a run of this mode on port $1.
service_args() {
  echo --config= --port="$1" --threads="$threads" --allow_cidrs=127.0.0.0/8 --log_level=warn \
    --global_concurrency=$c --max_concurrency_per_request=$c --max_urls_per_request=100000 \
    --max_request_bytes=67108864 --max_queue=100000 --drain_timeout_ms=0 "${service_tls[@]}"
}
