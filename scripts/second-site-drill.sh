#!/usr/bin/env bash
# The primary blob store's gateway killed under load, with a second site.
#
# Runs `darkroom serve` on PostgreSQL with Ceph's S3 gateway as the primary
# blob store and a local folder as the second site (`--replica-blobs`), and
# keeps uploading and reading originals and thumbnails. The RADOS Gateway is
# SIGKILLed, left dead for DOWN seconds, and started again. Then every
# acknowledged upload must be on the primary again (the replication backlog
# empty, `darkroom fsck` clean) and served byte for byte. Prints what the
# clients saw while the gateway was dead.
#
#   usage: scripts/second-site-drill.sh [DOWN_SECONDS]
# Needs what scripts/test-services.sh starts, and a built darkroom.
set -euo pipefail

down=${1:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${DARKROOM_BIN:-${CARGO_TARGET_DIR:-$root/target}/release/darkroom}
[ -x "$bin" ] || { echo "build darkroom first (cargo build --release), or set DARKROOM_BIN" >&2; exit 2; }
eval "$("$root/scripts/test-services.sh")"
work=$(mktemp -d /tmp/second-site.XXXXXX)
log() { printf '%s %s\n' "$(date +%T.%3N)" "$*" >&2; }
cleanup() { kill "${server_pid:-}" 2>/dev/null || true; cp "$work/serve.log" /tmp/second-site-serve.log 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

db=drill_$(date +%s)
psql "$DARKROOM_TEST_DATABASE_URL" -qc "CREATE DATABASE $db"
export DATABASE_URL=${DARKROOM_TEST_DATABASE_URL%/*}/$db
args=(--data-dir "$work/data" --blobs "s3://$DARKROOM_TEST_S3_BUCKET/drill-$db?endpoint=$DARKROOM_TEST_S3_ENDPOINT"
  --replica-blobs "$work/second-site")
"$bin" serve "${args[@]}" --listen 127.0.0.1:8092 >"$work/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do curl -sf -o /dev/null http://127.0.0.1:8092/readyz && break; sleep 0.2; done
"$bin" admin create-user drill "${args[@]}" >/dev/null
token=$("$bin" admin create-token drill "${args[@]}")

python3 - "$token" "$root/pipeline/fuzz/seeds/s3.jpg" "$work" <<'PY' &
# Uploads distinct JPEGs one after another and, between them, reads the
# original and thumbnail of an earlier one; counts the answers in three
# periods (before, during and after the outage, as the marker files say).
import json, os, random, sys, time, urllib.request, urllib.error
token, seed, work = sys.argv[1:4]
photo = open(seed, "rb").read()
def call(method, path, body=None):
    request = urllib.request.Request("http://127.0.0.1:8092" + path, data=body, method=method,
        headers={"Authorization": "Bearer " + token})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except Exception:
        return "no answer", b""
counts, acked, n, slowest = {}, [], 0, {}
def count(period, what, status, spent):
    key = (period, what, status)
    counts[key] = counts.get(key, 0) + 1
    slowest[(period, what)] = max(slowest.get((period, what), 0), spent)
with open(os.path.join(work, "acked"), "w") as acked_file:
    while not os.path.exists(os.path.join(work, "stop")):
        period = "after" if os.path.exists(os.path.join(work, "up")) else \
                 "during" if os.path.exists(os.path.join(work, "down")) else "before"
        n += 1
        started = time.time()
        status, body = call("POST", "/api/v1/assets", photo + b"second-site-%d" % n)
        count(period, "upload", status, time.time() - started)
        if status == 201:
            asset = json.loads(body)["id"]
            acked.append((asset, n))
            acked_file.write("%s %d\n" % (asset, n))
            acked_file.flush()
        if acked:
            asset, m = random.choice(acked)
            started = time.time()
            status, body = call("GET", "/api/v1/assets/%s/original" % asset)
            if status == 200 and body != photo + b"second-site-%d" % m:
                status = "WRONG BYTES"
            count(period, "original", status, time.time() - started)
            started = time.time()
            status, _ = call("GET", "/api/v1/assets/%s/renditions/thumb" % asset)
            count(period, "thumbnail", status, time.time() - started)
        time.sleep(0.05)
for period in ("before", "during", "after"):
    for what in ("upload", "original", "thumbnail"):
        answers = ", ".join("%s: %d" % (k[2], v) for k, v in sorted(counts.items(), key=str)
                            if k[0] == period and k[1] == what)
        if answers:
            print("%-6s the gateway died  %-9s %s (slowest %.2f s)" % (
                period, what, answers, slowest[(period, what)]))
PY
client_pid=$!

sleep 8
log "SIGKILL the RADOS Gateway for ${down}s"
kill -9 "$(cat "${CEPH_BASE:-/tmp/darkroom-ceph}/run/rgw.a.spawned.pid")"
touch "$work/down"
sleep "$down"
log "starting the gateway again"
"$root/scripts/ceph-s3.sh" restart-rgw
touch "$work/up"
sleep 8
touch "$work/stop"
wait "$client_pid"

started=$(date +%s.%N)
until [ "$(psql "$DATABASE_URL" -tAc "SELECT COUNT(*) FROM blobs WHERE ref_count > 0 AND replicated_at IS NULL")" = 0 ]; do
  sleep 0.5
done
log "replication backlog empty $(echo "$(date +%s.%N) - $started" | bc) s after the clients stopped"
"$bin" fsck "${args[@]}" | tail -n 1
lost=0
while read -r asset n; do
  curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:8092/api/v1/assets/$asset/original" -o "$work/got" || { lost=$((lost + 1)); continue; }
  { cat "$root/pipeline/fuzz/seeds/s3.jpg"; printf 'second-site-%d' "$n"; } | cmp -s - "$work/got" || lost=$((lost + 1))
done <"$work/acked"
echo "$(wc -l <"$work/acked") uploads acknowledged, $lost lost"
sed -e 's/\x1b\[[0-9;]*m//g' "$work/serve.log" | grep -E "second site|answers again" | sed -E 's/^[^ ]+ +//' | cut -c1-200 | sort | uniq -c >&2 || true
psql "${DARKROOM_TEST_DATABASE_URL}" -qc "DROP DATABASE $db WITH (FORCE)" || true
[ "$lost" = 0 ]
