#!/usr/bin/env bash
# Installs (if needed) and starts the servers the full test suite talks to:
# PostgreSQL (the machine's Debian cluster) and a real S3 engine, a one-node
# Ceph cluster with its RADOS Gateway (scripts/ceph-s3.sh), on loopback, with
# a role, a database and a bucket.
# Prints the `export` lines for the test variables on standard output.
# Idempotent: running it again reuses what is already running.
set -euo pipefail

PG_USER=darkroom
PG_PASSWORD=darkroom
S3_PORT=${DARKROOM_TEST_S3_PORT:-7480}
S3_BUCKET=darkroom-test
S3_ACCESS_KEY=darkroom-test
S3_SECRET_KEY=darkroom-test-secret
CEPH_BASE=${DARKROOM_TEST_CEPH_BASE:-/tmp/darkroom-ceph}
log() { echo "test-services: $*" >&2; }

need_apt=()
{ ls /usr/lib/postgresql/*/bin/postgres && ls -d /etc/postgresql/*/main; } >/dev/null 2>&1 || need_apt+=(postgresql)
# Ceph's monitor, OSD and gateway alone (the recommends pull in much more).
command -v radosgw >/dev/null && command -v ceph-osd >/dev/null && command -v ceph-mon >/dev/null ||
  need_apt+=(ceph-mon ceph-osd radosgw)
if [ ${#need_apt[@]} -gt 0 ]; then
  log "installing ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >&2
fi

# PostgreSQL: the Debian cluster, started without systemd.
version=$(ls /etc/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" && $4 == "online"' | grep -q .; then
  log "starting PostgreSQL $version"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start >&2
fi
for _ in $(seq 1 30); do
  su postgres -c "psql -qtAc 'SELECT 1'" >/dev/null 2>&1 && break
  sleep 1
done
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname = '$PG_USER'\"" | grep -q 1 ||
  su postgres -c "psql -qc \"CREATE ROLE $PG_USER LOGIN CREATEDB PASSWORD '$PG_PASSWORD'\"" >&2
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname = '$PG_USER'\"" | grep -q 1 ||
  su postgres -c "createdb -O $PG_USER $PG_USER" >&2

# Every test makes a database of its own and leaves it (a test that fails
# can be looked into); drop the ones earlier runs left, unless in use.
# Otherwise they pile up: about 8 MB each, some 250 per run.
su postgres -c "psql -qtA" >/dev/null 2>&1 <<'SQL' || log "could not drop old test databases"
SELECT format('DROP DATABASE IF EXISTS %I', datname) FROM pg_database d
 WHERE (datname LIKE 'darkroom\_test\_%' OR datname LIKE 'darkroom\_cli\_%')
   AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)
\gexec
SQL

# S3: Ceph's RADOS Gateway on loopback (memstore: the objects live in RAM
# and go when it stops). Reused when it already answers; a folder left by a
# cluster that no longer runs is cleared first.
if ! curl -s -o /dev/null "http://127.0.0.1:$S3_PORT/"; then
  log "starting Ceph (monitor, OSD, RADOS Gateway on 127.0.0.1:$S3_PORT)"
  export CEPH_BASE RGW_PORT=$S3_PORT S3_ACCESS_KEY S3_SECRET_KEY STORE_GB=${DARKROOM_TEST_CEPH_GB:-8}
  "$(dirname "$0")/ceph-s3.sh" stop >&2
  "$(dirname "$0")/ceph-s3.sh" start >&2
fi
# Create the bucket (200 when new or already ours). curl signs with SigV4;
# RGW wants the payload hash header, here the hash of the empty body.
code=$(curl -s -o /tmp/darkroom-bucket.xml -w '%{http_code}' -X PUT \
  --aws-sigv4 "aws:amz:us-east-1:s3" --user "$S3_ACCESS_KEY:$S3_SECRET_KEY" \
  -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
  "http://127.0.0.1:$S3_PORT/$S3_BUCKET")
case $code in
  200 | 409) ;;
  *) log "could not create bucket $S3_BUCKET (HTTP $code): $(cat /tmp/darkroom-bucket.xml)"; exit 1 ;;
esac

cat <<VARS
export DARKROOM_TEST_DATABASE_URL=postgres://$PG_USER:$PG_PASSWORD@127.0.0.1:5432/$PG_USER
export DARKROOM_TEST_S3_ENDPOINT=http://127.0.0.1:$S3_PORT
export DARKROOM_TEST_S3_BUCKET=$S3_BUCKET
export AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY
export AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY
export AWS_REGION=us-east-1
VARS
