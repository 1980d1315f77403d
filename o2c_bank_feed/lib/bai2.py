# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""BAI2 (Cash Management Balance Reporting, version 2) parser.

Records: ``01`` file header, ``02`` group header (as-of date, currency),
``03`` account identifier with summary/status amounts, ``16`` transaction
detail, ``88`` continuation, ``49`` account trailer, ``98`` group trailer,
``99`` file trailer. One statement is produced per ``03`` account.

Rules worth knowing:

* A record ends with ``/``; fields are comma separated, blank = default.
  Several records may share one physical line ("16,..../ 16,..../") and a
  ``16`` text may itself contain ``/``: a physical line is only split where a
  ``/`` is followed by blanks and a record code.
* ``88`` after a ``16`` continues its free text; after any other record it
  continues its *fields*.
* Amounts have implied decimals: 2, or the currency's minor units (0 for JPY).
  Detail amounts are unsigned, the type code gives the direction.
* Trailers are checked: record counts (logical records, ``88`` included) and
  control totals (algebraic sum of the ``03`` summary amounts and ``16``
  amounts, funds-availability breakdowns excluded). A mismatch means a
  truncated or corrupt file and raises :class:`ParseError`. A *blank* control
  total or count is "not given" and is not checked.

Direction of a detail type code (the choice documented here, following the
BAI type code table):

=========  =========================================================
000-099    account status: not a transaction (ParseError in a 16)
100-399    credit (money in)
400-699    debit (money out)
700-719    loan status: not a transaction
720-759    loan credits (loan payments received)
760-799    loan debits (disbursements, fees)
900-919    custom status: not a transaction
920-959    custom credits
960-999    custom debits
=========  =========================================================

Banks that use custom codes differently can pass ``sign_overrides``
(type code -> +1 / -1).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from ._common import (
    clean_text,
    currency_decimals,
    is_currency,
    is_digits,
    make_date,
    normalize_account,
    two_digit_year,
)
from .statement import ParseError, Statement, StatementLine, guarded

_logger = logging.getLogger(__name__)

__all__ = ["detail_sign", "parse_bai2"]

FMT = "bai2"
_CODES = {"01", "02", "03", "16", "49", "88", "98", "99"}
_PACKED_RE = re.compile(r"/\s+(?=(?:01|02|03|16|49|88|98|99),)")
_AMOUNT_RE = re.compile(r"^[+-]?[0-9]{1,20}$")
_RECORD_START_RE = re.compile(r"^[0-9][0-9](,|/|$)")
_TYPE_RE = re.compile(r"^[0-9]{3}$")


def detail_sign(type_code: str, overrides: dict[str, int] | None = None) -> int | None:
    """+1 (credit), -1 (debit) or ``None`` (status code: not a transaction)."""
    if overrides and type_code in overrides:
        return overrides[type_code]
    code = int(type_code)
    if 100 <= code <= 399 or 720 <= code <= 759 or 920 <= code <= 959:
        return 1
    if 400 <= code <= 699 or 760 <= code <= 799 or 960 <= code <= 999:
        return -1
    return None


@dataclass
class _Record:
    code: str
    body: str  # everything after "NN,"
    lineno: int
    number: int  # logical record number (1-based)
    continuations: list[str] = field(default_factory=list)

    @property
    def where(self) -> str:
        return f"record {self.number} (line {self.lineno})"

    def joined(self) -> str:
        """Body and ``88`` continuations as one field list (``/`` removed)."""
        parts = [self.body, *self.continuations]
        return ",".join(p.rstrip().removesuffix("/") for p in parts)


class _Fields:
    """Cursor over the comma-separated fields of a record."""

    def __init__(self, text: str, record: _Record):
        text = text.rstrip()
        text = text.removesuffix("/")
        self.items = text.split(",")
        self.pos = 0
        self.record = record

    def next(self) -> str:
        if self.pos >= len(self.items):
            return ""
        value = self.items[self.pos].strip()
        self.pos += 1
        if value.startswith("/"):  # premature end of record: rest is default
            self.pos = len(self.items)
            return ""
        return value

    def more(self) -> bool:
        return any(item.strip() for item in self.items[self.pos :])


def _records(text: str) -> list[_Record]:
    """Logical records with their continuations attached."""
    records: list[_Record] = []
    number = 0
    for lineno, physical in enumerate(text.split("\n"), start=1):
        physical = physical.strip()
        if not physical:
            continue
        for chunk in _PACKED_RE.split(physical):
            chunk = chunk.strip()
            if not chunk:
                continue
            if (
                not _RECORD_START_RE.match(chunk)
                and records
                and records[-1].code == "16"
            ):
                # Text of a 16 (or of its last 88) wrapped onto a new physical
                # line without a record code: some banks do this; it is not a
                # record, so it is not counted.
                last = records[-1]
                if last.continuations:
                    last.continuations[-1] += " " + chunk
                else:
                    last.body += " " + chunk
                continue
            number += 1
            code, _, body = chunk.partition(",")
            record = _Record(code.strip(), body, lineno, number)
            if record.code not in _CODES:
                raise ParseError(
                    f"unknown record code {record.code[:10]!r}",
                    fmt=FMT,
                    location=record.where,
                )
            if record.code == "88":
                if not records:
                    raise ParseError(
                        "continuation record 88 with nothing to continue",
                        fmt=FMT,
                        location=record.where,
                    )
                records[-1].continuations.append(body)
                continue
            records.append(record)
    return records


def _amount(text: str, decimals: int, what: str, where: str) -> Decimal | None:
    if text == "":
        return None
    if not _AMOUNT_RE.match(text):
        raise ParseError(f"{what} {text!r} is not a number", fmt=FMT, location=where)
    return Decimal(text).scaleb(-decimals)


def _date(text: str, what: str, where: str) -> date:
    value = None
    if len(text) == 6 and is_digits(text):
        value = make_date(two_digit_year(int(text[:2])), int(text[2:4]), int(text[4:]))
    if value is None:
        raise ParseError(
            f"{what} {text!r} is not a valid YYMMDD date", fmt=FMT, location=where
        )
    return value


def _funds(fields: _Fields, decimals: int, where: str) -> tuple[str, date | None]:
    """Consume a funds type and its extra fields; return (type, value date)."""
    funds = fields.next().upper()
    value_date = None
    if funds == "S":
        for _ in range(3):
            _amount(fields.next(), decimals, "availability amount", where)
    elif funds == "V":
        text = fields.next()
        fields.next()  # value time, informative
        if text:
            value_date = _date(text, "value date", where)
    elif funds == "D":
        count_text = fields.next()
        if not is_digits(count_text) or int(count_text) > 99:
            raise ParseError(
                f"distribution count {count_text!r} is not a number",
                fmt=FMT,
                location=where,
            )
        for _ in range(int(count_text)):
            days = fields.next()
            if not is_digits(days):
                raise ParseError(
                    f"distribution days {days!r} invalid", fmt=FMT, location=where
                )
            _amount(fields.next(), decimals, "distribution amount", where)
    elif funds not in ("", "0", "1", "2", "Z"):
        raise ParseError(f"unknown funds type {funds!r}", fmt=FMT, location=where)
    return funds, value_date


@dataclass
class _Account:
    record: _Record
    account: str
    currency: str
    decimals: int
    opening: Decimal | None = None
    closing: Decimal | None = None
    total: Decimal = Decimal(0)  # control total in minor units
    count: int = 1
    lines: list[StatementLine] = field(default_factory=list)


class _Bai2:
    def __init__(self, sign_overrides: dict[str, int] | None):
        self.overrides = sign_overrides
        self.statements: list[Statement] = []
        self.file_id = ""
        self.group_currency = "USD"
        self.as_of: date | None = None
        self.account: _Account | None = None
        self.group_total = Decimal(0)
        self.group_accounts = 0
        self.group_records = 0
        self.file_total = Decimal(0)
        self.file_groups = 0
        self.file_records = 0
        self.header_records = 1
        self.state = "start"  # start, file, group, account, end

    def expect(self, record: _Record, *states: str) -> None:
        if self.state not in states:
            raise ParseError(
                f"record {record.code} is out of place (after {self.state} records)",
                fmt=FMT,
                location=record.where,
            )

    def check(self, record, what, given_total, total, given_count, count):
        if given_total is not None and given_total != total:
            raise ParseError(
                f"{what} control total {given_total} but the records add up to {total}",
                fmt=FMT,
                location=record.where,
            )
        if given_count != "" and (
            not is_digits(given_count) or int(given_count) != count
        ):
            raise ParseError(
                f"{what} announces {given_count} records/items but there are {count}",
                fmt=FMT,
                location=record.where,
            )

    # -- records ----------------------------------------------------------------
    def header(self, record: _Record) -> None:
        self.expect(record, "start")
        fields = _Fields(record.body, record)
        fields.next()  # sender
        fields.next()  # receiver
        created = fields.next()
        _date(created, "file creation date", record.where)
        fields.next()  # time
        self.file_id = fields.next()
        self.header_records = 1 + len(record.continuations)
        self.state = "file"

    def group(self, record: _Record) -> None:
        self.expect(record, "file")
        fields = _Fields(record.joined(), record)
        fields.next()  # ultimate receiver
        fields.next()  # originator
        status = fields.next()
        if status not in ("", "1", "2", "3", "4"):
            raise ParseError(
                f"group status {status!r} is invalid", fmt=FMT, location=record.where
            )
        self.as_of = _date(fields.next(), "as-of date", record.where)
        fields.next()  # as-of time
        currency = fields.next().upper()
        if currency and not is_currency(currency):
            raise ParseError(
                f"currency {currency!r} is invalid", fmt=FMT, location=record.where
            )
        self.group_currency = currency or "USD"  # BAI2 default currency
        self.group_total = Decimal(0)
        self.group_accounts = 0
        self.group_records = 1 + len(record.continuations)
        self.state = "group"

    def account_header(self, record: _Record) -> None:
        self.expect(record, "group")
        fields = _Fields(record.joined(), record)
        number = normalize_account(fields.next())
        if not number:
            raise ParseError(
                "account number is missing", fmt=FMT, location=record.where
            )
        currency = fields.next().upper() or self.group_currency
        if not is_currency(currency):
            raise ParseError(
                f"currency {currency!r} is invalid", fmt=FMT, location=record.where
            )
        decimals = currency_decimals(currency)
        account = _Account(record, number, currency, decimals)
        account.count = 1 + len(record.continuations)
        while fields.more():
            type_code = fields.next()
            if not type_code:
                continue  # empty type code: padding before the "/"
            if not _TYPE_RE.match(type_code):
                raise ParseError(
                    f"summary type code {type_code!r} is invalid",
                    fmt=FMT,
                    location=record.where,
                )
            amount = _amount(
                fields.next(), decimals, f"amount of type {type_code}", record.where
            )
            fields.next()  # item count
            _funds(fields, decimals, record.where)
            if amount is None:
                continue
            account.total += amount
            if type_code == "010" and account.opening is None:
                account.opening = amount
            elif type_code == "015" and account.closing is None:
                account.closing = amount
        self.account = account
        self.state = "account"

    def detail(self, record: _Record) -> None:
        self.expect(record, "account")
        account = self.account
        fields = _Fields(record.body, record)
        # keep the text intact: only the fixed fields are split on commas
        type_code = fields.next()
        if not _TYPE_RE.match(type_code):
            raise ParseError(
                f"detail type code {type_code!r} is invalid",
                fmt=FMT,
                location=record.where,
            )
        sign = detail_sign(type_code, self.overrides)
        if sign is None:
            raise ParseError(
                f"type code {type_code} is a status/summary code, not a transaction",
                fmt=FMT,
                location=record.where,
            )
        amount_text = fields.next()
        amount = _amount(amount_text, account.decimals, "amount", record.where)
        if amount is None or amount < 0 or amount_text[:1] in "+-":
            raise ParseError(
                f"detail amount {amount_text!r} must be an unsigned number",
                fmt=FMT,
                location=record.where,
            )
        funds, value_date = _funds(fields, account.decimals, record.where)
        bank_ref = fields.next()
        customer_ref = fields.next()
        text = (
            ",".join(fields.items[fields.pos :])
            if fields.pos < len(fields.items)
            else ""
        )
        text = text.strip()
        if text.startswith("/"):
            text = ""
        parts = [text, *(c.strip().removesuffix("/") for c in record.continuations)]
        remittance = clean_text(" ".join(p for p in parts if p.strip()))
        raw = "\n".join(
            [f"16,{record.body}", *(f"88,{c}" for c in record.continuations)]
        )
        account.total += amount
        account.count += 1 + len(record.continuations)
        extra = {"funds_type": funds} if funds else {}
        account.lines.append(
            StatementLine(
                booking_date=self.as_of,
                value_date=value_date,
                amount=sign * amount,
                currency=account.currency,
                remittance=remittance,
                bank_reference=bank_ref or None,
                customer_reference=customer_ref or None,
                transaction_code=type_code,
                raw=raw,
                extra=extra,
            )
        )

    def account_trailer(self, record: _Record) -> None:
        self.expect(record, "account")
        account = self.account
        account.count += 1 + len(record.continuations)
        fields = _Fields(record.joined(), record)
        given = _amount(fields.next(), account.decimals, "control total", record.where)
        count = fields.next()
        self.check(
            record, "account trailer 49", given, account.total, count, account.count
        )
        self.statements.append(
            Statement(
                fmt=FMT,
                account=account.account,
                currency=account.currency,
                statement_id=":".join(
                    p
                    for p in (
                        self.file_id,
                        self.as_of.strftime("%Y%m%d"),
                        account.account,
                    )
                    if p
                ),
                opening_balance=account.opening,
                opening_date=self.as_of,
                closing_balance=account.closing,
                closing_date=self.as_of,
                lines=account.lines,
            )
        )
        # group totals are in the group currency's minor units: summing
        # accounts of different currencies is the bank's convention, not ours
        self.group_total += (given if given is not None else account.total).scaleb(
            account.decimals
        )
        self.group_accounts += 1
        self.group_records += account.count
        self.account = None
        self.state = "group"

    def group_trailer(self, record: _Record) -> None:
        self.expect(record, "group")
        self.group_records += 1 + len(record.continuations)
        fields = _Fields(record.joined(), record)
        given = _amount(fields.next(), 0, "group control total", record.where)
        self.check(
            record,
            "group trailer 98",
            given,
            self.group_total,
            fields.next(),
            self.group_accounts,
        )
        self.check(
            record, "group trailer 98", None, 0, fields.next(), self.group_records
        )
        self.file_total += given if given is not None else self.group_total
        self.file_groups += 1
        self.file_records += self.group_records
        self.state = "file"

    def file_trailer(self, record: _Record) -> None:
        self.expect(record, "file")
        self.file_records += self.header_records + 1 + len(record.continuations)
        fields = _Fields(record.joined(), record)
        given = _amount(fields.next(), 0, "file control total", record.where)
        self.check(
            record,
            "file trailer 99",
            given,
            self.file_total,
            fields.next(),
            self.file_groups,
        )
        self.check(record, "file trailer 99", None, 0, fields.next(), self.file_records)
        self.state = "end"

    def run(self, records: list[_Record]) -> list[Statement]:
        handlers = {
            "01": self.header,
            "02": self.group,
            "03": self.account_header,
            "16": self.detail,
            "49": self.account_trailer,
            "98": self.group_trailer,
            "99": self.file_trailer,
        }
        for record in records:
            if self.state == "end":
                raise ParseError(
                    "data after the file trailer 99", fmt=FMT, location=record.where
                )
            handlers[record.code](record)
        if self.state != "end":
            raise ParseError(
                "file ends without its trailer (99): truncated?",
                fmt=FMT,
                location=f"record {records[-1].number + 1}" if records else "record 1",
            )
        return self.statements


@guarded("bai2")
def parse_bai2(
    data: bytes, *, sign_overrides: dict[str, int] | None = None
) -> list[Statement]:
    """Parse a BAI2 file into one statement per account (03 record)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    records = _records(text)
    if not records:
        raise ParseError("empty file", fmt=FMT, location="line 1")
    return _Bai2(sign_overrides).run(records)
