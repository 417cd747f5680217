#!/usr/bin/env bash
# Installs (if needed) and starts the servers the full test suite talks to:
# PostgreSQL (the machine's Debian cluster) and an S3-compatible server
# (moto_server) on loopback, with a role, a database and a bucket.
# Prints the `export` lines for the test variables on standard output.
# Idempotent: running it again reuses what is already running.
set -euo pipefail

PG_USER=darkroom
PG_PASSWORD=darkroom
S3_PORT=${DARKROOM_TEST_S3_PORT:-5055}
S3_BUCKET=darkroom-test
log() { echo "test-services: $*" >&2; }

need_apt=()
{ ls /usr/lib/postgresql/*/bin/postgres && ls -d /etc/postgresql/*/main; } >/dev/null 2>&1 || need_apt+=(postgresql)
if [ ${#need_apt[@]} -gt 0 ]; then
  log "installing ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq "${need_apt[@]}" >&2
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

# S3: moto_server from PyPI, on loopback.
if ! python3 -c "import moto.server, flask, flask_cors" >/dev/null 2>&1; then
  log "installing moto[server]"
  python3 -m pip install -q 'moto[server]' >&2
fi
if ! curl -s -o /dev/null "http://127.0.0.1:$S3_PORT/"; then
  log "starting moto_server on 127.0.0.1:$S3_PORT"
  nohup python3 -m moto.server -H 127.0.0.1 -p "$S3_PORT" >/tmp/darkroom-moto.log 2>&1 &
  for _ in $(seq 1 60); do
    curl -s -o /dev/null "http://127.0.0.1:$S3_PORT/" && break
    sleep 0.5
  done
fi
curl -sf -X PUT "http://127.0.0.1:$S3_PORT/$S3_BUCKET" -o /dev/null ||
  curl -sf "http://127.0.0.1:$S3_PORT/$S3_BUCKET" -o /dev/null

cat <<VARS
export DARKROOM_TEST_DATABASE_URL=postgres://$PG_USER:$PG_PASSWORD@127.0.0.1:5432/$PG_USER
export DARKROOM_TEST_S3_ENDPOINT=http://127.0.0.1:$S3_PORT
export DARKROOM_TEST_S3_BUCKET=$S3_BUCKET
export AWS_ACCESS_KEY_ID=testing
export AWS_SECRET_ACCESS_KEY=testing
export AWS_REGION=us-east-1
VARS
