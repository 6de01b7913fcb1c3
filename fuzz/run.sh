#!/usr/bin/env bash
# Builds every fuzz target, then runs each for SECONDS (default 60) on its seed
# corpus fuzz/corpus/<target>/, FUZZ_JOBS of them at a time (default 2: one per
# core; each fuzzer is single-threaded). New inputs go to
# build-fuzz/corpus/<target>/ (not committed); crashes to
# build-fuzz/crashes/<target>/. Exit status is non-zero when any target found
# a crash.
#
#   fuzz/run.sh [seconds] [target...]
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
out="${BUILD_FUZZ_DIR:-$root/build-fuzz}"
# shellcheck source=in_parallel.sh
source "$here/in_parallel.sh"
secs="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(fetch_request_fuzz url_egress_fuzz config_fuzz http_response_fuzz
                                     content_decoder_fuzz trace_context_fuzz h2_response_fuzz connect_answer_fuzz)

"$here/build.sh" "${targets[@]}" || exit 2

# One target: its summary lines once it is done (so that parallel runs do not
# interleave), and its exit status.
fuzz_one() {
  local t=$1 work="$out/corpus/$1" crashes="$out/crashes/$1" dict=() rc
  mkdir -p "$work" "$crashes"
  [ -f "$here/dict/$t.dict" ] && dict=(-dict="$here/dict/$t.dict")
  "$out/$t" -max_total_time="$secs" -print_final_stats=1 -rss_limit_mb=2048 -timeout=10 \
    -artifact_prefix="$crashes/" "${dict[@]}" "$work" "$here/corpus/$t" > "$out/$t.log" 2>&1
  rc=$?
  {
    echo "=== $t: ${secs}s"
    grep -E '^(#[0-9]+[[:space:]]+(INITED|DONE)|stat::|==[0-9]+==|SUMMARY|.*check failed|artifact_prefix|Test unit written)' \
      "$out/$t.log"
    [ $rc -eq 0 ] || echo "!!! $t: failed, see $out/$t.log and $crashes/"
  } >&2
  return $rc
}

in_parallel "${FUZZ_JOBS:-2}" fuzz_one "${targets[@]}"
