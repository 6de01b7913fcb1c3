#!/usr/bin/env bash
# Checks the Prometheus configurations and rules, then runs the rules' unit
# tests (rules.test.yml: the alerts on synthetic series) with promtool:
#   bash docker/prometheus/test_rules.sh
# promtool is Debian's: the one on PATH if there is one, else unpacked from the
# package (`promtool` on Debian 13, part of `prometheus` on Debian 12) that
# `apt-get download` fetches into a temporary directory. Installing the package
# instead would enable and start a Prometheus daemon on this machine.
set -euo pipefail
cd "$(dirname "$0")"
say() { echo "prometheus-rules: $*"; }

promtool=$(command -v promtool || true)
if [[ -z $promtool ]]; then
  tmp=$(mktemp -d /tmp/asyncfetch-promtool.XXXXXX)
  trap 'rm -rf "$tmp"' EXIT
  package() { if apt-cache show promtool > /dev/null 2>&1; then echo promtool; else echo prometheus; fi; }
  download() { (cd "$tmp" && apt-get download -qq -o APT::Sandbox::User="$(id -un)" "$(package)"); }
  if ! download 2> /dev/null; then
    # The package lists may be missing (a slimmed image) or stale.
    if [[ $(id -u) -ne 0 ]]; then say "FAILED: apt-get download $(package) failed; run apt-get update as root"; exit 1; fi
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    download
  fi
  dpkg-deb --fsys-tarfile "$tmp"/*.deb | tar -x -C "$tmp" ./usr/bin/promtool
  promtool=$tmp/usr/bin/promtool
fi
say "$("$promtool" --version 2>&1 | head -1)"

"$promtool" check config prometheus.yml
# The Kubernetes job: syntax only (its token file exists in the Prometheus pod
# alone). Debian 12's promtool is built without Kubernetes discovery.
if ! out=$("$promtool" check config --syntax-only kubernetes.yml 2>&1); then
  grep -q 'field kubernetes_sd_configs not found' <<< "$out" || { echo "$out"; exit 1; }
  say "kubernetes.yml not checked: this promtool has no Kubernetes discovery (tests/ops checks its labels)"
else
  echo "$out"
fi
"$promtool" check rules recording.rules.yml alerts.rules.yml
"$promtool" test rules rules.test.yml
say "ok"
