#!/bin/bash
# with-services.sh CMD...: start throw-away PostgreSQL, Redis and beanstalkd on free loopback ports
# in one temporary directory, export DATABASE_URL, REDIS_URL and BEANSTALK_URL for them, run CMD,
# then stop every service by PID, whatever CMD's outcome. Exits with CMD's status.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

TS=$(mktemp -d /tmp/ganetimgr-test.XXXXXX)
chmod 755 "$TS"
export SERVICES_DIR=$TS
CHILD=

finish() {
    local rc=$?
    set +e
    [ -n "$CHILD" ] && kill -TERM "$CHILD" 2>/dev/null && wait "$CHILD" 2>/dev/null
    stop_services
    if [ -n "${KEEP_SERVICES_DIR:-}" ]; then echo "services: logs kept in $TS" >&2; else rm -rf "$TS"; fi
    exit $rc
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

t0=$(date +%s.%N)

# -- PostgreSQL: initdb, postgres and pg_ctl refuse root, so run them as the postgres user -------------
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
AS=()
mkdir "$TS/pg"
if [ "$(id -u)" = 0 ]; then
    chown postgres:postgres "$TS/pg"
    AS=(setpriv --reuid=postgres --regid=postgres --init-groups --)
fi
"${AS[@]}" "$PGBIN/initdb" -D "$TS/pg/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
    -E UTF8 --locale=C.UTF-8 -N > "$TS/initdb.log"
PGPORT=$(free_port)
"${AS[@]}" "$PGBIN/postgres" -D "$TS/pg/data" -k "$TS/pg" -p "$PGPORT" -c listen_addresses=127.0.0.1 \
    -c fsync=off -c synchronous_commit=off -c full_page_writes=off > "$TS/postgres.log" 2>&1 &
register_service $! postgres INT "$TS/postgres.log"
wait_port "$PGPORT" postgres
for _ in $(seq 100); do "$PGBIN/pg_isready" -q -h "$TS/pg" -p "$PGPORT" && break; sleep 0.05; done
"$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$TS/pg" -p "$PGPORT" -U postgres -d postgres \
    -c "CREATE ROLE ganetimgr LOGIN PASSWORD 'ganetimgr-test' CREATEDB" -c "CREATE DATABASE ganetimgr OWNER ganetimgr"
export DATABASE_URL="postgres://ganetimgr:ganetimgr-test@127.0.0.1:$PGPORT/ganetimgr"

# -- Redis ---------------------------------------------------------------------------------------------
REDIS_PORT=$(free_port)
start_redis "$REDIS_PORT" "$TS"
export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"

# -- beanstalkd ----------------------------------------------------------------------------------------
BEANSTALK_PORT=$(free_port)
start_beanstalkd "$BEANSTALK_PORT" "$TS"
export BEANSTALK_URL="127.0.0.1:$BEANSTALK_PORT"

python3 -c "import time; print('services: up in %.1fs in $TS: postgres :$PGPORT, redis :$REDIS_PORT, beanstalkd :$BEANSTALK_PORT' % (time.time() - $t0))"

# Run CMD as a background job and wait, so a TERM/INT to this script is handled at once.
"$@" &
CHILD=$!
set +e
wait "$CHILD"
rc=$?
CHILD=
exit $rc
