#!/usr/bin/env bash
# Instructions per operation of runtime_bench benchmarks, from callgrind (the
# machine-independent measure; wall-clock figures on a shared VM are noisy):
#
#   bench/primitive_instructions.sh BINARY [FILTER] [N1] [N2]
#
# Runs each benchmark matching FILTER (a --benchmark_filter regex, default
# everything) twice under valgrind --tool=callgrind, for exactly N1 and N2
# iterations (RUNTIME_BENCH_ITERATIONS, default 2000 and 12000), and prints
# (Ir(N2) - Ir(N1)) / (N2 - N1): the start-up and the loop's set-up cancel out.
# Divide by 1000 for the per-task figure of the *1000 benchmarks.
set -euo pipefail
bin="${1:?usage: $0 BINARY [FILTER] [N1] [N2]}"
filter="${2:-.}"
n1="${3:-2000}"
n2="${4:-12000}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
ir_of() {  # benchmark iterations
  RUNTIME_BENCH_ITERATIONS="$2" valgrind --tool=callgrind --callgrind-out-file="$tmp/out" \
    "$bin" --benchmark_filter="^$1(/|$)" >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
  sed -n 's/^summary: //p' "$tmp/out"
}
for name in $("$bin" --benchmark_list_tests --benchmark_filter="$filter"); do
  a="$(ir_of "$name" "$n1")"
  b="$(ir_of "$name" "$n2")"
  echo "$name $(( (b - a) / (n2 - n1) )) instructions/op"
done
