# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""A first look at a CSV / XLSX sample, to build a :class:`~.tabular.TabularMapping`.

The mapping form reads a sample export with the very readers the import uses
(:mod:`.tabular`): the delimiter it would sniff, the header row, a few values per
column, and a first guess of which column holds what from the header names many
banks use.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from ._common import clean_text
from .tabular import TabularMapping, _csv_rows, _sniff, _xlsx_rows

__all__ = ["Sample", "guess_columns", "guess_date_format", "read_sample"]

#: rows of the sample read for the columns and the preview
SAMPLE_ROWS = 30

#: header words (case-insensitive, matched as whole words) -> mapping column
_GUESSES = [
    ("date", r"booking date|buchungstag|date|datum|fecha|data"),
    ("value_date", r"value date|valuta|wertstellung"),
    ("debit", r"debit|soll|withdrawal|paid out|money out"),
    ("credit", r"credit|haben|deposit|paid in|money in"),
    ("amount", r"amount|betrag|montant|importe|bedrag|value"),
    ("currency", r"currency|währung|waehrung|devise|ccy"),
    ("counterparty_account", r"iban|account number|kontonummer|counterparty account"),
    ("counterparty_name", r"payer|payee|name|counterparty|beneficiary|auftraggeber"),
    ("reference", r"reference|referenz|ref|end to end|e2e"),
    ("bank_reference", r"transaction id|bank reference|id"),
    ("remittance", r"description|label|text|verwendungszweck|purpose|details|memo"),
]


@dataclass
class Sample:
    """Delimiter (CSV), header (None without one) and the first rows."""

    delimiter: str | None
    header: list[str] | None
    rows: list[list]

    @property
    def width(self) -> int:
        return max([len(self.header or [])] + [len(r) for r in self.rows] or [0])

    def column_names(self) -> list[str]:
        """A name per column: the header's, or ``Column N`` without a header."""
        names = []
        for index in range(self.width):
            header = (
                self.header[index] if self.header and index < len(self.header) else None
            )
            names.append(header or f"Column {index + 1}")
        return names

    def first_value(self, index: int) -> str:
        for row in self.rows:
            if index < len(row) and row[index] not in (None, ""):
                return str(row[index]).strip()[:40]
        return ""


def read_sample(
    data: bytes,
    fmt: str,
    *,
    delimiter: str | None = None,
    has_header: bool = True,
    skip_rows: int = 0,
    encoding: str = "utf-8-sig",
) -> Sample:
    """Read the first rows of ``data`` (``fmt`` "csv" or "xlsx") like the import does."""
    probe = TabularMapping(
        date_column=0,
        amount_column=1,
        currency="EUR",
        delimiter=delimiter,
        skip_rows=skip_rows,
        encoding=encoding,
    )
    if fmt == "xlsx":
        rows = _xlsx_rows(data, probe)
    else:
        if delimiter is None:
            text = data.decode(encoding, errors="replace").lstrip("\ufeff")
            delimiter = _sniff(text.splitlines()[skip_rows : skip_rows + SAMPLE_ROWS])
            probe.delimiter = delimiter
        rows = _csv_rows(data, probe)
    cells = [
        row
        for _where, row in itertools.islice(rows, SAMPLE_ROWS + 1)
        if any(clean_text(str(c)) for c in row if c is not None)
    ]
    header = None
    if has_header and cells:
        header = [clean_text(str(c)) if c is not None else "" for c in cells.pop(0)]
    return Sample(
        delimiter=delimiter if fmt != "xlsx" else None, header=header, rows=cells
    )


def guess_columns(names: list[str]) -> dict[str, int]:
    """Mapping column -> index guessed from header ``names`` (first match wins).

    >>> guess_columns(["Buchungstag", "Verwendungszweck", "Betrag", "Währung"])
    {'date': 0, 'remittance': 1, 'amount': 2, 'currency': 3}
    """
    guessed: dict[str, int] = {}
    taken: set[int] = set()
    for column, pattern in _GUESSES:
        regex = re.compile(rf"\b(?:{pattern})\b", re.IGNORECASE)
        for index, name in enumerate(names):
            if index not in taken and name and regex.search(name):
                guessed[column] = index
                taken.add(index)
                break
    return dict(sorted(guessed.items(), key=lambda item: item[1]))


_DATE_FORMATS = [
    (re.compile(r"^\d{4}-\d{2}-\d{2}$"), "%Y-%m-%d"),
    (re.compile(r"^\d{2}\.\d{2}\.\d{4}$"), "%d.%m.%Y"),
    (re.compile(r"^\d{2}/\d{2}/\d{4}$"), "%d/%m/%Y"),
    (re.compile(r"^\d{8}$"), "%Y%m%d"),
]


def guess_date_format(value: str) -> str | False:
    """A strptime format for an unambiguous date layout, else False.

    ISO dates must not go through the day-first reading (``2026-03-02`` would
    become 3 February); ``dd/mm/yyyy`` is taken as day first, as the import does.

    >>> guess_date_format("2026-03-02"), guess_date_format("02.03.2026")
    ('%Y-%m-%d', '%d.%m.%Y')
    """
    text = (value or "").strip()
    for pattern, fmt in _DATE_FORMATS:
        if pattern.match(text):
            return fmt
    return False
