#!/usr/bin/env bash
# Minimal single-node Ceph (Pacific 16.2, Debian 12 packages) + RADOS Gateway, the S3 engine the
# PostgreSQL + S3 half of the tests runs on (scripts/test-services.sh starts it; so can you).
# From ../shared/tools/ceph-s3.sh, with state kept outside the checkout by default.
# Made for and tried on Debian 12 (Ceph 16.2.15): start 2-3 s after install; S3 at http://127.0.0.1:$RGW_PORT.
# Findings on this RGW: If-None-Match: * is honoured on a plain PUT (412) but ignored on
# CompleteMultipartUpload; UploadPartCopy without a body answers 411; If-Match with a quoted ETag always
# answers 412; CompleteMultipartUpload returns an empty ETag.
#   usage: ceph-s3.sh start|stop|status|restart-rgw
# Needs: apt-get install --no-install-recommends ceph-mon ceph-osd radosgw [ceph-mgr]
# Env knobs (defaults in brackets):
#   CEPH_BASE [/tmp/darkroom-ceph]     all state, logs, pid files, sockets (an absolute path is safest)
#   STORE     [memstore]               memstore (RAM, lost on stop) | bluestore (sparse file)
#   STORE_GB  [4]                      memstore capacity / bluestore file size
#   MON_PORT  [40300]                  msgr2 port; msgr1 uses MON_PORT+1
#   RGW_PORT  [7480]                   S3 endpoint http://127.0.0.1:$RGW_PORT
#   WITH_MGR  [0]                      1 = also start a ceph-mgr (not needed by RGW)
#   S3_ACCESS_KEY [testaccesskey] S3_SECRET_KEY [testsecretkey]
set -euo pipefail

BASE=${CEPH_BASE:-/tmp/darkroom-ceph}
STORE=${STORE:-memstore}
STORE_GB=${STORE_GB:-4}
MON_PORT=${MON_PORT:-40300}
RGW_PORT=${RGW_PORT:-7480}
WITH_MGR=${WITH_MGR:-0}
ACCESS=${S3_ACCESS_KEY:-testaccesskey}
SECRET=${S3_SECRET_KEY:-testsecretkey}
CONF=$BASE/ceph.conf
CEPH="ceph -c $CONF --connect-timeout 20"

log() { printf '%(%T)T %s\n' -1 "$*" >&2; }

wait_for() { # wait_for <seconds> <description> <command...>; fails early if a daemon died
  local t=$1 what=$2 f; shift 2
  for ((i = 0; i < t * 2; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    for f in "$BASE"/run/*.spawned.pid; do
      kill -0 "$(cat "$f")" 2>/dev/null && continue
      local n; n=$(basename "$f" .spawned.pid)
      log "$n exited while waiting for $what:"
      tail -q -n 5 "$BASE/log/$n.out" "$BASE"/log/*"$n.log" >&2; return 1
    done
    sleep 0.5
  done
  log "TIMEOUT waiting for $what"; return 1
}

# Start a daemon in the foreground (-f), backgrounded by us; remember its PID.
spawn() { # spawn <name> <cmd...>
  local name=$1; shift
  "$@" -f >"$BASE/log/$name.out" 2>&1 &
  echo $! >"$BASE/run/$name.spawned.pid"
}

write_conf() {
  local bytes=$((STORE_GB * 1024 * 1024 * 1024))
  cat >"$CONF" <<EOF
[global]
fsid = $FSID
mon_host = [v2:127.0.0.1:$MON_PORT,v1:127.0.0.1:$((MON_PORT + 1))]
public_addr = 127.0.0.1
cluster_addr = 127.0.0.1
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
# radosgw/ceph-mgr default to ms_mon_client_mode=secure, which needs cephx
ms_mon_client_mode = crc secure
keyring = $BASE/keyring
run_dir = $BASE/run
crash_dir = $BASE/crash
admin_socket = $BASE/run/\$name.asok
pid_file = $BASE/run/\$name.pid
log_file = $BASE/log/\$name.log
log_to_stderr = false
err_to_stderr = true
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
osd_crush_chooseleaf_type = 0
mon_allow_pool_size_one = true
mon_allow_pool_delete = true
mon_max_pg_per_osd = 1000
mon_warn_on_pool_no_redundancy = false
mon_warn_on_insecure_global_id_reclaim_allowed = false
ms_bind_port_min = $((MON_PORT + 10))
ms_bind_port_max = $((MON_PORT + 99))

[mon]
# default 1 s per paxos proposal; RGW bootstrap does ~10 sequential mon commands
paxos_propose_interval = 0.05
paxos_min_wait = 0.01
mon_data = $BASE/mon.\$id
mon_data_avail_warn = 2
mon_data_avail_crit = 1

[mgr]
mgr_data = $BASE/mgr.\$id

[osd]
osd_data = $BASE/osd.\$id
osd_objectstore = $STORE
memstore_device_bytes = $bytes
bluestore_block_path = $BASE/osd.\$id/block.file
bluestore_block_create = true
bluestore_block_size = $bytes
bluestore_fsck_on_mount = false
osd_memory_target = 1073741824
bluestore_cache_autotune = false
bluestore_cache_size = 268435456

[client.rgw.a]
# tcp_nodelay=1: without it many requests stall ~40 ms (Nagle + delayed ACK)
rgw_frontends = beast endpoint=127.0.0.1:$RGW_PORT tcp_nodelay=1
rgw_data = $BASE/rgw.a
rgw_dns_name = localhost
rgw_enable_usage_log = false
EOF
}

start() {
  if [[ -e $BASE ]]; then log "$BASE exists; run '$0 stop' first"; exit 1; fi
  mkdir -p "$BASE"/{log,run,crash,mon.a,osd.0,mgr.x,rgw.a}
  trap 'log "start FAILED; daemons stopped, logs kept in $BASE/log"; KEEP_DATA=1 stop; exit 1' ERR
  FSID=$(cat /proc/sys/kernel/random/uuid)
  write_conf

  log "mon: mkfs + start"
  monmaptool --create --fsid "$FSID" \
    --addv a "[v2:127.0.0.1:$MON_PORT,v1:127.0.0.1:$((MON_PORT + 1))]" \
    "$BASE/monmap" >/dev/null
  ceph-mon -c "$CONF" -i a --mkfs --monmap "$BASE/monmap"
  spawn mon.a ceph-mon -c "$CONF" -i a
  wait_for 30 "mon quorum" $CEPH mon stat

  if [[ $WITH_MGR == 1 ]]; then
    log "mgr: start"
    spawn mgr.x ceph-mgr -c "$CONF" -i x
  fi

  log "osd: create ($STORE, ${STORE_GB}G) + start"
  local uuid id
  uuid=$(cat /proc/sys/kernel/random/uuid)
  id=$($CEPH osd new "$uuid")        # -> 0
  ceph-osd -c "$CONF" -i "$id" --mkfs --osd-uuid "$uuid" >"$BASE/log/osd.$id.mkfs.out" 2>&1
  spawn "osd.$id" ceph-osd -c "$CONF" -i "$id"
  wait_for 60 "osd up" bash -c "$CEPH osd dump | grep -q '^osd.$id up'"

  log "rgw: start on 127.0.0.1:$RGW_PORT"
  spawn rgw.a radosgw -c "$CONF" -n client.rgw.a
  wait_for 120 "rgw http" curl -sf -m 2 -o /dev/null "http://127.0.0.1:$RGW_PORT/"

  log "rgw: create S3 user"
  radosgw-admin -c "$CONF" user create --uid=test --display-name=test \
    --access-key="$ACCESS" --secret-key="$SECRET" >"$BASE/log/user-create.json"
  log "S3 endpoint ready: http://127.0.0.1:$RGW_PORT  key=$ACCESS secret=$SECRET"
}

stop() {
  [[ -d $BASE/run ]] || { log "nothing to stop"; return 0; }
  local f pid
  # stop in reverse dependency order, only the PIDs we spawned
  for n in rgw.a osd.0 mgr.x mon.a; do
    f=$BASE/run/$n.spawned.pid
    [[ -f $f ]] || continue
    pid=$(cat "$f")
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid"
      for ((i = 0; i < 40; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    fi
    rm -f "$f"
  done
  [[ ${KEEP_DATA:-0} == 1 ]] || rm -rf "$BASE"
  log "stopped"
}

# Restart the RADOS Gateway alone (the objects stay in the OSD): a store that
# stops answering for a few seconds and comes back.
restart_rgw() {
  local f=$BASE/run/rgw.a.spawned.pid pid
  pid=$(cat "$f")
  # Already dead (a drill killed it) is fine: it is started again below.
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 40; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  spawn rgw.a radosgw -c "$CONF" -n client.rgw.a
  wait_for 120 "rgw http" curl -sf -m 2 -o /dev/null "http://127.0.0.1:$RGW_PORT/"
  log "rgw restarted"
}

status() { $CEPH -s; }

case ${1:-} in
  start) start ;;
  stop) stop ;;
  status) status ;;
  restart-rgw) restart_rgw ;;
  *) echo "usage: $0 start|stop|status|restart-rgw" >&2; exit 2 ;;
esac
