#!/usr/bin/env bash
# How fast does `darkroom import` move an archive of many small files?
#
#   benches/import-bench.sh [FILES]        (default 100000)
#
# Generates FILES distinct small JPEGs (about 1–2 KB each, in folders of 1000)
# once under target/import-corpus-FILES, starts a release `darkroom serve` on
# its embedded defaults (SQLite + local folder) with rendering off (this
# measures ingest, not thumbnails), imports the folder over loopback, then
# imports it again (nothing to send). Prints files/s, MB/s and the importer's
# peak memory for both runs. Needs python3 with Pillow.
set -euo pipefail
cd "$(dirname "$0")/.."
files="${1:-100000}"
corpus="target/import-corpus-$files"
bin="${CARGO_TARGET_DIR:-target}/release/darkroom"
cargo build --release -q

if [ ! -f "$corpus/.done" ]; then
  echo "generating $files JPEGs in $corpus …"
  python3 - "$corpus" "$files" <<'PY'
import io, os, sys
from PIL import Image
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    folder = os.path.join(root, f"{i // 1000:04d}")
    if i % 1000 == 0:
        os.makedirs(folder, exist_ok=True)
    # 24x24 pixels whose values spell i: every file different.
    img = Image.new("RGB", (24, 24), ((i >> 16) & 255, (i >> 8) & 255, i & 255))
    img.putpixel((i % 24, (i // 24) % 24), (255 - (i & 255), 0, 0))
    img.save(os.path.join(folder, f"IMG_{i:06d}.jpg"), quality=90)
PY
  touch "$corpus/.done"
fi
bytes=$(du -sb "$corpus" | cut -f1)
echo "corpus: $files files, $((bytes / 1000000)) MB"

data=$(mktemp -d)
trap 'kill $server 2>/dev/null; rm -rf "$data"' EXIT
"$bin" admin create-user bench --data-dir "$data" >/dev/null
token=$("$bin" admin create-token bench --data-dir "$data")
# The per-token request limit (100/s by default) would set the pace; this
# measures the importer and the ingest path, so it is lifted here.
DARKROOM_REQUESTS_PER_MINUTE="${DARKROOM_REQUESTS_PER_MINUTE:-0}" DARKROOM_LOG_FORMAT=plain "$bin" serve --data-dir "$data" --listen 127.0.0.1:18765 --workers 0 \
  >"$data/serve.log" 2>&1 &
server=$!
for _ in $(seq 50); do curl -fs http://127.0.0.1:18765/healthz >/dev/null && break; sleep 0.2; done

for run in first second; do
  /usr/bin/time -f "%M" -o "$data/rss" "$bin" import "$corpus" --server http://127.0.0.1:18765 \
    --token "$token" --json --concurrency 8 >"$data/summary" || true
  python3 - "$data/summary" "$(cat "$data/rss")" "$run" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print(f"{sys.argv[3]:>6} run: {s['found']} files in {s['seconds']:.1f} s = {s['files_per_second']:.0f} files/s, "
      f"{s['uploaded_bytes'] / 1e6 / s['seconds']:.1f} MB/s; uploaded {s['uploaded']}, "
      f"already there {s['already_there'] + s['duplicates']}, hashed {s['hashed']}, failed {s['failed']}; "
      f"importer peak RSS {int(sys.argv[2]) // 1024} MB")
PY
done
