"""gunicorn settings for ganetimgr: gevent workers behind nginx.

    gunicorn -c contrib/gunicorn.conf.py ganetimgr.wsgi:application

Every value can be overridden from the environment (GUNICORN_BIND, GUNICORN_WORKERS, ...) or on the
command line. The database, Redis and beanstalkd are checked before the workers start: a missing
service stops gunicorn with one line naming the setting to fix.
"""

import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

chdir = str(Path(__file__).resolve().parent.parent)
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
worker_class = "gevent"
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", 200))
# A request never waits on a Ganeti job (DESIGN.md §1); RAPI reads are bounded by RAPI_*_TIMEOUT.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 20))
keepalive = 5
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 5000))
max_requests_jitter = max_requests // 10
# "-" is standard output / error, the journal under systemd; a file (e.g. /var/log/ganetimgr/access.log)
# is reopened on USR1, which contrib/logrotate/ganetimgr sends.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
# The peer (nginx), then the X-Forwarded-For chain, whose last address is the client as nginx saw it
# ("-" without nginx); then the usual combined fields and the time taken in milliseconds.
access_log_format = '%(h)s %({x-forwarded-for}i)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
proc_name = "ganetimgr"
control_socket_disable = True
# nginx on the same host sets X-Forwarded-*; trust only it.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
raw_env = ["DJANGO_SETTINGS_MODULE=" + os.environ.get("DJANGO_SETTINGS_MODULE", "ganetimgr.settings")]


def on_starting(server):
    """Refuse to start, in one line, when a service or a setting is wrong.

    The check runs in a child process so that the master does not import Django before the gevent
    workers patch the standard library.
    """
    manage = Path(__file__).resolve().parent.parent / "manage.py"
    result = subprocess.run([sys.executable, str(manage), "preflight", "--verbosity", "0"],
                            capture_output=True, text=True)
    if result.returncode != 0:
        message = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "preflight failed"
        print(f"gunicorn: {message.removeprefix('CommandError: ')}", file=sys.stderr)
        sys.exit(result.returncode)
