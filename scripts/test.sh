#!/usr/bin/env bash
# Runs the whole O2C test suite: pure-Python unit tests and Odoo tests (pytest-odoo) against a
# freshly created database with the three addons installed.
#   bash scripts/test.sh [extra pytest args]
# Environment: O2C_TEST_DB (default o2c_test), PGHOST/PGPORT/PGUSER, PYTHON.
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
DB="${O2C_TEST_DB:-o2c_test}"

check_odoo
check_postgres
install_python_deps
ensure_browser

echo "== Creating a fresh test database '$DB' with $O2C_ADDONS"
drop_db "$DB"
start=$(date +%s)
if ! odoo_bin -d "$DB" -i "$O2C_ADDONS" --stop-after-init --http-interface=127.0.0.1 \
        --log-level=warn --logfile=/dev/stdout > "/tmp/o2c-install-$DB.log" 2>&1; then
    tail -50 "/tmp/o2c-install-$DB.log"
    die "installing the addons failed (log above)"
fi
if grep -E " (ERROR|CRITICAL) " "/tmp/o2c-install-$DB.log"; then
    die "the install logged errors (above)"
fi
echo "   installed in $(( $(date +%s) - start )) s"

echo "== Running the tests"
cd "$REPO_DIR"
export HYPOTHESIS_STORAGE_DIRECTORY="${HYPOTHESIS_STORAGE_DIRECTORY:-/tmp/o2c-hypothesis}"
set +e
targets=(o2c_integration/tests o2c_bank_feed/tests o2c_payment_gateway/tests o2c_journal_batch/tests)
if compgen -G "tests/test_*.py" > /dev/null; then targets+=(tests); fi
"$PYTHON" -m pytest -p no:cacheprovider --odoo-database="$DB" --odoo-addons-path="$ADDONS_PATH" \
    --odoo-http -q -ra "${targets[@]}" "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
    die "pytest collected no tests"
fi
exit "$rc"
