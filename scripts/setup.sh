#!/bin/bash
# setup.sh demo|test: install what ganetimgr needs on Debian 12, idempotently.
#   1. the Debian packages (with apt when root; otherwise print the apt line and stop),
#   2. the virtualenv .venv with the pinned requirements (reinstalled only when they change),
#   3. the compiled translations.
set -euo pipefail
cd "$(dirname "$0")/.."

PROFILE=${1:?usage: setup.sh demo|test}
PYTHON=${PYTHON:-python3}
VENV=.venv

# -- 1. Debian packages ------------------------------------------------------------------------------
# demo: Redis, beanstalkd, gettext for the translations, MariaDB client headers for mysqlclient,
# OpenLDAP and SASL headers for python-ldap (built from source: it has no wheel).
PACKAGES=(redis-server beanstalkd gettext libmariadb-dev pkg-config gcc libldap2-dev libsasl2-dev)
if [ "$PROFILE" = test ]; then
    # PostgreSQL for the tests' database, MariaDB for the MySQL wiring test, Chromium for the browser tests,
    # slapd and its tools for the LDAP login tests, ssh-keygen to check SSH key fingerprints, Debian's
    # Ganeti RAPI client to check the simulator against it, nginx for the whole-stack tests (tests/stack/),
    # wrk for the benchmarks against that stack, logrotate to check contrib/logrotate.
    PACKAGES+=(postgresql mariadb-server chromium fonts-dejavu-core slapd ldap-utils openssh-client python3-ganeti-rapi
               nginx wrk logrotate)
fi
case "$(readlink -f "$(command -v "$PYTHON" || echo /usr/bin/python3)")" in
    /usr/bin/*) PACKAGES+=(python3 python3-venv python3-dev) ;;   # Debian's own Python needs these
esac

missing=()
for pkg in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "setup: missing Debian packages; as root, run:" >&2
        echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
        exit 1
    fi
    echo "setup: installing ${missing[*]}"
    # Keep apt from starting the daemons system-wide: we start our own copies on loopback ports.
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT     # also when apt fails
    fi
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
    echo "setup: ganetimgr needs Python 3.11 or newer; $PYTHON is $("$PYTHON" --version 2>&1)" >&2; exit 1; }

# -- 2. virtualenv ------------------------------------------------------------------------------------
REQUIREMENTS=requirements.txt
[ "$PROFILE" = test ] && REQUIREMENTS=requirements-test.txt
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
# A stamp per requirements file holds the hash of what was installed; the test set includes the demo's.
stamp_of() { cat requirements.txt "$1" | sha256sum | cut -d' ' -f1; }
installed() { [ "$(cat "$VENV/.installed-$(basename "$1" .txt)" 2>/dev/null)" = "$(stamp_of "$1")" ]; }
if ! installed "$REQUIREMENTS" && ! { [ "$PROFILE" = demo ] && installed requirements-test.txt; }; then
    echo "setup: installing $REQUIREMENTS into $VENV"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$REQUIREMENTS"
    stamp_of "$REQUIREMENTS" > "$VENV/.installed-$(basename "$REQUIREMENTS" .txt)"
fi

# -- 3. translations ---------------------------------------------------------------------------------
shopt -s nullglob
for po in locale/*/LC_MESSAGES/*.po; do
    mo="${po%.po}.mo"
    if [ ! -e "$mo" ] || [ "$po" -nt "$mo" ]; then
        msgfmt --check-format -o "$mo" "$po"
    fi
done
