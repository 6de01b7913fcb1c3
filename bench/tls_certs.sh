#!/usr/bin/env bash
# A throwaway test CA and a certificate for localhost / 127.0.0.1 / 127.0.0.2 / ::1 that it
# signed, for the https scenarios (S5-S7) and the mixed soak (127.0.0.2: its
# upstreams behind the proxy): DIR/ca.pem, DIR/server.pem,
# DIR/server.key. Made at run time in the build dir; never committed.
#
#   bench/tls_certs.sh DIR
set -euo pipefail
dir=$1
mkdir -p "$dir"
cd "$dir"
[[ -s ca.pem && -s server.pem && -s server.key ]] && exit 0
ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
openssl req -x509 "${ec[@]}" -keyout ca.key -out ca.pem -days 30 -subj "/CN=asyncfetch bench CA" 2>/dev/null
openssl req "${ec[@]}" -keyout server.key -out server.csr -subj "/CN=localhost" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:127.0.0.2,IP:::1\nbasicConstraints=critical,CA:FALSE\n' >server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
  -extfile server.ext -out server.pem 2>/dev/null
rm -f server.csr server.ext ca.srl
