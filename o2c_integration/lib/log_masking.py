# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""A logging filter that masks secrets in every log line of the integration.

Code in this suite never logs a credential on purpose, but a third-party error message
("401 for url https://api.example/v1?api_key=..."), an exception carrying a request,
or a payload excerpt in a warning can. The filter sits on the log *handlers*, so it sees
records of every logger that reaches them, and rewrites those of the integration's own
loggers and of the HTTP stack (``requests``, ``urllib3``) through
:func:`~.masking.mask_text`, plus well-known provider key formats (Stripe ``sk_live_``,
``whsec_``...). Odoo's SQL logger (``odoo.sql_db``) is covered too: a failed statement
is logged as ``bad query: <the SQL with its parameters inlined>``, so a failed insert of
an event would print the raw payload; there every string literal that looks like a
document (JSON / XML) or is long is withheld whole, and the rest is masked as above.
Other Odoo records pass untouched: masking costs a few regex passes.

Example::

    from odoo.addons.o2c_integration.lib.log_masking import install
    install()  # idempotent; done when the addon is imported
"""

from __future__ import annotations

import logging
import re

from .masking import MASK, mask_text

__all__ = [
    "DEFAULT_PREFIXES",
    "SQL_PREFIXES",
    "SecretMaskingFilter",
    "install",
    "mask_log_text",
    "mask_sql_log_text",
]

#: Loggers whose records print SQL with the parameters inlined ("bad query: ...").
SQL_PREFIXES = ("odoo.sql_db",)

#: Logger names whose records are masked (a name matches itself and its children).
DEFAULT_PREFIXES = (
    "odoo.addons.o2c_",
    "requests",
    "urllib3",
    *SQL_PREFIXES,
)

# A standard SQL string literal ('' is an escaped quote), possibly multi-line.
_SQL_LITERAL = re.compile(r"'(?:[^']|'')*'")
#: SQL literals longer than this are withheld whatever they hold.
SQL_LITERAL_MAX = 200

# Provider key formats recognisable without a key name in front of them.
_PROVIDER_KEYS = re.compile(
    r"\b((?:sk|rk|pk)_(?:live|test)_|whsec_|pi_secret_|AQE)[A-Za-z0-9_\-+/=]{8,}"
)


def mask_log_text(text: str) -> str:
    """Mask what :func:`mask_text` masks plus provider key formats."""
    text = mask_text(text)
    return _PROVIDER_KEYS.sub(lambda m: m.group(1) + MASK, text)


def _withhold_literal(match: re.Match) -> str:
    body = match.group(0)[1:-1]
    if len(body) > SQL_LITERAL_MAX or body.lstrip()[:1] in ("{", "[", "<"):
        return f"'[{len(body)} characters withheld]'"
    return match.group(0)


def mask_sql_log_text(text: str) -> str:
    """Mask a line of SQL: document-like or long literals withheld, then as
    :func:`mask_log_text` (cards, IBANs, credentials left in short literals)."""
    return mask_log_text(_SQL_LITERAL.sub(_withhold_literal, text))


def _is_under(name: str, prefixes) -> bool:
    # "requests" covers "requests.adapters", not "requests_toolbelt";
    # a prefix ending in "_" ("odoo.addons.o2c_") is a plain string prefix
    for prefix in prefixes:
        if prefix.endswith("_"):
            if name.startswith(prefix):
                return True
        elif name == prefix or name.startswith(prefix + "."):
            return True
    return False


class SecretMaskingFilter(logging.Filter):
    """Rewrite the message (and traceback) of matching records, masked.

    Never drops a record; if masking itself fails the record is replaced by a
    notice rather than risk printing the clear text.
    """

    def __init__(self, prefixes=DEFAULT_PREFIXES, sql_prefixes=SQL_PREFIXES):
        super().__init__()
        self.prefixes = tuple(prefixes)
        self.sql_prefixes = tuple(sql_prefixes)

    def _concerns(self, name: str) -> bool:
        return _is_under(name, self.prefixes) or _is_under(name, self.sql_prefixes)

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_o2c_masked", False) or not self._concerns(record.name):
            return True
        try:
            mask = mask_log_text
            if _is_under(record.name, self.sql_prefixes):
                mask = mask_sql_log_text
                # psycopg2 hands the executed query over as bytes: decode it, or
                # its repr would hide the literals from the masking
                if isinstance(record.args, tuple):
                    record.args = tuple(
                        arg.decode("utf-8", "replace")
                        if isinstance(arg, (bytes, bytearray))
                        else arg
                        for arg in record.args
                    )
            record.msg = mask(record.getMessage())
            record.args = None
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = mask(record.exc_text)
            if record.stack_info:
                record.stack_info = mask(record.stack_info)
        except Exception:  # masking must never let the clear text through
            record.msg = "[o2c] log message withheld: it could not be masked"
            record.args = None
            record.exc_info = record.exc_text = None
        record._o2c_masked = True
        return True


def install(
    logger: logging.Logger | None = None,
    prefixes=DEFAULT_PREFIXES,
    sql_prefixes=SQL_PREFIXES,
):
    """Attach one :class:`SecretMaskingFilter` to every handler of ``logger``.

    ``logger`` defaults to the root logger, where Odoo installs its handlers. Calling
    it again adds nothing. Returns the filter.
    """
    logger = logger or logging.getLogger()
    installed = None
    for handler in logger.handlers:
        for existing in handler.filters:
            if isinstance(existing, SecretMaskingFilter):
                installed = existing
                break
        else:
            installed = installed or SecretMaskingFilter(prefixes, sql_prefixes)
            handler.addFilter(installed)
    return installed
