# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Common model of a parsed bank statement and the ``parse`` entry point.

Every format parser (CAMT, MT940, BAI2, OFX, CSV/XLSX) produces the same
:class:`Statement` / :class:`StatementLine` objects, so the Odoo side (import
wizard, dedupe, reconciliation) never needs to know the file format.

Conventions:

* amounts are :class:`decimal.Decimal`, signed from the account holder's point
  of view: positive = money in (credit), negative = money out (debit);
* every parsing problem is a :class:`ParseError` naming *where* in the file it
  happened (line number, record number or XML element path);
* a parser either returns complete statements or raises: it never returns a
  silently truncated result.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import io
import logging
import zipfile
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from ._common import FORMAT_LABELS, clean_text, clip_raw, compact

if TYPE_CHECKING:  # pragma: no cover
    from .tabular import TabularMapping

_logger = logging.getLogger(__name__)

__all__ = [
    "BalanceMismatch",
    "ParseError",
    "ParserDefect",
    "Statement",
    "StatementLine",
    "parse",
]

#: Zip archives (e.g. a bank's daily CAMT bundle) are opened only within
#: these bounds, so a zip bomb cannot exhaust memory.
ZIP_MAX_MEMBERS = 200
ZIP_MAX_TOTAL_BYTES = 256 * 1024 * 1024


class ParseError(Exception):
    """A bank file could not be read; ``location`` says where.

    ``fmt`` is the format name ("camt", "mt940", ...), ``location`` a textual
    position ("line 14", "record 7", "Stmt[1]/Ntry[3]/Amt") and ``detail`` the
    message without the position. ``str(error)`` gives the full sentence, e.g.
    ``MT940 line 14: tag :61: amount '12,3x' is not a number``.
    """

    def __init__(self, message: str, *, fmt: str = "", location: str = ""):
        self.fmt = fmt
        self.location = location
        self.detail = message
        label = FORMAT_LABELS.get(fmt, fmt.upper())
        prefix = " ".join(p for p in (label, location) if p)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class ParserDefect(ParseError):
    """A parser failed in a way it does not foresee: a bug, not a bad file.

    :func:`guarded` turns any exception other than :class:`ParseError`
    escaping a public parsing function into this one, so the import wizard
    shows a sentence instead of a server error and nothing is half-imported.
    The property tests accept :class:`ParseError` but refuse this subclass:
    each defect found must be fixed where it arises.
    """


def guarded(default_fmt: str = ""):
    """Decorator of the public parsing functions (``f(data, ...)``).

    Whatever escapes the function that is not a :class:`ParseError` is
    logged with its traceback and re-raised as :class:`ParserDefect`, naming
    the format (the ``fmt`` argument when the function takes one). A caller
    passing something else than bytes still gets ``TypeError``: that is the
    caller's bug, not the file's.
    """

    def decorate(function):
        @functools.wraps(function)
        def wrapper(data, *args, **kwargs):
            if not isinstance(data, bytes | bytearray | memoryview):
                raise TypeError(f"{function.__name__}() expects bytes")
            try:
                return function(data, *args, **kwargs)
            except ParseError:
                raise
            except Exception as exc:
                try:
                    bound = inspect.signature(function).bind(data, *args, **kwargs)
                    fmt = bound.arguments.get("fmt") or default_fmt
                except TypeError:
                    fmt = default_fmt
                if not isinstance(fmt, str):
                    fmt = default_fmt
                _logger.exception(
                    "%s failed unexpectedly on a %s-byte input",
                    function.__name__,
                    len(data),
                )
                raise ParserDefect(
                    f"the file could not be read because of an unexpected "
                    f"{type(exc).__name__} ({str(exc)[:200]}); this is a defect "
                    "of the parser, please report it with the file",
                    fmt=fmt.lower(),
                ) from exc

        return wrapper

    return decorate


class BalanceMismatch(ParseError):
    """Opening balance + sum of the lines differs from the closing balance."""

    def __init__(
        self,
        message: str,
        *,
        fmt: str = "",
        location: str = "",
        opening: Decimal,
        total: Decimal,
        closing: Decimal,
        difference: Decimal,
    ):
        super().__init__(message, fmt=fmt, location=location)
        self.opening = opening
        self.total = total
        self.closing = closing
        self.difference = difference


def _norm_amount(amount: Decimal) -> str:
    """Canonical text of an amount: ``10.50`` and ``10.5`` hash the same."""
    if amount == 0:
        return "0"
    return format(amount.normalize(), "f")


@dataclass(slots=True, kw_only=True)
class StatementLine:
    """One booked transaction of a statement.

    ``amount`` is signed (+ money in, - money out) in ``currency``, the account
    currency. ``original_amount``/``original_currency`` carry the instructed
    amount of a foreign-currency payment, with the same sign. ``raw`` is a
    short extract of the source (at most 2 KB) for humans debugging a
    reconciliation, ``sequence`` the 1-based position in the statement.

    Fields after ``sequence`` are additions to the documented core:
    ``customer_reference`` (the account holder's own reference: MT940 field
    "reference for the account owner", BAI2 customer reference, OFX REFNUM),
    ``check_number``, ``occurrence`` (see :meth:`unique_import_id`) and
    ``extra`` (format-specific details such as SEPA mandate or creditor id).
    """

    booking_date: date
    value_date: date | None = None
    amount: Decimal
    currency: str
    original_amount: Decimal | None = None
    original_currency: str | None = None
    counterparty_name: str | None = None
    counterparty_account: str | None = None
    counterparty_bic: str | None = None
    structured_reference: str | None = None
    remittance: str | None = None
    end_to_end_id: str | None = None
    bank_reference: str | None = None
    transaction_code: str | None = None
    is_reversal: bool = False
    raw: str = ""
    sequence: int = 0
    customer_reference: str | None = None
    check_number: str | None = None
    occurrence: int | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def __post_init__(self):
        # Invariants enforced here rather than in each parser (kept cheap:
        # this runs once per line, 10,000+ times for a large file).
        if self.raw:
            self.raw = clip_raw(self.raw)
        if self.counterparty_account:
            self.counterparty_account = compact(self.counterparty_account)
        if self.counterparty_bic:
            self.counterparty_bic = compact(self.counterparty_bic)
        e2e = self.end_to_end_id
        if e2e is not None:
            e2e = e2e.strip()
            self.end_to_end_id = None if e2e.upper() in ("", "NOTPROVIDED") else e2e
        if self.bank_reference is not None:
            self.bank_reference = self.bank_reference.strip() or None
        if self.customer_reference is not None:
            self.customer_reference = self.customer_reference.strip() or None

    def identity_key(self) -> tuple:
        """What makes two lines "the same payment" when the bank gives no id.

        Free remittance text is left out on purpose: banks re-wrap or shorten
        it between an intraday and an end-of-day export of the same booking.
        """
        return (
            self.booking_date.isoformat(),
            _norm_amount(self.amount),
            self.currency,
            self.structured_reference or "",
            self.end_to_end_id or "",
            self.customer_reference or "",
            self.check_number or "",
            self.counterparty_account or "",
            (clean_text(self.counterparty_name) or "").casefold(),
        )

    def unique_import_id(self, account: str, statement_id: str) -> str:
        """Stable id used to refuse importing the same line twice.

        * When the bank gives its own id (``bank_reference``: CAMT AcctSvcrRef,
          MT940 bank reference, BAI2 bank reference, OFX FITID) the id is
          ``f"{account}|{bank_reference}"``.
        * Otherwise it is ``f"{account}|sha256:<hex>"`` over the account and
          :meth:`identity_key` (booking date, amount, currency, references,
          counterparty) plus a position. The position is needed because two
          identical lines on the same day (two 4.99 card fees, two customers
          paying the same invoice amount without reference) are legitimately
          two payments and must both be imported.

        The position used is ``occurrence`` when the parser set it (the index
        of this line among the *identical* lines of its statement: 0 for the
        first, 1 for its twin...), else ``sequence``. ``occurrence`` keeps the
        id stable when the same booking shows up at another position, as it
        does in overlapping exports ("last 30 days" downloaded every week).

        ``statement_id`` is deliberately not hashed: for CSV it is derived from
        the file bytes, so hashing it would defeat dedupe across re-exports. It
        stays in the signature so callers do not depend on that choice.
        """
        del statement_id  # documented above: not part of the identity
        if self.bank_reference:
            return f"{account}|{self.bank_reference}"
        if self.occurrence is not None:
            position = f"occ:{self.occurrence}"
        else:
            position = f"seq:{self.sequence}"
        payload = "\x1f".join((account, *self.identity_key(), position))
        digest = hashlib.sha256(payload.encode("utf-8")).hexdigest()
        return f"{account}|sha256:{digest}"


@dataclass(slots=True, kw_only=True)
class Statement:
    """One account statement (or report / notification) with its lines."""

    fmt: str
    account: str
    currency: str
    statement_id: str
    opening_balance: Decimal | None = None
    opening_date: date | None = None
    closing_balance: Decimal | None = None
    closing_date: date | None = None
    lines: list[StatementLine] = field(default_factory=list)
    bank_bic: str | None = None
    #: Human-readable remarks for the import wizard (e.g. "2 pending entries
    #: skipped"); nothing in here changes the figures above.
    notes: list[str] = field(default_factory=list)

    def total(self) -> Decimal:
        """Signed sum of the lines."""
        return sum((line.amount for line in self.lines), Decimal(0))

    def check_balance(self) -> None:
        """Raise :class:`BalanceMismatch` when opening + lines != closing.

        Nothing is checked when either balance is unknown (OFX has no opening
        balance, MT942 and many CSV exports have none at all).
        """
        if self.opening_balance is None or self.closing_balance is None:
            return
        total = self.total()
        difference = self.closing_balance - (self.opening_balance + total)
        if difference == 0:
            return
        raise BalanceMismatch(
            f"statement {self.statement_id!r} of account {self.account}: opening "
            f"{self.opening_balance} + lines {total} = "
            f"{self.opening_balance + total} but the closing balance is "
            f"{self.closing_balance} (difference {difference})",
            fmt=self.fmt,
            location=f"statement {self.statement_id}",
            opening=self.opening_balance,
            total=total,
            closing=self.closing_balance,
            difference=difference,
        )

    def finalize(self) -> Statement:
        """Number the lines and make their import ids unique.

        * ``sequence`` becomes the 1-based position;
        * ``occurrence`` the rank of the line among identical lines;
        * a ``bank_reference`` repeated inside the statement (some banks reuse
          the entry reference on every line of a batch) gets ``#2``, ``#3``...
          on its repeats, otherwise dedupe would drop real payments. The
          suffix is deterministic, so re-importing the file still dedupes.
        """
        seen: dict[tuple, int] = {}
        refs: dict[str, int] = {}
        for index, line in enumerate(self.lines, start=1):
            line.sequence = index
            key = line.identity_key()
            line.occurrence = seen.get(key, 0)
            seen[key] = line.occurrence + 1
            ref = line.bank_reference
            if ref:
                count = refs.get(ref, 0) + 1
                refs[ref] = count
                if count > 1:
                    line.bank_reference = f"{ref}#{count}"
        repeated = sorted(r for r, c in refs.items() if c > 1)
        if repeated:
            _logger.warning(
                "Statement %s: bank references repeated, suffixed: %s",
                self.statement_id,
                ", ".join(repeated[:5]),
            )
        return self


def _parse_zip(data: bytes) -> list[Statement]:
    """Parse every member of a zip archive (format detected per member)."""
    from .detect import detect_format

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = [i for i in archive.infolist() if not i.is_dir()]
    except Exception as exc:  # BadZipFile, NotImplementedError, EOFError...
        raise ParseError(f"not a readable zip archive ({exc})", fmt="zip") from exc
    if len(infos) > ZIP_MAX_MEMBERS:
        raise ParseError(f"more than {ZIP_MAX_MEMBERS} files in archive", fmt="zip")
    if sum(i.file_size for i in infos) > ZIP_MAX_TOTAL_BYTES:
        raise ParseError("archive too large once uncompressed", fmt="zip")
    statements: list[Statement] = []
    for info in infos:
        try:
            member = archive.read(info)
        except Exception as exc:  # zipfile raises many types for corrupt members
            raise ParseError(
                f"cannot extract ({exc})", fmt="zip", location=info.filename
            ) from exc
        fmt = detect_format(member, info.filename)
        if fmt in ("zip", "csv", "xlsx"):
            raise ParseError(
                f"unsupported member format {fmt!r}", fmt="zip", location=info.filename
            )
        try:
            statements.extend(parse(member, fmt))
        except ParseError as exc:
            raise ParseError(
                exc.detail,
                fmt=exc.fmt,
                location=" ".join(p for p in (info.filename, exc.location) if p),
            ) from exc
    return statements


@guarded()
def parse(
    data: bytes,
    fmt: str | None = None,
    *,
    mapping: TabularMapping | None = None,
) -> list[Statement]:
    """Parse a bank file into statements.

    ``fmt`` is one of "camt", "mt940", "bai2", "ofx", "csv", "xlsx" (and
    "zip" for an archive of statement files); ``None`` detects it from the
    content. CSV and XLSX need a :class:`~.tabular.TabularMapping`.
    One file may hold several statements (several MT940 ``:20:`` blocks,
    several CAMT ``Stmt``, several BAI2 accounts, several OFX accounts).
    """
    data = bytes(data)
    if fmt is None:
        from .detect import detect_format

        fmt = detect_format(data)
    fmt = fmt.lower()
    if fmt == "camt":
        from .camt import parse_camt as parser
    elif fmt in ("mt940", "mt942"):
        from .mt940 import parse_mt940 as parser
    elif fmt == "bai2":
        from .bai2 import parse_bai2 as parser
    elif fmt in ("ofx", "qfx"):
        from .ofx import parse_ofx as parser
    elif fmt in ("csv", "xlsx"):
        from .tabular import parse_tabular

        if mapping is None:
            raise ParseError("a column mapping is required", fmt=fmt)
        statements = parse_tabular(data, mapping, fmt=fmt)
        return [s.finalize() for s in statements]
    elif fmt == "zip":
        return _parse_zip(data)
    else:
        raise ParseError(f"unknown format {fmt!r}", fmt="")
    statements = parser(data)
    return [s.finalize() for s in statements]
