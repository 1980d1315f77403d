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


# A card (Luhn-valid test PAN) and an IBAN (valid mod-97) inside a raw payload, as
# Odoo's SQL logger prints a failed INSERT: psycopg2 hands it the query as bytes.
_PAYLOAD = (
    '{"id": "evt_dup", "card": {"number": "4111 1111 1111 1111"}, '
    '"iban": "DE89370400440532013000", "note": "it'
    's paid"}'
)
_BAD_QUERY = (
    "INSERT INTO o2c_event (connection_id, external_id, payload, last_error) "
    f"VALUES (7, 'evt_dup', '{_PAYLOAD.replace(chr(39), chr(39) * 2)}', "
    "'card 5555 5555 5555 4444 iban GB82WEST12345698765432')"
).encode()


def _emit_bad_query(logger):
    logger.error(
        "bad query: %s\nERROR: %s",
        _BAD_QUERY,
        'duplicate key value violates unique constraint "o2c_event_uniq"',
    )


def _assert_sql_masked(out):
    assert "bad query: INSERT INTO o2c_event" in out
    assert "duplicate key value" in out
    # the raw payload is withheld whole, whatever it holds
    assert 'evt_dup", "card"' not in out and "characters withheld" in out
    # cards and IBANs outside the payload literal are masked too
    for clear in ("4111 1111 1111 1111", "5555 5555 5555 4444", "DE893704004405320"):
        assert clear not in out
    assert "GB82WEST12345698765432" not in out and "5432" in out
    assert "4444" in out  # last four kept for support


def test_sql_logger_bad_query_is_masked(capture):
    root, stream = capture
    root.handlers[0].filters.clear()
    install(
        root,
        prefixes=("o2ctestroot.odoo.addons.o2c_",),
        sql_prefixes=("o2ctestroot.odoo.sql_db",),
    )
    _emit_bad_query(logging.getLogger("o2ctestroot.odoo.sql_db"))
    _assert_sql_masked(stream.getvalue())


def test_odoo_sql_db_is_covered_by_default():
    """The filter as installed by the addon (default prefixes) masks Odoo's SQL logger."""
    assert SecretMaskingFilter()._concerns("odoo.sql_db")
    logger = logging.getLogger("odoo.sql_db")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    handler.addFilter(SecretMaskingFilter())
    logger.addHandler(handler)
    level, disabled = logger.level, logger.disabled
    logger.setLevel(logging.ERROR)
    logger.disabled = False
    try:
        _emit_bad_query(logger)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.disabled = disabled
    _assert_sql_masked(stream.getvalue())


def test_short_sql_literals_stay_readable():
    from ..lib.log_masking import mask_sql_log_text

    text = "SELECT id FROM res_partner WHERE name = 'ACME' AND ref = 'INV/1'"
    assert mask_sql_log_text(text) == text
