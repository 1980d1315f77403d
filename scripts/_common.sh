#!/usr/bin/env bash
# Shared checks for the O2C scripts: Odoo importable, PostgreSQL reachable, deps installed.
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
export PGHOST="${PGHOST:-127.0.0.1}"
export PGPORT="${PGPORT:-5432}"
export PGUSER="${PGUSER:-$(id -un)}"

die() { echo "ERROR: $*" >&2; exit 2; }

check_odoo() {
    if ! "$PYTHON" -c "import odoo.release, sys; sys.exit(0 if odoo.release.version_info[:2] == (19, 0) else 1)" 2>/dev/null; then
        die "Odoo 19 is not importable by '$PYTHON'. Make an Odoo 19.0 Community tree importable (e.g. a .pth
file in site-packages pointing at the folder that contains 'odoo/'), install Odoo's own requirements,
then run this again. See README.md, 'Prerequisites'."
    fi
    ODOO_ROOT="$("$PYTHON" -c "import os, odoo.release as r; print(os.path.dirname(os.path.dirname(os.path.abspath(r.__file__))))")"
    ODOO_ADDONS="${ODOO_ADDONS:-$ODOO_ROOT/addons}"
    [ -d "$ODOO_ADDONS/account" ] || die "Odoo's addons folder was not found at $ODOO_ADDONS (set ODOO_ADDONS)."
    ADDONS_PATH="$ODOO_ADDONS,$REPO_DIR"
}

check_postgres() {
    if ! "$PYTHON" - <<PY 2>/dev/null
import psycopg2, sys
try:
    psycopg2.connect(host="$PGHOST", port=$PGPORT, user="$PGUSER", dbname="postgres", connect_timeout=5).close()
except Exception as exc:
    print(exc, file=sys.stderr); sys.exit(1)
PY
    then
        die "PostgreSQL is not reachable at $PGHOST:$PGPORT as role '$PGUSER' (set PGHOST/PGPORT/PGUSER).
Start PostgreSQL (e.g. 'pg_ctlcluster 15 main start') and run this again."
    fi
}

# install_python_deps [PYTHON]: the project's install step for the given interpreter (default
# $PYTHON); scripts/check_fresh_install.sh runs it against a throwaway virtualenv.
install_python_deps() {
    local py="${1:-$PYTHON}"
    "$py" -m pip install --quiet --disable-pip-version-check -r "$REPO_DIR/requirements.txt" 2>&1 \
        | grep -v -E "^(WARNING|ERROR: pip's dependency resolver|.*odoo==19)" || true
    "$py" -m pip install --quiet --disable-pip-version-check --no-deps -r "$REPO_DIR/requirements-addons.txt" 2>&1 \
        | grep -v -E "^WARNING" || true
    # pyOpenSSL and cryptography must be a matching pair: Odoo's base addon imports OpenSSL
    # (checked first: pytest_odoo imports Odoo, which would fail with a less clear message).
    local ssl_err
    if ! ssl_err="$("$py" -c "import OpenSSL.SSL, OpenSSL.crypto" 2>&1)"; then
        die "pyOpenSSL cannot load with the installed cryptography (a mismatched pair; Odoo's base addon
imports OpenSSL): $(echo "$ssl_err" | tail -1)
Installed: $("$py" -m pip list 2>/dev/null | grep -i -E '^(pyopenssl|cryptography) ' | tr -s ' ' | paste -sd ',').
Install the pair from requirements.txt: $py -m pip install -r requirements.txt"
    fi
    "$py" -c "import importlib.metadata as m; m.version('odoo-addon-queue_job'); import openupgradelib, pytest_odoo, cryptography.fernet, jsonschema, rapidfuzz" \
        || die "Python dependencies are missing after 'pip install -r requirements.txt'."
}

# odoo-bin when the tree has it: with workers, Odoo re-executes sys.argv[0], which breaks
# under "python3 -m odoo" (odoo/__main__.py uses a relative import).
odoo_launcher() {
    if [ -f "$ODOO_ROOT/odoo-bin" ]; then echo "$PYTHON $ODOO_ROOT/odoo-bin"; else echo "$PYTHON -m odoo"; fi
}

odoo_bin() {
    $(odoo_launcher) --db_host="$PGHOST" --db_port="$PGPORT" --db_user="$PGUSER" \
        --addons-path="$ADDONS_PATH" "$@"
}

db_exists() {
    "$PYTHON" - "$1" <<PY
import psycopg2, sys
conn = psycopg2.connect(host="$PGHOST", port=$PGPORT, user="$PGUSER", dbname="postgres")
cur = conn.cursor(); cur.execute("SELECT 1 FROM pg_database WHERE datname=%s", [sys.argv[1]])
sys.exit(0 if cur.fetchone() else 1)
PY
}

drop_db() {
    "$PYTHON" - "$1" <<PY
import psycopg2, sys
conn = psycopg2.connect(host="$PGHOST", port=$PGPORT, user="$PGUSER", dbname="postgres")
conn.autocommit = True
cur = conn.cursor()
cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname=%s AND pid <> pg_backend_pid()", [sys.argv[1]])
cur.execute('DROP DATABASE IF EXISTS "%s"' % sys.argv[1].replace('"', ''))
PY
}

# Browser tours (HttpCase.start_tour) need Chromium. Installed from Debian's package when missing and
# we are root with apt-get (CI is); otherwise the run stops here: a tour is never skipped silently.
ensure_browser() {
    local bin
    for bin in chromium chromium-browser google-chrome google-chrome-stable; do
        command -v "$bin" > /dev/null 2>&1 && return 0
    done
    if [ "$(id -u)" = "0" ] && command -v apt-get > /dev/null 2>&1; then
        echo "== Installing Debian's chromium for the browser tours"
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } > /tmp/o2c-apt-chromium.log 2>&1 \
            || { tail -20 /tmp/o2c-apt-chromium.log >&2; die "installing chromium failed (log above)"; }
        command -v chromium > /dev/null 2>&1 || die "chromium is still not on the PATH after installing it"
        return 0
    fi
    die "No Chromium/Chrome for the browser tours. Install it (Debian: 'sudo apt-get install chromium') and run this again."
}

O2C_ADDONS="o2c_integration,o2c_bank_feed,o2c_payment_gateway,o2c_journal_batch"
