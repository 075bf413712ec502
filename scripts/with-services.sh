#!/bin/bash
# with-services.sh CMD...: start throw-away PostgreSQL, Redis, beanstalkd, slapd (OpenLDAP, with the
# test directory tests/accounts/ldap/directory.ldif) and an SMTP sink on free loopback ports in one
# temporary directory, export DATABASE_URL, REDIS_URL, BEANSTALK_URL, LDAP_TEST_* and SMTP_SINK_* for
# them (and STATIC_ROOT there), run CMD, then stop every service by PID, whatever CMD's outcome. Exits with CMD's status.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

TS=$(mktemp -d /tmp/ganetimgr-test.XXXXXX)
chmod 755 "$TS"
export SERVICES_DIR=$TS
# This run's own collected static files: the checkout's var/static (after `make demo`) has a manifest
# of hashed names that the test server, serving through the finders, cannot answer.
export STATIC_ROOT="$TS/static"
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

# -- slapd: our own configuration and database under $TS, never the system's ---------------------------
LDAP_PORT=$(free_port)
export LDAP_TEST_BASE_DN="dc=ganetimgr,dc=test" LDAP_TEST_BIND_DN="cn=admin,dc=ganetimgr,dc=test"
export LDAP_TEST_BIND_PASSWORD="ldap-admin-test"
mkdir "$TS/ldap"
cat > "$TS/slapd.conf" <<CONF
include  /etc/ldap/schema/core.schema
include  /etc/ldap/schema/cosine.schema
include  /etc/ldap/schema/inetorgperson.schema
include  /etc/ldap/schema/nis.schema
pidfile  $TS/slapd.pid
argsfile $TS/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
maxsize  16777216
suffix   "$LDAP_TEST_BASE_DN"
rootdn   "$LDAP_TEST_BIND_DN"
rootpw   $LDAP_TEST_BIND_PASSWORD
directory $TS/ldap
index    objectClass,uid eq
access to attrs=userPassword by self write by anonymous auth by * none
access to * by * read
CONF
slapadd -q -f "$TS/slapd.conf" -l tests/accounts/ldap/directory.ldif
# -d stats keeps slapd in the foreground and logs errors (-d 0 would hide even fatal ones).
slapd -d stats -f "$TS/slapd.conf" -h "ldap://127.0.0.1:$LDAP_PORT/" > "$TS/slapd.log" 2>&1 &
register_service $! slapd TERM "$TS/slapd.log"
wait_port "$LDAP_PORT" slapd
export LDAP_TEST_URI="ldap://127.0.0.1:$LDAP_PORT"

# -- SMTP sink: aiosmtpd storing every message in a Maildir the tests read ----------------------------
SMTP_SINK_PORT=$(free_port)
export SMTP_SINK_HOST=127.0.0.1 SMTP_SINK_PORT SMTP_SINK_MAILDIR="$TS/Maildir"
# -n: as root, aiosmtpd would otherwise switch to nobody and fail to write the Maildir.
.venv/bin/python -m aiosmtpd -n -l "127.0.0.1:$SMTP_SINK_PORT" -c aiosmtpd.handlers.Mailbox "$SMTP_SINK_MAILDIR" \
    > "$TS/smtp-sink.log" 2>&1 &
register_service $! smtp-sink TERM "$TS/smtp-sink.log"
wait_port "$SMTP_SINK_PORT" smtp-sink

python3 -c "import time; print('services: up in %.1fs in $TS: postgres :$PGPORT, redis :$REDIS_PORT, beanstalkd :$BEANSTALK_PORT, slapd :$LDAP_PORT, smtp sink :$SMTP_SINK_PORT' % (time.time() - $t0))"

# Run CMD as a background job and wait, so a TERM/INT to this script is handled at once.
"$@" &
CHILD=$!
set +e
wait "$CHILD"
rc=$?
CHILD=
exit $rc
