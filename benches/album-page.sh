#!/usr/bin/env bash
# A 5 000-photo album's web page: the server, an album of distinct small
# JPEGs with their thumbnails rendered, then benches/album-page.mjs in
# headless Chromium (time to first photos, tiles in the DOM, scrolling).
#   Usage: benches/album-page.sh [PHOTOS=5000]
# DARKROOM_BIN picks the binary (default: a release build).
set -euo pipefail
photos=${1:-5000}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if [ -z "${DARKROOM_BIN:-}" ]; then
  cargo build --release -q --bin darkroom -p darkroom
  DARKROOM_BIN=${CARGO_TARGET_DIR:-$root/target}/release/darkroom
fi
work=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
# The account's rate limit raised: 5 000 uploads are not what is measured.
DARKROOM_REQUESTS_PER_MINUTE=1000000 \
  "$DARKROOM_BIN" serve --data-dir "$work/data" --listen 127.0.0.1:18092 --workers 2 \
  >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 150); do
  grep -q "darkroom is listening" "$work/serve.log" && break
  sleep 0.2
done
grep -q "darkroom is listening" "$work/serve.log" || { cat "$work/serve.log"; exit 1; }
token=$(awk '/api token:/ {print $3}' "$work/data/admin-credentials.txt")
echo "album-page-bench" | "$DARKROOM_BIN" admin set-password admin --data-dir "$work/data" 2>/dev/null
album=$(python3 - "$token" "$photos" <<'PY'
import io, json, os, sys, time, urllib.request
from concurrent.futures import ThreadPoolExecutor
from PIL import Image
token, photos = sys.argv[1], int(sys.argv[2])
api = "http://127.0.0.1:18092/api/v1"
import urllib.error
def call(method, path, body=None, content_type="application/json"):
    req = urllib.request.Request(api + path, data=body, method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": content_type})
    while True:
        try:
            with urllib.request.urlopen(req) as r:
                return json.load(r)
        except urllib.error.HTTPError as e:
            # The account's rate limit: wait as told.
            if e.code != 429:
                raise
            time.sleep(float(e.headers.get("Retry-After", "1")))
def upload(i):
    out = io.BytesIO()
    w, h = (160, 120) if i % 3 else (120, 160)
    # Noise: every photo's bytes differ (plain colours can encode alike,
    # and the same bytes twice are one photo).
    Image.frombytes("RGB", (w, h), os.urandom(w * h * 3)).save(out, "JPEG", quality=85)
    boundary = "darkroom-bench"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p{i}.jpg\"\r\n"
            "Content-Type: image/jpeg\r\n\r\n").encode() + out.getvalue() + f"\r\n--{boundary}--\r\n".encode()
    return call("POST", "/assets", body, f"multipart/form-data; boundary={boundary}")["id"]
t0 = time.time()
with ThreadPoolExecutor(8) as pool:
    ids = list(pool.map(upload, range(photos)))
album = call("POST", "/albums", json.dumps({"name": "Big album", "asset_ids": ids}).encode())
assert album["asset_count"] == photos, f"{album['asset_count']} distinct photos of {photos}"
album = album["id"]
print(f"uploaded {photos} photos in {time.time() - t0:.0f} s", file=sys.stderr)
# Wait for every thumbnail.
while True:
    ready, cursor = 0, None
    while True:
        page = call("GET", f"/albums/{album}/assets?limit=1000" + (f"&cursor={cursor}" if cursor else ""))
        ready += sum(1 for a in page["assets"] if a["renditions"][0]["status"] == "ready")
        cursor = page["next_cursor"]
        if not cursor:
            break
    if ready >= photos:
        break
    time.sleep(2)
print(f"rendered in {time.time() - t0:.0f} s", file=sys.stderr)
print(album)
PY
)
node benches/album-page.mjs http://127.0.0.1:18092 admin album-page-bench "$album"
