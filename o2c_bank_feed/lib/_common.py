# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Small helpers shared by the bank statement parsers (no Odoo import).

Everything here is deliberately strict: amounts are validated with a regular
expression *before* they reach :class:`decimal.Decimal`, because ``Decimal``
happily accepts ``"NaN"``, ``"Infinity"`` or ``"1e999999"``, none of which is
money a bank ever sent.
"""

from __future__ import annotations

import importlib.machinery
import logging
import re
from datetime import date
from decimal import Decimal

_logger = logging.getLogger(__name__)

#: Human labels used in error messages ("MT940 line 14: ...").
FORMAT_LABELS = {
    "camt": "CAMT",
    "mt940": "MT940",
    "bai2": "BAI2",
    "ofx": "OFX",
    "csv": "CSV",
    "xlsx": "XLSX",
    "zip": "ZIP",
}

#: Maximum size of :attr:`StatementLine.raw`, in UTF-8 bytes.
RAW_LIMIT = 2048

#: ISO 4217 minor units that are not 2. Used by BAI2 (implied decimals) and
#: OFX (rounding of derived original amounts). Anything absent has 2.
_CURRENCY_DECIMALS = {
    **dict.fromkeys(
        [
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "UYI",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ],
        0,
    ),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
    **dict.fromkeys(["CLF", "UYW"], 4),
}

_CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
_IBAN_RE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}$")
_BIC_RE = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")
# At most 30 integer digits: a bank amount never needs more, and the bound keeps
# adversarial input from building gigantic Decimals.
_DEC_RE = re.compile(r"^[+-]?[0-9]{1,30}(?:\.[0-9]{0,12})?$|^[+-]?\.[0-9]{1,12}$")


def _stdnum_iban():
    """``stdnum.iban``, importable inside an Odoo process too.

    Odoo 19 wraps the loader of the packages it monkeypatches (``stdnum``
    among them, see ``odoo/_monkeypatches``) in an object without
    ``get_resource_reader``: ``importlib.resources`` then cannot open
    stdnum's data files ("Can't open orphan path"), and ``stdnum.iban``
    reads the IBAN registry (``iban.dat``) as it is imported. The package
    gets a standard source loader back for its resources; Odoo's patch,
    applied when the package was executed, stays applied.
    """
    import stdnum

    spec = stdnum.__spec__
    if spec and spec.origin and not hasattr(spec.loader, "get_resource_reader"):
        spec.loader = importlib.machinery.SourceFileLoader(spec.name, spec.origin)
    from stdnum import iban

    return iban


stdnum_iban = _stdnum_iban()


def is_digits(text: str) -> bool:
    """ASCII digits only: ``"²".isdigit()`` is true but ``int("²")`` fails."""
    return text.isascii() and text.isdigit()


def currency_decimals(currency: str | None) -> int:
    """Number of minor-unit digits of ``currency`` (2 when unknown)."""
    return _CURRENCY_DECIMALS.get((currency or "").upper(), 2)


def is_currency(code: str | None) -> bool:
    """True for a syntactically valid ISO 4217 code (three capitals)."""
    return bool(code) and bool(_CURRENCY_RE.match(code))


def is_valid_iban(value: str | None) -> bool:
    """ISO 13616 check of an already compacted, upper-case value.

    python-stdnum (an Odoo dependency) checks the mod-97 check digits and,
    unlike a bare mod-97, the country's IBAN length and BBAN structure from
    the SWIFT registry: "DE" followed by 21 digits is refused even when its
    check digits happen to fit. The country modules are not run
    (``check_country=False``): they also look the bank code up in a bundled
    bank list, which would refuse real IBANs of banks newer than the list.
    """
    if not value or not _IBAN_RE.match(value):
        return False
    return stdnum_iban.is_valid(value, check_country=False)


def is_bic(value: str | None) -> bool:
    """True for an 8 or 11 character BIC."""
    return bool(value) and bool(_BIC_RE.match(value))


def compact(value: str | None) -> str | None:
    """Remove every whitespace character; ``None`` when nothing is left."""
    if value is None:
        return None
    return "".join(value.split()) or None


def normalize_account(value: str | None) -> str | None:
    """Account number without spaces; IBANs upper-cased.

    Only IBAN-looking values are upper-cased: a domestic account "number" may
    legitimately contain letters whose case a bank's own tools preserve.
    """
    value = compact(value)
    if value is None:
        return None
    upper = value.upper()
    if _IBAN_RE.match(upper):
        return upper
    return value


def clean_text(value: str | None) -> str | None:
    """Collapse whitespace runs to one space; ``None`` for empty text."""
    if value is None:
        return None
    return " ".join(value.split()) or None


def join_text(parts, sep: str = " ") -> str | None:
    """Join the non-empty cleaned ``parts`` with ``sep``."""
    cleaned = [p for p in (clean_text(p) for p in parts) if p]
    return sep.join(cleaned) or None


def clip_raw(text: str | None, limit: int = RAW_LIMIT) -> str:
    """Cut ``text`` to at most ``limit`` UTF-8 bytes (never mid-character)."""
    if not text:
        return ""
    if len(text) * 4 <= limit:
        return text
    encoded = text.encode("utf-8", errors="replace")
    if len(encoded) <= limit:
        return text
    return encoded[:limit].decode("utf-8", errors="ignore")


def parse_decimal(
    text: str | None,
    decimal_separator: str = ".",
    thousands_separator: str | None = None,
) -> Decimal | None:
    """Parse a plain decimal number, or return ``None`` when it is not one.

    Callers turn ``None`` into a located :class:`ParseError`; returning instead
    of raising keeps this helper free of format knowledge.
    """
    if text is None:
        return None
    value = text.strip()
    if thousands_separator:
        value = value.replace(thousands_separator, "")
    if decimal_separator != ".":
        if "." in value:  # a dot left over is neither separator: ambiguous
            return None
        value = value.replace(decimal_separator, ".")
    if not _DEC_RE.match(value):
        return None
    return Decimal(value)


def make_date(year: int, month: int, day: int) -> date | None:
    """``date(year, month, day)`` or ``None`` when it does not exist."""
    try:
        return date(year, month, day)
    except ValueError:
        return None


def iso_date(text: str | None) -> date | None:
    """Date part of an ISO 8601 date or date-time (``2024-01-31[T...]``).

    The date is taken as written (the bank's local date), not converted to
    UTC: a booking at 00:30+01:00 belongs to the day the bank printed.
    """
    if not text:
        return None
    text = text.strip()
    if len(text) < 10 or text[4] != "-" or text[7] != "-":
        return None
    if len(text) > 10 and text[10] not in "T Z+-":  # xs:date may carry a zone
        return None
    head = text[:10]
    if not head.isascii():
        return None
    try:
        return date.fromisoformat(head)
    except ValueError:
        return None


def two_digit_year(yy: int) -> int:
    """Expand a two-digit year: 00-79 -> 2000s, 80-99 -> 1900s.

    SWIFT and BAI2 both carry two-digit years; statements from the 1980s still
    appear in archive migrations, statements from 2080 do not yet.
    """
    return 2000 + yy if yy < 80 else 1900 + yy
