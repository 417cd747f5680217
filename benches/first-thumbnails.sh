#!/usr/bin/env bash
# Time to the first screen of thumbnails in the web gallery, for a library of
# PHOTOS photos (default 10000) spread over ten years.
#
#   benches/first-thumbnails.sh [PHOTOS]
#
# Generates PHOTOS small distinct JPEGs with capture dates once (under
# target/gallery-corpus-PHOTOS), starts a release `darkroom serve` on its
# embedded defaults, imports them, waits until every thumbnail is rendered,
# then opens the gallery in Debian's Chromium five times with an empty cache
# (frontend/e2e/first-thumbnails.mjs): the median time until every tile on
# the first screen shows its thumbnail, and after jumping to the oldest month
# with the scrubber. Needs python3 with Pillow, and chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
photos="${1:-10000}"
corpus="target/gallery-corpus-$photos"
bin="${CARGO_TARGET_DIR:-target}/release/darkroom"
cargo build --release -q

if [ ! -f "$corpus/.done" ]; then
  echo "generating $photos JPEGs in $corpus …"
  python3 - "$corpus" "$photos" <<'PY'
import datetime, os, sys
from PIL import Image
root, n = sys.argv[1], int(sys.argv[2])
start = datetime.datetime(2016, 1, 1)
for i in range(n):
    folder = os.path.join(root, f"{i // 1000:04d}")
    if i % 1000 == 0:
        os.makedirs(folder, exist_ok=True)
    # Landscape, portrait and square frames; every file different.
    size = [(320, 213), (213, 320), (320, 240), (256, 256)][i % 4]
    img = Image.new("RGB", size, ((i * 37) & 255, (i * 91) & 255, (i * 13) & 255))
    img.putpixel((i % size[0], (i // size[0]) % size[1]), (255, 255, 255))
    taken = start + datetime.timedelta(hours=i * 87600 / n * 1.0)  # ten years
    exif = Image.Exif()
    exif[306] = taken.strftime("%Y:%m:%d %H:%M:%S")  # DateTime
    img.save(os.path.join(folder, f"IMG_{i:06d}.jpg"), quality=85, exif=exif.tobytes())
PY
  touch "$corpus/.done"
fi

data=$(mktemp -d)
trap 'kill $server 2>/dev/null; rm -rf "$data"' EXIT
"$bin" admin create-user bench --admin --data-dir "$data" >/dev/null 2>&1
token=$("$bin" admin create-token bench --data-dir "$data")
password="first-thumbnails-bench"
echo "$password" | "$bin" admin set-password bench --data-dir "$data" 2>/dev/null
DARKROOM_REQUESTS_PER_MINUTE=0 DARKROOM_LOG_FORMAT=plain "$bin" serve --data-dir "$data" \
  --listen 127.0.0.1:18766 >"$data/serve.log" 2>&1 &
server=$!
for _ in $(seq 50); do curl -fs http://127.0.0.1:18766/healthz >/dev/null && break; sleep 0.2; done

"$bin" import "$corpus" --server http://127.0.0.1:18766 --token "$token" --json >"$data/import.json"
echo "imported: $(python3 -c "import json,sys; s=json.load(open(sys.argv[1])); print(s['uploaded'], 'photos in', round(s['seconds'],1), 's')" "$data/import.json")"
echo -n "rendering thumbnails"
while :; do
  left=$(curl -fs -H "Authorization: Bearer $token" http://127.0.0.1:18766/api/v1/admin/jobs?limit=1 |
    python3 -c "import json,sys; c=json.load(sys.stdin)['counts']; print(c['queued'] + c['running'])")
  [ "$left" = 0 ] && break
  echo -n "."; sleep 5
done
echo " done"

cd frontend
DARKROOM_E2E_BASE=http://127.0.0.1:18766 DARKROOM_E2E_USER=bench DARKROOM_E2E_PASSWORD="$password" \
  node e2e/first-thumbnails.mjs
