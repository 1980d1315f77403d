# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""SWIFT MT940 (end of day) and MT942 (intraday) statement parser.

Structure handled::

    {1:...}{2:...}{4:            SWIFT envelope, optional, stripped
    :20:reference                starts a statement (several per file)
    :25:account  :28C:number
    :60F: or :60M:               opening balance (M = continued statement)
    :61: + optional :86:         one line each (repeated)
    :62F: or :62M:               closing balance
    :64: :65:                    available balances, ignored
    -}                           end of message

MT942 has no balances but ``:34F:`` (floor limit, gives the currency),
``:13D:`` (date/time) and optional ``:90D:``/``:90C:`` (number and sum of
debit/credit entries) which, when present, are checked: a mismatch means a
truncated or corrupt file.

Completeness rules (MT940 has no file trailer, so truncation must be caught
from the structure):

* a statement with an opening balance needs its ``:62F:``; a statement cut
  before it is refused instead of being imported with half of its lines. The
  one exception is a message explicitly ended by ``-`` without ``:62F:`` (a
  bank leaving out the mandatory tag): it is accepted, with a note;
* a SWIFT envelope opened with ``{1:`` / ``{4:`` must be closed by ``-}``;
* a lone ``-`` only ends a message when the statement is closed or a tag
  follows, because wrapped ``:86:`` text can contain a line made of "-".

Lines are numbered as in the file (1-based) in every error. The ``:86:``
layouts (German ``?20``, ING slash keys, free text) are read by
:mod:`.mt940_details`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from ._common import (
    clean_text,
    compact,
    is_bic,
    is_digits,
    is_valid_iban,
    make_date,
    normalize_account,
    two_digit_year,
)
from .mt940_details import parse_details
from .statement import ParseError, Statement, StatementLine, guarded

_logger = logging.getLogger(__name__)

__all__ = ["parse_mt940"]

FMT = "mt940"
_TAG_RE = re.compile(r"^:([0-9]{2}[A-Z]?|NS):(.*)$")
_ENVELOPE_RE = re.compile(
    r"\{[1-3]:(?:[^{}]|\{[^{}]*\})*\}|\{4:|\{5:(?:[^{}]|\{[^{}]*\})*\}?"
)
_IBAN_SHAPE_RE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}$")
_GLUE_RE = re.compile(r"^[0-9]{2}[A-Z]?:")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_RE = re.compile(
    r"^(?P<vdate>[0-9]{6})(?P<edate>[0-9]{4}| {4})?"
    r"(?P<mark>R?[CD]|E[CD])(?P<funds>[A-Z])?"
    r"(?P<amount>[0-9][^A-Z]*?)(?P<ttype>[A-Z][A-Z0-9 ]{3})(?P<refs>.*)$"
)
_BALANCE_RE = re.compile(
    r"^(?P<mark>[CD])(?P<date>[0-9]{6})(?P<ccy>[A-Z]{3})(?P<amount>.*)$"
)
_FLOOR_RE = re.compile(r"^(?P<ccy>[A-Z]{3})(?P<mark>[CD])?(?P<amount>.*)$")
_SUM_RE = re.compile(r"^(?P<count>[0-9]{1,5})(?P<ccy>[A-Z]{3})(?P<amount>.*)$")
_AMOUNT_RE = re.compile(r"^[0-9]{1,18}(?:,[0-9]*)?$")
_IGNORED = {"13", "13D", "21", "28", "28C", "34F", "64", "65", "NS", "90C", "90D"}
_KNOWN = _IGNORED | {"20", "25", "60F", "60M", "61", "62F", "62M", "86"}


@dataclass
class _Tag:
    name: str
    lines: list[str]
    lineno: int

    @property
    def where(self) -> str:
        return f"line {self.lineno}"


@dataclass
class _Builder:
    """Statement being assembled."""

    reference: str
    lineno: int
    account: str | None = None
    bank_bic: str | None = None
    number: str | None = None
    currency: str | None = None
    opening: tuple | None = None
    closing: tuple | None = None
    intraday: bool = False
    terminated: bool = False
    sums: dict[str, tuple] = field(default_factory=dict)
    lines: list[StatementLine] = field(default_factory=list)
    raws: list[list[str]] = field(default_factory=list)
    signs: list[int] = field(default_factory=list)
    detailed: list[bool] = field(default_factory=list)


def _decode(data: bytes) -> str:
    """UTF-8, else Windows-1252, else Latin-1 (never fails).

    SWIFT's character set is ASCII, but bank exports routinely carry accented
    names in either of the first two encodings.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for codec in ("utf-8", "cp1252"):
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _amount(text: str, what: str, where: str) -> Decimal:
    text = text.strip()
    if not _AMOUNT_RE.match(text):
        raise ParseError(
            f"{what} amount {text!r} is not a number", fmt=FMT, location=where
        )
    return Decimal(text.replace(",", "."))


def _yymmdd(text: str, what: str, where: str) -> date:
    value = None
    if len(text) == 6 and is_digits(text):
        value = make_date(two_digit_year(int(text[:2])), int(text[2:4]), int(text[4:]))
    if value is None:
        raise ParseError(
            f"{what} {text!r} is not a valid date", fmt=FMT, location=where
        )
    return value


def _value_date(text: str, where: str) -> tuple[date, bool]:
    """Value date of ``:61:``; day clamped to the month end when too large.

    German banks compute interest on a 30/360 basis and print value dates
    such as 30 February on interest postings. The value date is informative
    only, so it is clamped to the last day of the month (and flagged) rather
    than refusing the whole file. Anything else invalid is an error.
    """
    if len(text) == 6 and is_digits(text):
        year, month, day = two_digit_year(int(text[:2])), int(text[2:4]), int(text[4:])
        value = make_date(year, month, day)
        if value is not None:
            return value, False
        if 1 <= month <= 12 and 28 < day <= 31:
            for last in (30, 29, 28):
                value = make_date(year, month, last)
                if value is not None:
                    return value, True
    raise ParseError(
        f"tag :61: value date {text!r} is not a valid date", fmt=FMT, location=where
    )


def _entry_date(mmdd: str, value_date: date, where: str) -> date:
    """Entry date ``MMDD`` next to value date: pick the nearest year.

    Around new year the entry (booking) date and the value date fall in
    different years: value 2023-12-31 booked 0102 is 2024-01-02, value
    2024-01-02 booked 1231 is 2023-12-31.
    """
    month, day = int(mmdd[:2]), int(mmdd[2:])
    candidates = [
        d
        for d in (make_date(value_date.year + k, month, day) for k in (-1, 0, 1))
        if d is not None
    ]
    if not candidates:
        raise ParseError(
            f"entry date {mmdd!r} is not a valid date", fmt=FMT, location=where
        )
    return min(candidates, key=lambda d: abs((d - value_date).days))


def _is_terminator(lines: list[str], index: int, closed: bool) -> bool:
    """Whether the "-" line at ``index`` ends the message.

    A lone "-" also occurs *inside* wrapped ``:86:`` text ("MND" / "-" /
    "EV01"), so it only ends the message when the statement is closed
    (``:62F:`` seen) or when what follows is the end of file or a new tag.
    """
    line = lines[index].strip()
    if line.startswith("-}") or closed:
        return True
    for following in lines[index + 1 :]:
        following = _ENVELOPE_RE.sub("", following).strip()
        if following:
            return bool(_TAG_RE.match(following)) or following.startswith("{")
    return True


def _check_envelope(lines: list[str]) -> None:
    """A SWIFT envelope that is opened must be closed.

    Files made of several ``{1:}{2:}{4:`` ... ``-}`` messages have no file
    trailer; an unterminated last block or a header cut in the middle is
    the only sign that the file was truncated between two statements.
    """
    open_block = 0
    for lineno, line in enumerate(lines, start=1):
        if "{1:" in line:
            open_block = lineno  # a header must be followed by its {4: block
        if "{4:" in line:
            open_block = lineno
        if line.lstrip().startswith("-}"):
            open_block = 0
        if (
            line.lstrip().startswith("{")
            and _ENVELOPE_RE.sub("", line).lstrip()[:1] == "{"
        ):
            raise ParseError(
                "malformed SWIFT header block", fmt=FMT, location=f"line {lineno}"
            )
    if open_block:
        raise ParseError(
            "SWIFT message is never closed by -}: file truncated?",
            fmt=FMT,
            location=f"line {open_block}",
        )


def _lex(text: str) -> list[_Tag]:
    """Split the text into tags with their continuation lines.

    A pseudo-tag "-" marks an explicit end of message.
    """
    text = _CONTROL_RE.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    raw_lines = text.split("\n")
    _check_envelope(raw_lines)
    lines = [_ENVELOPE_RE.sub("", line).rstrip() for line in raw_lines]
    tags: list[_Tag] = []
    in_message = False  # between a :20: and a "-" terminator
    closed = False  # closing balance seen in the current message
    index = 0
    while index < len(lines):
        lineno = index + 1
        line = lines[index]
        # A tag cut in two by a line break (":" then "86:..."), seen in some
        # savings bank exports: glue it back.
        if line == ":" and index + 1 < len(lines) and _GLUE_RE.match(lines[index + 1]):
            index += 1
            line = ":" + lines[index]
        index += 1
        match = _TAG_RE.match(line)
        if match:
            name = match.group(1)
            if name not in _KNOWN and tags and tags[-1].name == "86" and in_message:
                # ":26:37" of a time wrapped inside :86: text, not a tag
                tags[-1].lines.append(line)
                continue
            if name == "20":
                in_message, closed = True, False
            if not in_message:
                if name in _KNOWN:
                    raise ParseError(
                        f"tag :{name}: outside a statement (no :20: before it)",
                        fmt=FMT,
                        location=f"line {lineno}",
                    )
                continue  # header noise such as ":940:"
            closed = closed or name in ("62F", "62M")
            tags.append(_Tag(name, [match.group(2)], lineno))
        elif line.strip() in ("-", "-}") or line.startswith("-}"):
            if in_message and _is_terminator(lines, index - 1, closed):
                in_message = False
                tags.append(_Tag("-", [], lineno))
            elif in_message and tags:
                tags[-1].lines.append(line)
        elif in_message and tags:
            tags[-1].lines.append(line)
    return tags


def _account(builder: _Builder, tag: _Tag) -> None:
    if any(line.strip() for line in tag.lines[1:]):
        raise ParseError("tag :25: spans several lines", fmt=FMT, location=tag.where)
    value = compact(tag.lines[0])
    if not value:
        raise ParseError("tag :25: has no account", fmt=FMT, location=tag.where)
    if "/" in value:
        head, _, tail = value.partition("/")
        if is_bic(head.upper()) and tail:
            builder.bank_bic, value = head.upper(), tail
    builder.account = normalize_account(value)


def _balance(tag: _Tag) -> tuple[Decimal, date, str]:
    text = "".join(tag.lines).strip()
    match = _BALANCE_RE.match(text)
    if not match:
        raise ParseError(
            f"tag :{tag.name}: balance {text!r} is malformed",
            fmt=FMT,
            location=tag.where,
        )
    amount = _amount(match.group("amount"), f"tag :{tag.name}:", tag.where)
    when = _yymmdd(match.group("date"), f"tag :{tag.name}: date", tag.where)
    if match.group("mark") == "D":
        amount = -amount
    return amount, when, match.group("ccy")


def _line(builder: _Builder, tag: _Tag) -> None:
    first = tag.lines[0].strip()
    rest = tag.lines[1:]
    match = _LINE_RE.match(first)
    if (not match or not _AMOUNT_RE.match(match.group("amount"))) and rest:
        joined = _LINE_RE.match(first + rest[0].strip())
        if joined and _AMOUNT_RE.match(joined.group("amount")):
            match, rest = joined, rest[1:]
    if not match:
        raise ParseError(f"tag :61: cannot read {first!r}", fmt=FMT, location=tag.where)
    amount = _amount(match.group("amount"), "tag :61:", tag.where)
    value_date, clamped = _value_date(match.group("vdate"), tag.where)
    booking = value_date
    entry = (match.group("edate") or "").strip()
    if entry:  # four spaces = no entry date (Citi, ASN)
        booking = _entry_date(entry, value_date, tag.where)
    mark = match.group("mark")
    reversal = mark.startswith("R")
    # C = credit, D = debit; RC = reversal of a credit (money goes out),
    # RD = reversal of a debit (money comes back); EC/ED = expected (MT942).
    sign = 1 if mark in ("C", "RD", "EC") else -1
    refs = match.group("refs")
    customer_ref, _, bank_ref = refs.partition("//")
    customer_ref = customer_ref.strip()
    bank_ref = bank_ref.strip()
    supplementary = clean_text(" ".join(rest))
    extra = {}
    if clamped:
        extra["value_date_raw"] = match.group("vdate")
    if supplementary:
        extra["supplementary_details"] = supplementary
    if match.group("funds"):
        extra["funds_code"] = match.group("funds")
    builder.lines.append(
        StatementLine(
            booking_date=booking,
            value_date=value_date,
            amount=sign * amount,
            currency=builder.currency or "",
            bank_reference=None if bank_ref.upper() in ("", "NONREF") else bank_ref,
            customer_reference=None
            if customer_ref.upper() in ("", "NONREF")
            else customer_ref,
            transaction_code=match.group("ttype"),
            is_reversal=reversal,
            extra=extra,
        )
    )
    builder.raws.append(
        [f":61:{ln}" if i == 0 else ln for i, ln in enumerate(tag.lines)]
    )
    builder.signs.append(sign)
    builder.detailed.append(False)


def _details(builder: _Builder, tag: _Tag) -> None:
    line = builder.lines[-1]
    builder.detailed[-1] = True
    builder.raws[-1].extend(
        f":86:{ln}" if i == 0 else ln for i, ln in enumerate(tag.lines)
    )
    details = parse_details(tag.lines)
    line.remittance = details.remittance
    line.counterparty_name = details.counterparty_name
    line.counterparty_account = compact(details.counterparty_account)
    line.counterparty_bic = compact(details.counterparty_bic)
    line.structured_reference = details.structured_reference
    line.end_to_end_id = details.end_to_end_id
    if details.end_to_end_id and details.end_to_end_id.upper() == "NOTPROVIDED":
        line.end_to_end_id = None
    line.customer_reference = line.customer_reference or details.customer_reference
    line.extra.update(details.extra)


def _sum(builder: _Builder, tag: _Tag) -> None:
    text = "".join(tag.lines).strip()
    match = _SUM_RE.match(text)
    if not match:
        raise ParseError(
            f"tag :{tag.name}: {text!r} is malformed", fmt=FMT, location=tag.where
        )
    amount = _amount(match.group("amount"), f"tag :{tag.name}:", tag.where)
    builder.sums[tag.name] = (int(match.group("count")), amount, tag.where)
    builder.currency = builder.currency or match.group("ccy")


def _finish(builder: _Builder) -> Statement:
    where = f"line {builder.lineno}"
    if not builder.account:
        raise ParseError("statement has no account (:25:)", fmt=FMT, location=where)
    if builder.opening is None and not builder.intraday:
        raise ParseError(
            "statement has no opening balance (:60F:)", fmt=FMT, location=where
        )
    notes = []
    if builder.opening is not None and builder.closing is None:
        if not builder.terminated:
            raise ParseError(
                "statement has no closing balance (:62F:): file truncated?",
                fmt=FMT,
                location=where,
            )
        # The message is complete (explicit "-" end) but the bank left out
        # the mandatory :62F:; importable, balance check impossible.
        notes.append("no closing balance (:62F:) in this statement")
    currency = builder.currency
    if not currency:
        raise ParseError("statement currency is unknown", fmt=FMT, location=where)
    account = builder.account
    # ING and others append the currency to the IBAN: NL77INGB0574908765EUR
    if account.upper().endswith(currency) and _IBAN_SHAPE_RE.match(
        account[:-3].upper()
    ):
        account = account[:-3].upper()
    for line, raw, detailed in zip(
        builder.lines, builder.raws, builder.detailed, strict=True
    ):
        line.currency = currency
        line.raw = "\n".join(raw)
        if not line.counterparty_account:
            supplementary = compact(line.extra.get("supplementary_details"))
            if supplementary and is_valid_iban(supplementary.upper()):
                line.counterparty_account = supplementary.upper()
        if not detailed and line.extra.get("supplementary_details"):
            line.remittance = line.extra["supplementary_details"]
    for name, sign in (("90D", -1), ("90C", 1)):
        if name not in builder.sums:
            continue
        count, total, tag_where = builder.sums[name]
        found = [
            abs(ln.amount)
            for ln, ln_sign in zip(builder.lines, builder.signs, strict=True)
            if ln_sign == sign
        ]
        if count != len(found) or total != sum(found, Decimal(0)):
            raise ParseError(
                f"tag :{name}: announces {count} entries totalling {total} but the "
                f"statement has {len(found)} totalling {sum(found, Decimal(0))}",
                fmt=FMT,
                location=tag_where,
            )
    statement_id = builder.reference
    if builder.number:
        statement_id = f"{builder.reference}/{builder.number}"
    return Statement(
        fmt=FMT,
        account=account,
        currency=currency,
        statement_id=statement_id,
        opening_balance=builder.opening[0] if builder.opening else None,
        opening_date=builder.opening[1] if builder.opening else None,
        closing_balance=builder.closing[0] if builder.closing else None,
        closing_date=builder.closing[1] if builder.closing else None,
        lines=builder.lines,
        bank_bic=builder.bank_bic,
        notes=notes,
    )


def _apply(builder: _Builder, tag: _Tag, after_lines: bool) -> None:
    """Feed one (non-:20:) tag into the statement being built."""
    name = tag.name
    if name == "25":
        _account(builder, tag)
    elif name in ("28C", "28"):
        builder.number = clean_text("".join(tag.lines))
    elif name in ("60F", "60M"):
        if builder.opening is None:
            builder.opening = _balance(tag)
            builder.currency = builder.currency or builder.opening[2]
    elif name in ("62F", "62M"):
        builder.closing = _balance(tag)
        builder.currency = builder.currency or builder.closing[2]
    elif name == "61":
        if builder.closing is not None:
            raise ParseError(
                "tag :61: after the closing balance", fmt=FMT, location=tag.where
            )
        _line(builder, tag)
    elif name == "86":
        if after_lines and builder.closing is None:
            _details(builder, tag)
        # else: statement-level information, not tied to a line
    elif name in ("34F", "13D", "13"):
        builder.intraday = True
        if name == "34F":
            match = _FLOOR_RE.match("".join(tag.lines).strip())
            if not match:
                raise ParseError("tag :34F: is malformed", fmt=FMT, location=tag.where)
            builder.currency = builder.currency or match.group("ccy")
    elif name in ("90D", "90C"):
        _sum(builder, tag)
    elif name == "-":
        builder.terminated = True
    elif name not in _IGNORED:
        raise ParseError(f"unknown tag :{name}:", fmt=FMT, location=tag.where)


@guarded("mt940")
def parse_mt940(data: bytes) -> list[Statement]:
    """Parse an MT940/MT942 file into statements (one per ``:20:``)."""
    tags = _lex(_decode(data))
    if not tags:
        raise ParseError("no statement found (no :20: tag)", fmt=FMT, location="line 1")
    statements: list[Statement] = []
    builder: _Builder | None = None
    previous = ""
    for tag in tags:
        if tag.name == "20":
            if builder is not None:
                statements.append(_finish(builder))
            reference = clean_text(" ".join(tag.lines))
            if not reference:
                raise ParseError("tag :20: is empty", fmt=FMT, location=tag.where)
            builder = _Builder(reference=reference, lineno=tag.lineno)
            previous = "20"
            continue
        # _lex guarantees a :20: came first
        _apply(builder, tag, after_lines=previous == "61")
        previous = tag.name
    statements.append(_finish(builder))
    return statements
