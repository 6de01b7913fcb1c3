#!/usr/bin/env bash
# Builds every fuzz target, then runs each for SECONDS (default 60) on its seed
# corpus fuzz/corpus/<target>/. New inputs go to build-fuzz/corpus/<target>/
# (not committed); crashes to build-fuzz/crashes/<target>/. Exit status is
# non-zero when any target found a crash.
#
#   fuzz/run.sh [seconds] [target...]
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
out="${BUILD_FUZZ_DIR:-$root/build-fuzz}"
secs="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(fetch_request_fuzz url_egress_fuzz config_fuzz http_response_fuzz
                                     content_decoder_fuzz trace_context_fuzz)

"$here/build.sh" "${targets[@]}" || exit 2

status=0
for t in "${targets[@]}"; do
  work="$out/corpus/$t"
  crashes="$out/crashes/$t"
  mkdir -p "$work" "$crashes"
  dict=()
  [ -f "$here/dict/$t.dict" ] && dict=(-dict="$here/dict/$t.dict")
  echo "=== $t: ${secs}s" >&2
  "$out/$t" -max_total_time="$secs" -print_final_stats=1 -rss_limit_mb=2048 -timeout=10 \
    -artifact_prefix="$crashes/" "${dict[@]}" "$work" "$here/corpus/$t" 2>&1 | tee "$out/$t.log" | \
    grep -E '^(#[0-9]+[[:space:]]+(INITED|DONE)|stat::|==[0-9]+==|SUMMARY|.*check failed|artifact_prefix|Test unit written)' >&2
  if [ "${PIPESTATUS[0]}" -ne 0 ]; then
    echo "!!! $t: failed, see $out/$t.log and $crashes/" >&2
    status=1
  fi
done
exit $status
