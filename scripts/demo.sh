#!/bin/bash
# demo.sh: set up and run a working ganetimgr on this machine, everything under var/ (DEMO_VAR_DIR):
# SQLite, Redis and beanstalkd as child processes on loopback ports, a simulated Ganeti cluster
# (ganetisim, HTTPS on DEMO_SIM_PORT, registered as cluster "demo"), the watcher, and gunicorn with
# gevent workers on http://127.0.0.1:8000 (DEMO_PORT), websockify for the web console
# (DEMO_WEBSOCKIFY_PORT, VNC screens on DEMO_VNC_NETWORK). Prints the admin and user logins; Ctrl-C
# stops everything it started. Run again, it reuses the database, accounts, passwords and the
# simulated cluster's instances.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

scripts/setup.sh demo

VAR=$(mkdir -p "${DEMO_VAR_DIR:-var}" && cd "${DEMO_VAR_DIR:-var}" && pwd)
PORT=${DEMO_PORT:-8000}
REDIS_PORT=${DEMO_REDIS_PORT:-16379}
BEANSTALK_PORT=${DEMO_BEANSTALK_PORT:-11400}
SIM_PORT=${DEMO_SIM_PORT:-15080}
# console: websockify for the noVNC console; the simulator's VNC screens on a loopback network
WEBSOCKIFY_PORT=${DEMO_WEBSOCKIFY_PORT:-16080}
VNC_NETWORK=${DEMO_VNC_NETWORK:-127.77.0.0/24}
SIM_DIR=$VAR/ganetisim
mkdir -p "$VAR/log" "$VAR/mail" "$VAR/redis" "$SIM_DIR"

for pair in "$PORT:DEMO_PORT" "$REDIS_PORT:DEMO_REDIS_PORT" "$BEANSTALK_PORT:DEMO_BEANSTALK_PORT" \
            "$SIM_PORT:DEMO_SIM_PORT" "$WEBSOCKIFY_PORT:DEMO_WEBSOCKIFY_PORT"; do
    if port_in_use "${pair%%:*}"; then
        echo "demo: port ${pair%%:*} is in use; stop what listens there or set ${pair#*:} to a free port" >&2
        exit 1
    fi
done

export GANETIMGR_VAR_DIR=$VAR
export DJANGO_SETTINGS_MODULE=ganetimgr.settings
export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
export BEANSTALK_URL="127.0.0.1:$BEANSTALK_PORT"
export DEBUG=off HTTPS=off                  # plain http on loopback; production runs behind TLS
export ALLOWED_HOSTS=127.0.0.1,localhost
export EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend EMAIL_FILE_PATH="$VAR/mail"
export GUNICORN_WORKERS=${GUNICORN_WORKERS:-2}
export NOVNC_PROXY="127.0.0.1:$WEBSOCKIFY_PORT" NOVNC_USE_TLS=off   # console: the browser goes to websockify
unset DATABASE_URL                          # the demo's database is var/ganetimgr.sqlite3
PY="$PWD/.venv/bin/python"

shutdown() {
    trap - INT TERM EXIT
    echo; echo "demo: stopping"
    stop_services
    echo "demo: stopped"
    exit "${1:-0}"
}
trap 'shutdown 0' INT TERM
trap 'shutdown $?' EXIT     # a failed step (set -e) stops what already runs

"$PY" manage.py migrate --noinput -v0
"$PY" manage.py collectstatic --noinput -v0
# -- site content: the Info, Terms of Service and FAQ flatpages, unless some exist already
if [ "$("$PY" manage.py shell -v0 -c 'from django.contrib.flatpages.models import FlatPage; print(FlatPage.objects.count())')" = 0 ]; then
    "$PY" manage.py loaddata -v0 flatpages
fi
# -- end site content
CREDENTIALS=$("$PY" manage.py demo_accounts --credentials-file "$VAR/demo-accounts.json")

start_redis "$REDIS_PORT" "$VAR/redis"
start_beanstalkd "$BEANSTALK_PORT" "$VAR" "$VAR/beanstalkd"

# console: websockify (the venv's, PyPI 0.13) with ganetimgr's single-use token plugin
PYTHONPATH="$PWD" .venv/bin/websockify --token-plugin ganeti.console_tokens.SingleUseRedis \
    --token-source "$REDIS_URL" "127.0.0.1:$WEBSOCKIFY_PORT" >> "$VAR/log/websockify.log" 2>&1 &
register_service $! websockify TERM "$VAR/log/websockify.log"
wait_port "$WEBSOCKIFY_PORT" websockify

# The simulated cluster: its RAPI password is made once and kept, like its certificate and state.
SIM_USER=ganetimgr
if [ ! -s "$SIM_DIR/rapi-password" ]; then
    (umask 077; "$PY" -c 'import secrets; print(secrets.token_urlsafe(18))' > "$SIM_DIR/rapi-password")
fi
(umask 077; printf '# written by demo.sh\n%s {cleartext}%s write\n' "$SIM_USER" "$(cat "$SIM_DIR/rapi-password")" \
    > "$SIM_DIR/users")
"$PY" -m ganetisim --port "$SIM_PORT" --tls --tls-cert "$SIM_DIR/rapi.pem" --users-file "$SIM_DIR/users" \
    --require-authentication --state "$SIM_DIR/state.json" --cluster-name demo.ganeti.test \
    --nodes 3 --instances 30 --owners demo --jobs 40 --vnc "$VNC_NETWORK" >> "$VAR/log/ganetisim.log" 2>&1 &  # --jobs: a queue to show
register_service $! ganetisim TERM "$VAR/log/ganetisim.log"
wait_port "$SIM_PORT" ganetisim
"$PY" manage.py demo_cluster --hostname 127.0.0.1 --port "$SIM_PORT" --username "$SIM_USER" \
    --password-file "$SIM_DIR/rapi-password" > /dev/null

"$PY" watcher.py >> "$VAR/log/watcher.log" 2>&1 &
register_service $! watcher TERM "$VAR/log/watcher.log"

# gunicorn's own log and the application's (stderr) both go to gunicorn.log.
.venv/bin/gunicorn -c contrib/gunicorn.conf.py --bind "127.0.0.1:$PORT" \
    --access-logfile "$VAR/log/access.log" --error-logfile - \
    ganetimgr.wsgi:application >> "$VAR/log/gunicorn.log" 2>&1 &
register_service $! gunicorn INT "$VAR/log/gunicorn.log"
wait_port "$PORT" gunicorn

cat <<INFO

ganetimgr demo is running at http://127.0.0.1:$PORT/
$CREDENTIALS
simulated Ganeti cluster "demo": https://127.0.0.1:$SIM_PORT/ (RAPI user $SIM_USER)
console proxy (websockify): 127.0.0.1:$WEBSOCKIFY_PORT, VNC screens of running instances on $VNC_NETWORK
logs: $VAR/log/   mail: $VAR/mail/   Ctrl-C stops it.
INFO

# Until Ctrl-C, or until one of the services dies.
set +e
wait -n
echo "demo: a service stopped unexpectedly; see $VAR/log/" >&2
shutdown 1
