# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""CSV and XLSX bank exports, read through a per-bank column mapping.

Spreadsheets have no standard layout, so a :class:`TabularMapping` says where
each value is. It is plain data (``to_dict``/``from_dict``) so the Odoo side
can store one mapping per bank as JSON.

Columns are addressed by header name (exact, then case/space-insensitive) or
by 0-based index. Amounts come from one signed column, from a debit and a
credit column, or from an unsigned column plus a sign column ("CR"/"DR").
Amount text may use a decimal comma, thousands separators, a trailing minus
(``12,00-``), parentheses (``(12.00)``) or a currency symbol; anything else is
a :class:`ParseError` naming the row.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from ._common import (
    clean_text,
    is_currency,
    join_text,
    normalize_account,
    parse_decimal,
)
from .mt940_details import find_structured_reference
from .statement import ParseError, Statement, StatementLine, guarded

_logger = logging.getLogger(__name__)

__all__ = ["MappingError", "TabularMapping", "parse_tabular"]

_MAPPING_VERSION = 1
_SYMBOLS_RE = re.compile(r"^[€$£¥]\s*|\s*[€$£¥]$")
_SPACES_RE = re.compile(r"[\s\u00a0\u202f]")
_DELIMITERS = (";", ",", "\t", "|")
_COLUMNS = (
    "date",
    "amount",
    "debit",
    "credit",
    "sign",
    "value_date",
    "currency",
    "counterparty_name",
    "counterparty_account",
    "reference",
    "bank_reference",
)

Column = str | int | None


class MappingError(ParseError):
    """The column mapping itself is invalid or does not fit the file."""

    def __init__(self, message: str, *, fmt: str = "csv", location: str = "mapping"):
        super().__init__(message, fmt=fmt, location=location)


@dataclass(kw_only=True)
class TabularMapping:
    """Where the values of a CSV/XLSX bank export are.

    ``statement_id`` defaults to ``csv-<sha256 of the file>[:16]``.
    ``reference_column`` is the payment reference used for exact matching
    (stored as ``structured_reference``); ``remittance_column`` may be a list
    of columns, joined with spaces. ``skip_footer`` drops trailing summary
    rows that many exports append.
    """

    date_column: str | int
    amount_column: Column = None
    debit_column: Column = None
    credit_column: Column = None
    sign_column: Column = None
    credit_values: list[str] = field(default_factory=lambda: ["CR", "C", "CREDIT"])
    delimiter: str | None = None
    encoding: str = "utf-8-sig"
    skip_rows: int = 0
    skip_footer: int = 0
    has_header: bool = True
    date_format: str | None = None
    dayfirst: bool = True
    value_date_column: Column = None
    decimal_separator: str = "."
    thousands_separator: str | None = None
    currency_column: Column = None
    currency: str | None = None
    counterparty_name_column: Column = None
    counterparty_account_column: Column = None
    reference_column: Column = None
    remittance_column: Column | list[str | int] = None
    bank_reference_column: Column = None
    account: str = ""
    statement_id: str | None = None
    sheet: str | int | None = None

    def __post_init__(self):
        self.validate()

    def validate(self) -> None:
        """Raise :class:`MappingError` when the mapping is inconsistent."""
        has_amount = self.amount_column is not None
        has_split = self.debit_column is not None or self.credit_column is not None
        if has_amount == has_split:
            raise MappingError(
                "give either amount_column or debit_column + credit_column"
            )
        if has_split and (self.debit_column is None or self.credit_column is None):
            raise MappingError("debit_column and credit_column go together")
        if self.sign_column is not None and not has_amount:
            raise MappingError("sign_column needs amount_column")
        if self.decimal_separator not in (".", ","):
            raise MappingError("decimal_separator must be '.' or ','")
        if self.thousands_separator == self.decimal_separator:
            raise MappingError("thousands_separator equals decimal_separator")
        if self.delimiter is not None and len(self.delimiter) != 1:
            raise MappingError("delimiter must be one character")
        if self.currency is None and self.currency_column is None:
            raise MappingError("give currency or currency_column")
        if self.currency is not None and not is_currency(self.currency):
            raise MappingError(f"currency {self.currency!r} is not an ISO 4217 code")
        if self.skip_rows < 0 or self.skip_footer < 0:
            raise MappingError("skip_rows and skip_footer cannot be negative")
        try:
            "".encode(self.encoding)
        except LookupError:
            raise MappingError(f"unknown encoding {self.encoding!r}") from None
        columns = [self.date_column, self.amount_column, self.debit_column,
                   self.credit_column, self.sign_column, self.value_date_column,
                   self.currency_column, self.counterparty_name_column,
                   self.counterparty_account_column, self.reference_column,
                   self.bank_reference_column, *self._remittance_columns()]  # fmt: skip
        for column in columns:
            if isinstance(column, bool) or not isinstance(column, str | int | None):
                raise MappingError(
                    f"column {column!r} must be a header name or an index"
                )
            if isinstance(column, int) and column < 0:
                raise MappingError(f"column index {column} cannot be negative")
            if isinstance(column, str) and not self.has_header:
                raise MappingError(
                    f"column {column!r} is a name but the file has no header"
                )

    def _remittance_columns(self) -> list:
        value = self.remittance_column
        if value is None:
            return []
        return list(value) if isinstance(value, list | tuple) else [value]

    def to_dict(self) -> dict:
        """JSON-compatible dict (for storage per bank)."""
        data = dataclasses.asdict(self)
        data["version"] = _MAPPING_VERSION
        return data

    @classmethod
    def from_dict(cls, data: dict) -> TabularMapping:
        """Build a mapping from :meth:`to_dict` output; unknown keys are errors."""
        if not isinstance(data, dict):
            raise MappingError("mapping must be a JSON object")
        data = dict(data)
        version = data.pop("version", _MAPPING_VERSION)
        if version != _MAPPING_VERSION:
            raise MappingError(f"unsupported mapping version {version!r}")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise MappingError(f"unknown mapping keys: {', '.join(unknown)}")
        if "date_column" not in data:
            raise MappingError("date_column is required")
        try:
            return cls(**data)
        except TypeError as exc:
            raise MappingError(str(exc)) from exc


# -- cell conversion ---------------------------------------------------------


def _amount(value, mapping: TabularMapping, where: str, fmt: str) -> Decimal | None:
    """Cell -> Decimal; ``None`` for an empty cell."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ParseError(f"amount {value!r} is not a number", fmt=fmt, location=where)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        # Spreadsheet numbers are doubles: 15 significant digits is what the
        # user saw in the cell, and it drops binary noise (0.30000000000000004).
        return Decimal(format(value, ".15g"))
    text = str(value).strip()
    if not text:
        return None
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1]
    if text.endswith("-") and not text.startswith(("-", "+")):
        negative, text = True, text[:-1]
    text = _SPACES_RE.sub("", _SYMBOLS_RE.sub("", text))  # "1 234,56 €"
    thousands = mapping.thousands_separator
    if thousands is not None and not thousands.strip():
        thousands = None  # spaces are already gone
    result = parse_decimal(text, mapping.decimal_separator, thousands)
    if result is None:
        raise ParseError(
            f"amount {str(value)!r} is not a number", fmt=fmt, location=where
        )
    return -result if negative else result


def _date(
    value, mapping: TabularMapping, where: str, fmt: str, what: str
) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if not text:
        return None
    try:
        if mapping.date_format:
            return datetime.strptime(text, mapping.date_format).date()
        from dateutil import parser as date_parser

        return date_parser.parse(text, dayfirst=mapping.dayfirst).date()
    except (ValueError, OverflowError, TypeError) as exc:  # dateutil's errors
        expected = f" (format {mapping.date_format!r})" if mapping.date_format else ""
        raise ParseError(
            f"{what} {text!r} is not a valid date{expected}", fmt=fmt, location=where
        ) from exc


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # account numbers typed as numbers in Excel
    return clean_text(str(value))


# -- row reading ---------------------------------------------------------------


def _sniff(lines: list[str]) -> str:
    """The delimiter giving the same (>0) field count on most lines."""
    best, best_score = ",", -1
    for delimiter in _DELIMITERS:
        counts = [
            len(next(csv.reader([ln], delimiter=delimiter)))
            for ln in lines
            if ln.strip()
        ]
        counts = [c for c in counts if c > 1]
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        score = counts.count(mode) * 100 + mode
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _csv_rows(data: bytes, mapping: TabularMapping):
    """(location, cells) for every CSV row after ``skip_rows``."""
    try:
        text = data.decode(mapping.encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ParseError(
            f"file is not valid {mapping.encoding} text (set the mapping encoding)",
            fmt="csv",
            location=f"line {line}",
        ) from exc
    text = text.lstrip("\ufeff")
    if "\x00" in text:
        raise ParseError("binary data in a CSV file", fmt="csv", location="line 1")
    delimiter = mapping.delimiter
    if delimiter is None:
        sample = text.splitlines()[mapping.skip_rows : mapping.skip_rows + 30]
        delimiter = _sniff(sample)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for index, row in enumerate(reader):
            if index < mapping.skip_rows:
                continue
            yield f"line {reader.line_num}", row
    except csv.Error as exc:
        raise ParseError(
            f"malformed CSV ({exc})", fmt="csv", location=f"line {reader.line_num}"
        ) from exc


def _xlsx_rows(data: bytes, mapping: TabularMapping):
    """(location, cells) for every worksheet row after ``skip_rows``."""
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(
            io.BytesIO(data), read_only=True, data_only=True
        )
    except Exception as exc:  # openpyxl/zipfile raise many unrelated types
        raise ParseError(
            f"not a readable XLSX workbook ({exc})", fmt="xlsx", location="file"
        ) from exc
    try:
        if mapping.sheet is None:
            sheet = workbook.worksheets[0]
        elif isinstance(mapping.sheet, int):
            sheet = workbook.worksheets[mapping.sheet]
        else:
            sheet = workbook[mapping.sheet]
    except (IndexError, KeyError) as exc:
        workbook.close()
        raise MappingError(f"sheet {mapping.sheet!r} not found", fmt="xlsx") from exc
    try:
        for index, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            if index <= mapping.skip_rows:
                continue
            yield f"sheet {sheet.title!r} row {index}", list(row)
    except ParseError:
        raise
    except Exception as exc:  # corrupt sheet XML surfaces while iterating
        raise ParseError(
            f"cannot read the worksheet ({exc})", fmt="xlsx", location=sheet.title
        ) from exc
    finally:
        workbook.close()


def _resolver(header: list | None, mapping: TabularMapping, fmt: str):
    """Return ``index_of(column) -> int | None``."""
    names = [clean_text(str(h)) if h is not None else None for h in header or []]
    folded = [(n or "").casefold() for n in names]

    def index_of(column):
        if column is None:
            return None
        if isinstance(column, int):
            return column
        if column in names:
            return names.index(column)
        wanted = (clean_text(column) or "").casefold()
        if wanted in folded:
            return folded.index(wanted)
        raise MappingError(
            f"column {column!r} not in header ({', '.join(n for n in names if n)})",
            fmt=fmt,
        )

    return index_of


def _row_line(cells: list, col: dict, mapping: TabularMapping, where: str, fmt: str):
    """Turn one data row into a :class:`StatementLine`."""

    def cell(index):
        if index is None or index >= len(cells):
            return None
        value = cells[index]
        return value.strip() if isinstance(value, str) else value

    booking = _date(cell(col["date"]), mapping, where, fmt, "date")
    if booking is None:
        raise ParseError("date is empty", fmt=fmt, location=where)
    if col["amount"] is not None:
        amount = _amount(cell(col["amount"]), mapping, where, fmt)
        if amount is None:
            raise ParseError("amount is empty", fmt=fmt, location=where)
        if col["sign"] is not None:
            credit_values = {v.strip().casefold() for v in mapping.credit_values}
            sign_text = (_text(cell(col["sign"])) or "").casefold()
            amount = abs(amount) if sign_text in credit_values else -abs(amount)
    else:
        debit = _amount(cell(col["debit"]), mapping, where, fmt)
        credit = _amount(cell(col["credit"]), mapping, where, fmt)
        if debit is None and credit is None:
            raise ParseError("both debit and credit are empty", fmt=fmt, location=where)
        amount = abs(credit or 0) - abs(debit or 0)
    currency = mapping.currency
    if col["currency"] is not None:
        currency = (_text(cell(col["currency"])) or mapping.currency or "").upper()
    if not is_currency(currency):
        raise ParseError(f"currency {currency!r} is not valid", fmt=fmt, location=where)
    remittance = join_text(_text(cell(i)) for i in col["remittance"])
    reference = _text(cell(col["reference"]))
    return StatementLine(
        booking_date=booking,
        value_date=_date(cell(col["value_date"]), mapping, where, fmt, "value date"),
        amount=amount,
        currency=currency,
        counterparty_name=_text(cell(col["counterparty_name"])),
        counterparty_account=normalize_account(
            _text(cell(col["counterparty_account"]))
        ),
        structured_reference=reference or find_structured_reference(remittance),
        remittance=remittance,
        bank_reference=_text(cell(col["bank_reference"])),
        raw=f"{where}: " + " | ".join("" if c is None else str(c) for c in cells),
    )


@guarded("csv")
def parse_tabular(
    data: bytes, mapping: TabularMapping, fmt: str = "csv"
) -> list[Statement]:
    """Parse a CSV or XLSX export into statements (one per currency)."""
    mapping.validate()
    rows = _xlsx_rows(data, mapping) if fmt == "xlsx" else _csv_rows(data, mapping)
    rows = [(where, cells) for where, cells in rows if any(_text(c) for c in cells)]
    header = None
    if mapping.has_header:
        if not rows:
            raise ParseError("no header row", fmt=fmt, location="line 1")
        header = rows.pop(0)[1]
    if mapping.skip_footer:
        rows = rows[: -mapping.skip_footer] if mapping.skip_footer < len(rows) else []
    if not rows:
        raise ParseError("no transaction rows", fmt=fmt, location="file")
    index_of = _resolver(header, mapping, fmt)
    col = {name: index_of(getattr(mapping, f"{name}_column")) for name in _COLUMNS}
    col["remittance"] = [index_of(c) for c in mapping._remittance_columns()]
    default_id = "csv-" + hashlib.sha256(data).hexdigest()[:16]
    statements: dict[str, Statement] = {}
    for where, cells in rows:
        line = _row_line(cells, col, mapping, where, fmt)
        currency = line.currency
        statement = statements.get(currency)
        if statement is None:
            statement = statements[currency] = Statement(
                fmt=fmt,
                account=normalize_account(mapping.account) or "",
                currency=currency,
                statement_id=mapping.statement_id or default_id,
            )
        statement.lines.append(line)
    result = list(statements.values())
    if len(result) > 1:
        for statement in result:
            statement.statement_id = f"{statement.statement_id}-{statement.currency}"
    return result
