#!/usr/bin/env bash
# Fresh-machine install proof (run by hand, not in CI).
#
# A newcomer installs Odoo's own requirements first, and on Python 3.11 those pin the pair
# pyopenssl==21.0.0 + cryptography==3.4.8. The project's install step then upgrades
# cryptography; this checks that it upgrades pyOpenSSL with it, so that Odoo's base addon
# (ir_mail_server imports OpenSSL) still imports afterwards.
#
#   1. a throwaway virtualenv in a temporary folder, over the machine's python3 WITH the
#      system site-packages (Odoo 19 is found there through its .pth file: it is a
#      prerequisite, never installed or downloaded here);
#   2. Odoo's Python 3.11 pins for the pair installed into it;
#   3. the project's install step (install_python_deps of scripts/_common.sh, the one
#      scripts/test.sh and scripts/demo.sh run) against the venv's python;
#   4. `import OpenSSL.SSL` and `import odoo.addons.base` with the venv's python: PASS/FAIL.
# The temporary folder is removed on exit. Needs network access to the package index.
#   bash scripts/check_fresh_install.sh
# Environment: PYTHON (the machine's python3, default python3).
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"

ODOO_PAIR=(pyopenssl==21.0.0 cryptography==3.4.8)

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

check_odoo
SYSTEM_ODOO="$("$PYTHON" -c "import odoo.release as r; print(r.__file__)")"

WORK="$(mktemp -d -t o2c-fresh-install-XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
VENV="$WORK/venv"
VPY="$VENV/bin/python"

echo "== Throwaway virtualenv over $("$PYTHON" -c 'import sys; print(sys.executable, sys.version.split()[0])') (system site-packages) in $VENV"
"$PYTHON" -m venv --system-site-packages "$VENV" || fail "could not create the virtualenv"
VENV_ODOO="$("$VPY" -c "import odoo.release as r; print(r.__file__)" 2>/dev/null)" \
    || fail "Odoo is not importable from the virtualenv (it must come from the system site-packages .pth)"
[ "$VENV_ODOO" = "$SYSTEM_ODOO" ] || fail "the virtualenv imports Odoo from $VENV_ODOO, not from $SYSTEM_ODOO"

echo "== Odoo's Python 3.11 pins for the pair: ${ODOO_PAIR[*]}"
if ! "$VPY" -m pip install --quiet --disable-pip-version-check "${ODOO_PAIR[@]}" > "$WORK/pair.log" 2>&1; then
    cat "$WORK/pair.log" >&2
    fail "could not install ${ODOO_PAIR[*]} into the virtualenv"
fi
echo "   before: $("$VPY" -c 'import cryptography, OpenSSL; print("cryptography", cryptography.__version__, "pyOpenSSL", OpenSSL.__version__)')"

echo "== The project's install step (install_python_deps)"
# in a subshell: its 'die' must not end this script before the imports are tried
install_ok=1
( install_python_deps "$VPY" ) || install_ok=0
echo "   after: $("$VPY" -c 'import cryptography, OpenSSL; print("cryptography", cryptography.__version__, "pyOpenSSL", OpenSSL.__version__)' 2>&1 | tail -1)"

echo "== Imports with the virtualenv's python"
failures=()
[ "$install_ok" = 1 ] || failures+=("the project's install step failed (above)")
for module in OpenSSL.SSL odoo.addons.base; do
    if err="$("$VPY" -c "import $module" 2>&1)"; then
        echo "   import $module: ok"
    else
        echo "   import $module: $(echo "$err" | tail -1)"
        failures+=("import $module")
    fi
done
[ "$("$VPY" -c "import odoo.release as r; print(r.__file__)")" = "$SYSTEM_ODOO" ] \
    || failures+=("the install step replaced the system's Odoo")
if [ "${#failures[@]}" -gt 0 ]; then
    fail "$(printf '%s; ' "${failures[@]}" | sed 's/; $//')"
fi
echo "PASS: a fresh install over Odoo's 3.11 pins imports OpenSSL.SSL and odoo.addons.base"
