# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Spreadsheets (CSV / XLSX) to a journal batch document, through a column mapping.

A mapping names, for each batch field, the column that holds it. It is saved per
source (connection), so the controller who receives the same payroll export every
month maps it once. Two ready mappings are shipped, shaped after the public
documentation of the exports they read:

* ``infor_payroll``: Infor's payroll journal file ("Payroll Journal Upload File
  Format": Account Number, Check Date, Credit Amount, Debit Amount, Employee Number,
  Company, SRO Number, Unit Code 1-4). Unit codes become analytic codes (100 % each).
* ``expensify_expenses``: an Expensify report export built with the export template
  fields ``reportID``, ``transactionID``, ``created``, ``merchant``, ``amount`` (in
  cents), ``currency``, ``categoryGlCode``, ``tag``, ``comment`` and the submitter's
  e-mail. Every expense debits its category's GL code; the balancing credit per report
  goes to the mapping's ``balance_account`` (employee reimbursements payable), with the
  submitter as partner.

The result is a plain dict in the batch format (:mod:`.batch_format` validates it):
the spreadsheet path and the JSON path then share every later step.
"""

from __future__ import annotations

import csv
import io
from collections import OrderedDict
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from .batch_format import FORMAT_VERSION, BatchFormatError

__all__ = ["READY_MAPPINGS", "read_rows", "rows_to_batch"]

#: Batch fields a column can feed.
FIELDS = (
    "account",
    "label",
    "debit",
    "credit",
    "amount",
    "date",
    "partner_ref",
    "tax_code",
    "document_ref",
    "group",
)

READY_MAPPINGS = {
    "infor_payroll": {
        "name": "Infor payroll journal",
        "columns": {
            "account": "Account Number",
            "debit": "Debit Amount",
            "credit": "Credit Amount",
            "date": "Check Date",
            "document_ref": "Employee Number",
        },
        "label_columns": ["Employee Number", "SRO Number"],
        "label_prefix": "Payroll",
        "analytic_columns": [
            "Unit Code 1",
            "Unit Code 2",
            "Unit Code 3",
            "Unit Code 4",
        ],
    },
    "expensify_expenses": {
        "name": "Expensify expense report export",
        "columns": {
            "account": "categoryGlCode",
            "amount": "amount",
            "date": "created",
            "document_ref": "transactionID",
            "partner_ref": "submitterEmail",
            "group": "reportID",
        },
        "label_columns": ["merchant", "comment"],
        "label_prefix": "Expense",
        "analytic_columns": ["tag"],
        "amount_in_cents": True,
        "balance_account": "",  # set per source: employee reimbursements payable
    },
}


def read_rows(data: bytes, filename: str = "", delimiter: str = "") -> list[dict]:
    """Rows of a CSV or XLSX file as dicts keyed by the header row."""
    if data[:4] == b"PK\x03\x04" or filename.lower().endswith(".xlsx"):
        return _xlsx_rows(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    if not delimiter:
        try:
            delimiter = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|").delimiter
        except csv.Error:
            delimiter = ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    return [
        {(key or "").strip(): (value or "").strip() for key, value in row.items()}
        for row in reader
        if any(
            (value or "").strip() for value in row.values() if isinstance(value, str)
        )
    ]


def _xlsx_rows(data: bytes) -> list[dict]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types on a damaged file
        raise BatchFormatError([("", f"unreadable XLSX file: {exc}")]) from None
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [str(cell).strip() if cell is not None else "" for cell in next(rows, [])]
    out = []
    for values in rows:
        if not any(value not in (None, "") for value in values):
            continue
        row = {}
        for key, value in zip(header, values, strict=False):
            if isinstance(value, datetime):
                value = value.date().isoformat()
            elif isinstance(value, date):
                value = value.isoformat()
            row[key] = "" if value is None else str(value).strip()
        out.append(row)
    return out


def _amount(text: str, path: str, errors: list, cents=False) -> Decimal | None:
    if text in ("", None):
        return None
    cleaned = str(text).replace(" ", "").replace("\u00a0", "")
    if "," in cleaned and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    else:
        cleaned = cleaned.replace(",", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        errors.append((path, f"{text!r} is not an amount"))
        return None
    return value / 100 if cents else value


def _iso_date(text: str, path: str, errors: list) -> str | None:
    if not text:
        return None
    for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(text[:19], fmt).date().isoformat()
        except ValueError:
            continue
    errors.append((path, f"{text!r} is not a date"))
    return None


def _row_to_line(row, number, mapping, errors):
    """One spreadsheet row as a batch line (None for a row without an amount)."""
    columns = mapping.get("columns", {})

    def cell(field):
        column = columns.get(field)
        return row.get(column, "") if column else ""

    line = {"account": cell("account")}
    label_parts = [row.get(col, "") for col in mapping.get("label_columns", [])]
    prefix = mapping.get("label_prefix", "")
    line["label"] = cell("label") or " ".join(p for p in [prefix, *label_parts] if p)
    cents = bool(mapping.get("amount_in_cents"))
    for field in ("debit", "credit", "amount"):
        where = f"row {number} ({columns.get(field)})"
        value = _amount(cell(field), where, errors, cents=cents)
        if value is not None and value != 0:
            line[field] = format(value, "f")
    if not any(key in line for key in ("debit", "credit", "amount")):
        return None  # a zero line carries nothing
    line_date = _iso_date(cell("date"), f"row {number} ({columns.get('date')})", errors)
    if line_date:
        line["date"] = line_date
    for field in ("partner_ref", "tax_code", "document_ref"):
        if cell(field):
            line[field] = cell(field)
    analytic = [row.get(col, "") for col in mapping.get("analytic_columns", [])]
    if any(analytic):
        line["analytic"] = {code: 100 for code in analytic if code}
    return line, cell("group")


def _balancing_lines(groups, mapping):
    """One balancing line per (group, partner, date): the opposite of its total."""
    out = []
    for (group, partner, line_date), total in groups.items():
        if not total:
            continue
        line = {
            "account": mapping["balance_account"],
            "label": f"{mapping.get('label_prefix', 'Batch')} {group}".strip(),
            "amount": format(-total, "f"),
        }
        if partner:
            line["partner_ref"] = partner
        if line_date:
            line["date"] = line_date
        if group:
            line["document_ref"] = group
        out.append(line)
    return out


def rows_to_batch(rows: list[dict], mapping: dict, header: dict) -> dict:
    """Build a batch document from spreadsheet rows.

    :param mapping: ``{"columns": {field: column}, "label_columns": [...],
        "analytic_columns": [...], "amount_in_cents": bool, "balance_account": code}``
    :param header: batch-level values: ``source_system``, ``batch_id``, ``date``,
        ``currency`` (required), ``version``, ``period``, ``journal``, ``reference``.
    Errors name the spreadsheet row (``row 3 (Debit Amount)``), counting the header
    as row 1, as the person who fixes the file sees it.
    """
    columns = mapping.get("columns", {})
    missing = [col for col in columns.values() if rows and col not in rows[0]]
    if missing:
        raise BatchFormatError(
            [("", f"column(s) not in the file: {', '.join(sorted(missing))}")]
        )
    errors, lines = [], []
    groups: OrderedDict = OrderedDict()
    for number, row in enumerate(rows, start=2):
        result = _row_to_line(row, number, mapping, errors)
        if result is None:
            continue
        line, group = result
        lines.append(line)
        if mapping.get("balance_account"):
            key = (group, line.get("partner_ref", ""), line.get("date", ""))
            groups[key] = groups.get(key, Decimal(0)) + (
                Decimal(line.get("amount", line.get("debit", "0")))
                - Decimal(line.get("credit", "0"))
            )
    if errors:
        raise BatchFormatError(errors)
    if mapping.get("balance_account"):
        lines += _balancing_lines(groups, mapping)
    document = {"format_version": FORMAT_VERSION, **header, "lines": lines}
    return {key: value for key, value in document.items() if value not in ("", None)}
