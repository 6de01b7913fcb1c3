# Sourced by build.sh and run.sh. in_parallel JOBS FUNCTION ARG...: calls
# FUNCTION ARG for each ARG, JOBS at a time; fails when any call failed.
in_parallel() {
  local jobs=$1 fn=$2 status=0 pids=() a p
  shift 2
  for a in "$@"; do
    if [ ${#pids[@]} -ge "$jobs" ]; then
      wait "${pids[0]}" || status=1
      pids=("${pids[@]:1}")
    fi
    "$fn" "$a" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || status=1; done
  return $status
}
