#!/usr/bin/env bash
# `darkroom blobs migrate` from a local folder into Ceph's S3 gateway (the
# test servers, scripts/test-services.sh), for many small blobs and for
# camera-sized ones: blobs/s, MB/s and peak memory of the copy, then of a
# second run that finds everything there already.
#   Usage: benches/blob-migrate.sh [SMALL_COUNT=100000] [SMALL_BYTES=4096]
#                                  [LARGE_COUNT=60] [LARGE_BYTES=20000000]
set -euo pipefail
small_count=${1:-100000}
small_bytes=${2:-4096}
large_count=${3:-60}
large_bytes=${4:-20000000}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
eval "$(scripts/test-services.sh)"
cargo build --release -q --bin darkroom -p darkroom
cargo build --release -q -p darkroom-benches --bin make-blobs
target=${CARGO_TARGET_DIR:-$root/target}/release
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

run() { # LABEL DIR COUNT BYTES
  local label=$1 dir=$2 count=$3 bytes=$4
  "$target/make-blobs" "$dir/blobs" "$count" "$bytes"
  local to="s3://$DARKROOM_TEST_S3_BUCKET/bench-$(date +%s%N)?endpoint=$DARKROOM_TEST_S3_ENDPOINT"
  for pass in first second; do
    /usr/bin/time -f "%e %M" -o "$work/time" \
      "$target/darkroom" blobs migrate --to "$to" --data-dir "$dir" >"$work/out"
    read -r secs rss_kib <"$work/time"
    awk -v l="$label" -v p="$pass" -v n="$count" -v b="$bytes" -v s="$secs" -v r="$rss_kib" 'BEGIN {
      mbs = (p == "first") ? sprintf("%8.1f MB/s", n * b / s / 1e6) : "           -";
      printf "%-28s %-6s %7d blobs %7.1f s %8.0f blobs/s %s %5d MB peak RSS\n", l, p, n, s, n / s, mbs, r / 1024 }'
    sed 's/^/    /' "$work/out"
  done
}

run "small ($small_bytes B)" "$work/small" "$small_count" "$small_bytes"
run "small, a tenth" "$work/tenth" "$((small_count / 10))" "$small_bytes"
run "camera-sized ($large_bytes B)" "$work/large" "$large_count" "$large_bytes"
