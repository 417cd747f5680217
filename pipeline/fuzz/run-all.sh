#!/usr/bin/env bash
# Runs every fuzz target (pipeline: probe, decode, metadata, strip_location;
# api: headers) for SECONDS each, TARGETS_AT_ONCE at a time, and prints one
# line per target: runs, executions, coverage, CPU time and crashes.
# Crashes stay in <crate>/fuzz/artifacts/<target>/; turn each into a
# regression test before fixing it.
#   Usage: pipeline/fuzz/run-all.sh [SECONDS=1800] [TARGETS_AT_ONCE=2]
# Needs cargo-fuzz (cargo install cargo-fuzz) and the nightly-only flags it
# passes, allowed on stable by RUSTC_BOOTSTRAP=1.
set -euo pipefail
seconds=${1:-1800}
at_once=${2:-2}
root=$(cd "$(dirname "$0")/../.." && pwd)
logs=$(mktemp -d)
export RUSTC_BOOTSTRAP=1
targets=(pipeline:probe pipeline:decode pipeline:metadata pipeline:strip_location api:headers)

for crate in pipeline api; do
  [ -d "$root/$crate/fuzz/seeds" ] || "$root/$crate/fuzz/make-seeds.sh" >/dev/null
  (cd "$root/$crate" && cargo fuzz build -O >/dev/null)
done

run() {
  local crate=${1%%:*} target=${1##*:}
  cd "$root/$crate"
  mkdir -p "fuzz/corpus/$target"
  # CPU seconds of this fuzzer alone (user + system), from GNU time.
  /usr/bin/time -f "%U %S" -o "$logs/$target.cpu" \
    cargo fuzz run -O "$target" "fuzz/corpus/$target" fuzz/seeds -- \
      -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=20 -print_final_stats=1 \
      >"$logs/$target.log" 2>&1 || true
}

running=0
for t in "${targets[@]}"; do
  run "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$at_once" ]; then wait -n; running=$((running - 1)); fi
done
wait

printf '%-16s %12s %10s %8s %9s %s\n' target executions exec/s cov cpu_min crashes
for t in "${targets[@]}"; do
  crate=${t%%:*} target=${t##*:}
  log=$logs/$target.log
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo '?')
  cpu=$(awk '{printf "%.1f", ($1 + $2) / 60}' "$logs/$target.cpu" 2>/dev/null || echo '?')
  crashes=$(ls "$root/$crate/fuzz/artifacts/$target" 2>/dev/null | wc -l)
  printf '%-16s %12s %10s %8s %9s %s\n' "$target" "$execs" "$speed" "$cov" "$cpu" "$crashes"
done
echo "logs: $logs"
