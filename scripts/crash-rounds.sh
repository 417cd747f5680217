#!/usr/bin/env bash
# The randomized crash test (tests/cli/crash_rounds.rs) run long, on SQLite +
# folder and on PostgreSQL + Ceph: ROUNDS rounds of uploads, edits, trash,
# restore, purge and gc against real processes SIGKILLed at random moments.
# Prints each backend's figures: rounds, SIGKILLs, uploads acknowledged,
# fsck findings, uploads lost, jobs by state; the seed repeats a run.
#   Usage: scripts/crash-rounds.sh [ROUNDS=50] [SEED]
set -euo pipefail
cd "$(dirname "$0")/.."
export DARKROOM_CRASH_ROUNDS=${1:-50}
[ -n "${2:-}" ] && export DARKROOM_CRASH_SEED=$2
eval "$(scripts/test-services.sh)"
cargo test -q --test cli crash_rounds -- --nocapture --test-threads 1 2>&1 |
  grep -E '^(crash rounds|test |thread|SKIPPED)|panicked|FAILED|test result'
