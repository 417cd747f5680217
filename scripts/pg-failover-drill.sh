#!/usr/bin/env bash
# A PostgreSQL failover under a stream of uploads, on one machine.
#
# Starts a primary and a synchronous streaming standby (PostgreSQL's own
# binaries, in a scratch folder, on ports 5451/5452), a TCP relay on 5450 as
# the address that follows the primary, and `darkroom serve` on it. Uploads
# run throughout; the primary is SIGKILLed, the standby promoted and the relay
# moved to it. Then every acknowledged upload must be there byte for byte and
# `darkroom fsck` clean. Prints what the clients saw.
#
#   usage: scripts/pg-failover-drill.sh [SECONDS_BEFORE] [SECONDS_AFTER]
# Needs: postgresql (apt), python3, a built darkroom (cargo build --release).
set -euo pipefail

before=${1:-8}
after=${2:-8}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${DARKROOM_BIN:-${CARGO_TARGET_DIR:-$root/target}/release/darkroom}
[ -x "$bin" ] || { echo "build darkroom first (cargo build --release), or set DARKROOM_BIN" >&2; exit 2; }
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
work=$(mktemp -d /tmp/pg-failover.XXXXXX)
chown postgres "$work"
as_pg() { runuser -u postgres -- "$@"; }
log() { printf '%s %s\n' "$(date +%T.%3N)" "$*" >&2; }

cleanup() {
  kill "${server_pid:-}" "${relay_pid:-}" 2>/dev/null || true
  as_pg "$pgbin/pg_ctl" -D "$work/primary" -m immediate stop >/dev/null 2>&1 || true
  as_pg "$pgbin/pg_ctl" -D "$work/standby" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

log "primary: initdb on 5451"
as_pg "$pgbin/initdb" -A trust -U postgres -D "$work/primary" >/dev/null
cat >>"$work/primary/postgresql.conf" <<EOF
port = 5451
listen_addresses = '127.0.0.1'
unix_socket_directories = '$work'
wal_level = replica
max_wal_senders = 4
synchronous_commit = on
EOF
echo "host replication all 127.0.0.1/32 trust" >>"$work/primary/pg_hba.conf"
as_pg "$pgbin/pg_ctl" -D "$work/primary" -l "$work/primary.log" -w start >/dev/null
as_pg "$pgbin/createdb" -h 127.0.0.1 -p 5451 -U postgres darkroom

log "standby: pg_basebackup -R on 5452"
as_pg "$pgbin/pg_basebackup" -h 127.0.0.1 -p 5451 -U postgres -D "$work/standby" -R -X stream -C -S standby1 -c fast
cat >>"$work/standby/postgresql.conf" <<EOF
port = 5452
EOF
# The name the primary's synchronous_standby_names waits for.
echo "primary_conninfo = 'host=127.0.0.1 port=5451 user=postgres application_name=standby1'" \
  >>"$work/standby/postgresql.auto.conf"
as_pg "$pgbin/pg_ctl" -D "$work/standby" -l "$work/standby.log" -w start >/dev/null
# Only now: with no standby yet, every commit would wait for one.
as_pg "$pgbin/psql" -h 127.0.0.1 -p 5451 -U postgres -qc "ALTER SYSTEM SET synchronous_standby_names = 'standby1'"
as_pg "$pgbin/psql" -h 127.0.0.1 -p 5451 -U postgres -qc "SELECT pg_reload_conf()" >/dev/null
for _ in $(seq 50); do
  state=$(as_pg "$pgbin/psql" -h 127.0.0.1 -p 5451 -U postgres -tAc \
    "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby1'")
  [ "$state" = sync ] && break
  sleep 0.2
done
[ "$state" = sync ] || { echo "the standby did not become synchronous" >&2; exit 1; }
log "standby streaming, sync_state = $state"

echo 5451 >"$work/relay-target"
python3 - "$work/relay-target" 5450 <<'PY' &
# The moving address: each new connection goes to the port in the target
# file; SIGUSR1 cuts every open connection (as a moved virtual IP does).
import asyncio, signal, sys
target_file, port = sys.argv[1], int(sys.argv[2])
open_writers = set()
async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except Exception:
        pass
    finally:
        writer.close()
async def handle(client_reader, client_writer):
    target = int(open(target_file).read())
    try:
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", target)
    except OSError:
        client_writer.close()
        return
    open_writers.update({client_writer, server_writer})
    await asyncio.gather(pipe(client_reader, server_writer), pipe(server_reader, client_writer))
    open_writers.difference_update({client_writer, server_writer})
def cut():
    for writer in list(open_writers):
        writer.transport.abort()
    open_writers.clear()
async def main():
    asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, cut)
    server = await asyncio.start_server(handle, "127.0.0.1", port)
    async with server:
        await server.serve_forever()
asyncio.run(main())
PY
relay_pid=$!

export DATABASE_URL=postgres://postgres@127.0.0.1:5450/darkroom
args=(--data-dir "$work/data")
"$bin" serve "${args[@]}" --listen 127.0.0.1:8091 >"$work/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do curl -sf -o /dev/null http://127.0.0.1:8091/readyz && break; sleep 0.2; done
"$bin" admin create-user drill "${args[@]}" >/dev/null
token=$("$bin" admin create-token drill "${args[@]}")

log "uploading for ${before}s, then the failover, then ${after}s more"
python3 - "$token" "$root/pipeline/fuzz/seeds/s3.jpg" "$work/acked" "$work/stop" <<'PY' &
# Uploads distinct JPEGs (one photo with a different trailer after its end
# marker) one after another; records each acknowledged one and counts answers.
import json, os, sys, time, urllib.request, urllib.error
token, seed, acked_file, stop_file = sys.argv[1:5]
photo = open(seed, "rb").read()
counts, first_fail, last_fail, n = {}, None, None, 0
with open(acked_file, "w") as acked:
    while not os.path.exists(stop_file):
        n += 1
        body = photo + b"drill-%d" % n
        request = urllib.request.Request("http://127.0.0.1:8091/api/v1/assets", data=body,
            headers={"Authorization": "Bearer " + token}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                status = response.status
                answer = json.load(response)
        except urllib.error.HTTPError as e:
            status = e.code
        except Exception:
            status = "no answer"
        counts[status] = counts.get(status, 0) + 1
        if status == 201:
            acked.write("%s %d\n" % (answer["id"], n))
            acked.flush()
        else:
            now = time.time()
            first_fail = first_fail or now
            last_fail = now
        time.sleep(0.05)
window = "%.1f s" % (last_fail - first_fail) if first_fail else "none"
print("answers: %s; failures from first to last: %s" % (
    ", ".join("%s: %d" % kv for kv in sorted(counts.items(), key=str)), window))
PY
uploader_pid=$!

sleep "$before"
log "SIGKILL the primary"
kill -9 "$(head -n 1 "$work/primary/postmaster.pid")"
killed_at=$(date +%s.%N)
log "promote the standby and move the address"
as_pg "$pgbin/pg_ctl" -D "$work/standby" -w promote >/dev/null
echo 5452 >"$work/relay-target"
kill -USR1 "$relay_pid"
log "promoted in $(echo "$(date +%s.%N) - $killed_at" | bc) s"
sleep "$after"
touch "$work/stop"
wait "$uploader_pid"

log "checking every acknowledged upload against the promoted standby"
acked=$(wc -l <"$work/acked")
python3 - "$token" "$root/pipeline/fuzz/seeds/s3.jpg" "$work/acked" <<'PY'
import sys, urllib.request
token, seed, acked_file = sys.argv[1:4]
photo = open(seed, "rb").read()
lost = 0
for line in open(acked_file):
    asset, n = line.split()
    request = urllib.request.Request("http://127.0.0.1:8091/api/v1/assets/%s/original" % asset,
        headers={"Authorization": "Bearer " + token})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            same = response.read() == photo + b"drill-%d" % int(n)
    except Exception:
        same = False
    if not same:
        lost += 1
        print("LOST: upload %s (asset %s)" % (n, asset))
print("acknowledged uploads lost: %d" % lost)
sys.exit(1 if lost else 0)
PY
"$bin" fsck "${args[@]}" | tail -n 1
log "$acked uploads acknowledged; the server's log of the failover:"
# Without colours and timestamps, counted.
sed -e 's/\x1b\[[0-9;]*m//g' "$work/serve.log" | grep -E " (WARN|ERROR) |answers again" |
  sed -E 's/^[^ ]+ +//; s/(request_id|after_ms|job_id)=[^ ]+//g' | cut -c1-160 | sort | uniq -c | sort -rn | head -n 8 >&2 || true
