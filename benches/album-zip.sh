#!/usr/bin/env bash
# An album of camera-sized photos downloaded as one ZIP
# (GET /api/v1/albums/{id}/download): time, MB/s, and the server's memory
# before and at its peak while the archive streams; the archive is then
# checked by Python's zipfile (every CRC). Embedded defaults (SQLite and a
# local folder), workers off so no rendering competes.
#   Usage: benches/album-zip.sh [PHOTOS=100] [BYTES_EACH=20000000]
set -euo pipefail
photos=${1:-100}
bytes_each=${2:-20000000}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cargo build --release -q --bin darkroom -p darkroom
darkroom=${CARGO_TARGET_DIR:-$root/target}/release/darkroom
work=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT

"$darkroom" serve --data-dir "$work/data" --listen 127.0.0.1:18091 --workers 0 \
  >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 100); do
  grep -q "darkroom is listening" "$work/serve.log" && break
  sleep 0.2
done
token=$(awk '/api token:/ {print $3}' "$work/data/admin-credentials.txt")
api=http://127.0.0.1:18091/api/v1

# Camera-sized JPEGs: a small real JPEG, then bytes after its end (kept, as
# cameras' trailers are), different for every photo.
python3 - "$work/photo.jpg" "$bytes_each" <<'PY'
import sys, zlib
from PIL import Image
Image.new("RGB", (64, 48), (90, 120, 200)).save(sys.argv[1], quality=90)
PY
ids=()
for i in $(seq "$photos"); do
  { cat "$work/photo.jpg"; head -c "$bytes_each" /dev/urandom; } >"$work/upload.jpg"
  id=$(curl -sf -H "Authorization: Bearer $token" -F "file=@$work/upload.jpg;filename=IMG_$((i % 10)).JPG" \
    "$api/assets" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  ids+=("\"$id\"")
done
album=$(curl -sf -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d "{\"name\":\"Bench\",\"asset_ids\":[$(IFS=,; echo "${ids[*]}")]}" "$api/albums" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
rss() { awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$server/status"; }
idle=$(rss)
peak=$idle
start=$(date +%s.%N)
curl -sf -H "Authorization: Bearer $token" -o "$work/album.zip" "$api/albums/$album/download" &
fetch=$!
while kill -0 "$fetch" 2>/dev/null; do
  now=$(rss)
  [ "$now" -gt "$peak" ] && peak=$now
  sleep 0.1
done
wait "$fetch"
end=$(date +%s.%N)
size=$(stat -c %s "$work/album.zip")
python3 - "$work/album.zip" <<'PY'
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
bad = z.testzip()
assert bad is None, bad
names = z.namelist()
assert len(set(n.lower() for n in names)) == len(names)
print(f"zipfile: {len(names)} files, every CRC right, names unique")
PY
awk -v n="$photos" -v s="$size" -v a="$start" -v b="$end" -v i="$idle" -v p="$peak" 'BEGIN {
  t = b - a
  printf "album of %d photos: %.2f GB ZIP in %.1f s (%.0f MB/s); server RSS %d MB idle, %d MB peak while streaming\n",
    n, s / 1e9, t, s / t / 1e6, i, p }'
