#!/usr/bin/env bash
# A darkroom cluster on one machine, under load, restarted while it works.
#
# Starts PostgreSQL and Ceph's S3 gateway (scripts/test-services.sh), nginx
# as the load balancer in front of two `darkroom serve --workers 0`
# processes, and two `darkroom worker` processes, all on loopback. A health
# checker plays the balancer's active checks (nginx without Plus has none):
# it polls each API's /readyz and takes a draining process out of the
# upstream (nginx -s reload) before its listener closes.
#
# Then `cluster-load` (benches/src/cluster_load.rs) drives mixed traffic from
# CLIENTS concurrent clients for MINUTES minutes while this script restarts
# every API and worker process one at a time (SIGTERM, start again), kills
# one worker with SIGKILL, and near the end restarts PostgreSQL. Afterwards
# it checks every acknowledged upload (bytes and renditions), that no render
# job was completed twice, and prints the peak RSS of every process, and
# render jobs/s with one worker process against two.
#
#   usage: scripts/cluster.sh [MINUTES (5)] [CLIENTS (200)]
# Needs root (apt-get for nginx, PostgreSQL and Ceph when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${1:-5}
CLIENTS=${2:-200}
WORK=${CLUSTER_DIR:-/tmp/darkroom-cluster}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/darkroom-target}
BIN=$CARGO_TARGET_DIR/release/darkroom
LOAD=$CARGO_TARGET_DIR/release/cluster-load
LB_PORT=18000
API_PORTS=(18001 18002)
API_METRICS=(19001 19002)
WORKER_METRICS=(19011 19012)
log() { printf '%(%T)T cluster: %s\n' -1 "$*" >&2; }
T0=$(date +%s)
event() { echo "$(($(date +%s) - T0)) $*" >>"$WORK/events"; log "$*"; }

command -v nginx >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx >&2; }
log "building release binaries"
cargo build --release -q --bin darkroom --bin darkroom-helper
cargo build --release -q -p darkroom-benches --bin cluster-load

eval "$(scripts/test-services.sh)"
rm -rf "$WORK" && mkdir -p "$WORK/logs"
: >"$WORK/events"
DB=darkroom_cluster_$(date +%s)
su postgres -c "createdb -O darkroom $DB"
export DATABASE_URL=${DARKROOM_TEST_DATABASE_URL%/*}/$DB
export DARKROOM_BLOBS="s3://$DARKROOM_TEST_S3_BUCKET/cluster-$(date +%s)?endpoint=$DARKROOM_TEST_S3_ENDPOINT"
export DARKROOM_DATA_DIR=$WORK/data
export DARKROOM_LOG_FORMAT=json
export NO_COLOR=1
"$BIN" migrate >/dev/null

# Users and tokens: 20 photographers, so that per-token rate limits stay as
# they are in production.
: >"$WORK/tokens"
for i in $(seq 1 20); do
  "$BIN" admin create-user "photographer$i" >/dev/null
  "$BIN" admin create-token "photographer$i" >>"$WORK/tokens"
done
"$BIN" admin create-user ops --admin >/dev/null
ADMIN=$("$BIN" admin create-token ops --scope admin)

declare -A PIDS
start_api() { # start_api N
  local n=$1
  "$BIN" serve --workers 0 --listen "127.0.0.1:${API_PORTS[$n]}" \
    --metrics-listen "127.0.0.1:${API_METRICS[$n]}" --drain-secs 5 --stop-timeout-secs 30 \
    >>"$WORK/logs/api$n.out" 2>>"$WORK/logs/api$n.log" &
  PIDS[api$n]=$!
  for _ in $(seq 1 100); do
    curl -sf -o /dev/null "http://127.0.0.1:${API_PORTS[$n]}/readyz" && return 0
    sleep 0.1
  done
  log "api$n did not become ready"; return 1
}
start_worker() { # start_worker N
  local n=$1
  "$BIN" worker --workers 2 --job-lease-secs 15 --metrics-listen "127.0.0.1:${WORKER_METRICS[$n]}" \
    --stop-timeout-secs 20 >>"$WORK/logs/worker$n.out" 2>>"$WORK/logs/worker$n.log" &
  PIDS[worker$n]=$!
}
peak_rss() { # peak_rss NAME: records the process' VmHWM before it goes
  local pid=${PIDS[$1]}
  local kb; kb=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
  echo "$1 $pid $kb" >>"$WORK/rss"
}
restart() { # restart NAME SIGNAL
  local name=$1 signal=$2 pid=${PIDS[$1]}
  peak_rss "$name"
  event "restart $name (pid $pid) with SIG$signal"
  kill "-$signal" "$pid"
  wait "$pid" 2>/dev/null || true
  case $name in
    api*) start_api "${name#api}" ;;
    worker*) start_worker "${name#worker}" ;;
  esac
  event "$name is back (pid ${PIDS[$name]})"
}

# nginx: the upstream lists the APIs whose /readyz answers 200.
write_upstream() {
  {
    echo "upstream darkroom {"
    local any=0
    for n in 0 1; do
      if curl -sf -m 1 -o /dev/null "http://127.0.0.1:${API_PORTS[$n]}/readyz"; then
        echo "  server 127.0.0.1:${API_PORTS[$n]};"; any=1
      fi
    done
    # Never an empty upstream (nginx would refuse the configuration).
    [ $any = 1 ] || echo "  server 127.0.0.1:${API_PORTS[0]};"
    echo "}"
  } >"$WORK/upstream.conf.new"
  if ! cmp -s "$WORK/upstream.conf.new" "$WORK/upstream.conf" 2>/dev/null; then
    mv "$WORK/upstream.conf.new" "$WORK/upstream.conf"
    [ -f "$WORK/nginx.pid" ] && nginx -c "$WORK/nginx.conf" -s reload 2>>"$WORK/logs/nginx.err"
    event "balancer: $(grep -c server "$WORK/upstream.conf") upstream(s): $(grep -o '180[0-9]*' "$WORK/upstream.conf" | tr '\n' ' ')"
  fi
  return 0
}
cat >"$WORK/nginx.conf" <<NGINX
user root;
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/logs/nginx.err warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_max_body_size 1g;
  # No keep-alive towards the clients: a reload (the health checker's way of
  # taking an API out) closes the old workers' idle client connections, and
  # a client that sends on one at that moment gets a reset that no server
  # saw. Real balancers change their pools without that; here each request
  # has a connection of its own, so every failure counted is darkroom's.
  keepalive_timeout 0;
  client_body_temp_path $WORK/nginx-body;
  proxy_temp_path $WORK/nginx-proxy;
  include $WORK/upstream.conf;
  server {
    listen 127.0.0.1:$LB_PORT;
    location / {
      proxy_pass http://darkroom;
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$remote_addr;
      # A connection refused is retried on the other API (also for POST:
      # nothing was sent); an answer, once a request was sent, is not.
      proxy_next_upstream error timeout;
      proxy_read_timeout 120s;
    }
  }
}
NGINX

log "starting two APIs, two workers and nginx"
start_api 0; start_api 1; start_worker 0; start_worker 1
write_upstream
nginx -c "$WORK/nginx.conf"
( while true; do write_upstream; sleep 0.25; done ) &
CHECKER=$!
cleanup() {
  kill "$CHECKER" 2>/dev/null || true
  nginx -c "$WORK/nginx.conf" -s stop 2>/dev/null || true
  for name in "${!PIDS[@]}"; do kill -TERM "${PIDS[$name]}" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

SECONDS_TOTAL=$((MINUTES * 60))
event "load: $CLIENTS clients for $SECONDS_TOTAL s"
"$LOAD" --url "http://127.0.0.1:$LB_PORT" --tokens-file "$WORK/tokens" --clients "$CLIENTS" \
  --seconds "$SECONDS_TOTAL" --photos ../shared/corpus/camera --out "$WORK/load.json" \
  --verify-after 600 >"$WORK/load.txt" 2>&1 &
LOAD_PID=$!

# The restarts, spread over the run: every process once, one at a time;
# then the engines underneath, which no rolling release spares users from.
step=$((SECONDS_TOTAL / 8))
sleep "$step"; restart api0 TERM
sleep "$step"; restart worker0 TERM
sleep "$step"; restart api1 TERM
sleep "$step"; restart worker1 TERM
sleep "$step"; restart worker0 KILL
sleep "$step"
PG_VERSION=$(ls /etc/postgresql | sort -V | tail -n 1)
event "PostgreSQL restart (pg_ctlcluster $PG_VERSION main restart)"
pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" main restart
event "PostgreSQL is back"
sleep "$step"
event "Ceph RADOS Gateway restart"
CEPH_BASE=${DARKROOM_TEST_CEPH_BASE:-/tmp/darkroom-ceph} RGW_PORT=${DARKROOM_TEST_S3_PORT:-7480} \
  scripts/ceph-s3.sh restart-rgw 2>>"$WORK/logs/ceph.log"
event "Ceph RADOS Gateway is back"
wait "$LOAD_PID"
event "load finished"
cat "$WORK/load.txt"

for name in api0 api1 worker0 worker1; do peak_rss "$name"; done

# Each render job completed once: a worker logs "job done" with the job's id.
python3 - "$WORK/logs" <<'PY'
import json, sys, glob, collections
done = collections.Counter()
for path in glob.glob(sys.argv[1] + "/worker*.log"):
    for line in open(path, errors="replace"):
        if '"job done"' not in line:
            continue
        try:
            event = json.loads(line)
        except ValueError:
            continue
        job = event.get("job_id") or (event.get("span") or {}).get("job_id")
        if job:
            done[job] += 1
twice = [j for j, n in done.items() if n > 1]
print(f"jobs completed: {len(done)}; completed more than once: {len(twice)} {twice[:5]}")
PY

echo "peak RSS (KiB) of every process incarnation:"
sort "$WORK/rss" | awk '{printf "  %-8s pid %-7s %8d KiB\n", $1, $2, $3}'
echo "events (seconds from start):"
cat "$WORK/events"

# Render throughput: one worker process, then two, on a fresh batch each.
throughput() { # throughput N_WORKERS
  local n=$1 batch=40
  for name in worker0 worker1; do kill -TERM "${PIDS[$name]}" 2>/dev/null || true; done
  wait "${PIDS[worker0]}" "${PIDS[worker1]}" 2>/dev/null || true
  "$LOAD" --url "http://127.0.0.1:$LB_PORT" --tokens-file "$WORK/tokens" --clients 8 --seconds 20 \
    --uploads-per-sec $((batch / 20)) --duplicate-share 0 --photos ../shared/corpus/camera >/dev/null 2>&1
  local queued; queued=$(curl -s -H "Authorization: Bearer $ADMIN" "http://127.0.0.1:$LB_PORT/api/v1/admin/jobs?limit=1" |
    python3 -c 'import json,sys; c=json.load(sys.stdin)["counts"]; print(c["queued"]+c["running"])')
  local start; start=$(date +%s.%N)
  start_worker 0; [ "$n" = 2 ] && start_worker 1
  while true; do
    local left; left=$(curl -s -H "Authorization: Bearer $ADMIN" "http://127.0.0.1:$LB_PORT/api/v1/admin/jobs?limit=1" |
      python3 -c 'import json,sys; c=json.load(sys.stdin)["counts"]; print(c["queued"]+c["running"])')
    [ "$left" = 0 ] && break
    sleep 0.5
  done
  python3 -c "import time; s=time.time()-$start; print(f'render throughput, $n worker process(es) x 2 threads: {$queued} jobs in {s:.1f} s = {$queued/s:.2f} jobs/s')"
}
throughput 1
throughput 2
