# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import io
import logging

import pytest

from ..lib.log_masking import SecretMaskingFilter, install, mask_log_text
from ..lib.masking import MASK


@pytest.fixture
def capture():
    """A private logger tree with one stream handler carrying the filter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    root = logging.getLogger("o2ctestroot")
    root.handlers = [handler]
    root.setLevel(logging.DEBUG)
    root.propagate = False
    install(root, prefixes=("o2ctestroot.odoo.addons.o2c_", "o2ctestroot.urllib3"))
    yield root, stream
    root.handlers = []


def test_masks_integration_records_with_args(capture):
    root, stream = capture
    logging.getLogger("o2ctestroot.odoo.addons.o2c_integration.models").warning(
        "call failed: %s", "https://api.example/v1?api_key=abc123def456&x=1"
    )
    out = stream.getvalue()
    assert "abc123def456" not in out
    assert MASK in out and "x=1" in out


def test_masks_tracebacks_and_provider_keys(capture):
    root, stream = capture
    log = logging.getLogger("o2ctestroot.urllib3.connectionpool")
    try:
        raise ValueError(
            "Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig and sk_live_51HxYzAbCdEf"
        )
    except ValueError:
        log.exception("request to %s failed", "gateway")
    out = stream.getvalue()
    assert "eyJhbGciOiJIUzI1NiJ9" not in out
    assert "sk_live_51HxYzAbCdEf" not in out and "sk_live_" + MASK in out
    assert "ValueError" in out and "request to gateway failed" in out


def test_leaves_other_loggers_untouched(capture):
    root, stream = capture
    logging.getLogger("o2ctestroot.odoo.addons.base").info(
        "user ada@example.com logged in"
    )
    assert "ada@example.com" in stream.getvalue()


def test_install_is_idempotent(capture):
    root, _stream = capture
    first = install(root)
    second = install(root)
    assert first is second
    assert (
        sum(isinstance(f, SecretMaskingFilter) for f in root.handlers[0].filters) == 1
    )


def test_unmaskable_record_is_withheld_not_printed(capture):
    root, stream = capture

    class Boom:
        def __str__(self):
            raise RuntimeError("no")

    logging.getLogger("o2ctestroot.odoo.addons.o2c_bank_feed").error("value %s", Boom())
    assert "withheld" in stream.getvalue()


@pytest.mark.parametrize(
    "text",
    ["whsec_0123456789abcdef", "rk_test_0123456789", "card 4111 1111 1111 1111"],
)
def test_mask_log_text(text):
    assert mask_log_text(text) != text
