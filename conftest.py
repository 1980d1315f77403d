"""Test-run policy shared by every suite of the repository.

A browser tour (``HttpCase.start_tour`` / ``browser_js``) that cannot start its browser is turned
from a skip into a failure: Odoo skips such tests when Chromium or ``websocket-client`` is
missing, and a skipped tour would let a broken screen pass CI unnoticed.
"""

import pytest

# Skip reasons raised by odoo.tests.common when the browser cannot be driven.
BROWSER_SKIP_REASONS = (
    "websocket-client module is not installed",
    "Chrome executable not found",
    "Failed to detect chrome devtools port",
    "Error during Chrome headless connection",
    "Error during Chrome connection",
    "Cannot connect to chrome dev tools",
)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not report.skipped or not isinstance(report.longrepr, tuple):
        return
    reason = str(report.longrepr[2])
    if any(text in reason for text in BROWSER_SKIP_REASONS):
        report.outcome = "failed"
        report.longrepr = f"browser tour could not run (never skipped silently): {reason}"
