# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Versioned journal batch format (1.0): validation, normalisation, content hash.

Payroll, expense and subscription systems send month-end journals as JSON documents
described by ``batch_schema_v1.json`` (documented in ``readme/BATCH_FORMAT.md``), or as
spreadsheets turned into that document by :mod:`.tabular`. :func:`parse_batch` checks
a document against the schema and the rules a schema cannot express (one of
debit/credit/amount per line, analytic percentages), reports every violation at once
with its path (``lines[3].debit``), and returns a :class:`Batch` whose amounts are
:class:`~decimal.Decimal` - never floats: a journal must balance to the cent.

Balance is a business rule, not a format rule: :func:`unbalanced_groups` returns the
(date, currency) groups whose debits and credits differ, so the caller can hold the
batch with the figures instead of refusing to store it.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

__all__ = [
    "FORMAT_VERSION",
    "Batch",
    "BatchFormatError",
    "BatchLine",
    "content_hash",
    "parse_batch",
    "unbalanced_groups",
]

FORMAT_VERSION = "1.0"
#: Largest accepted document (a 100,000-line batch is about 20 MB).
MAX_PAYLOAD_BYTES = 32 * 1024 * 1024
_SCHEMA_FILE = Path(__file__).with_name("batch_schema_v1.json")
_CENT = Decimal("0.000001")


class BatchFormatError(ValueError):
    """The document is not a valid batch; ``errors`` lists ``(path, message)``."""

    def __init__(self, errors):
        self.errors = list(errors)
        text = "; ".join(
            f"{path or '(document)'}: {message}" for path, message in errors
        )
        super().__init__(f"invalid journal batch: {text}")


@dataclass(frozen=True)
class BatchLine:
    index: int
    account: str
    label: str
    debit: Decimal
    credit: Decimal
    date: date
    partner_ref: str = ""
    tax_code: str = ""
    document_ref: str = ""
    analytic: dict[str, Decimal] = field(default_factory=dict)

    @property
    def balance(self) -> Decimal:
        return self.debit - self.credit


@dataclass(frozen=True)
class Batch:
    source_system: str
    batch_id: str
    version: int
    date: date
    currency: str
    lines: tuple[BatchLine, ...]
    period: str = ""
    journal: str = ""
    reference: str = ""

    @property
    def total_debit(self) -> Decimal:
        return sum((line.debit for line in self.lines), Decimal(0))

    @property
    def total_credit(self) -> Decimal:
        return sum((line.credit for line in self.lines), Decimal(0))


@lru_cache(maxsize=1)
def load_schema() -> dict:
    return json.loads(_SCHEMA_FILE.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    return Draft202012Validator(load_schema())


def _path(error_path) -> str:
    out = ""
    for part in error_path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _decimal(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value))


def _date(text: str, path: str, errors: list) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors.append((path, f"{text!r} is not a calendar date (YYYY-MM-DD)"))
        return None


def _load(document: bytes | str | dict) -> dict:
    if isinstance(document, dict):
        return document
    if isinstance(document, str):
        document = document.encode("utf-8")
    if len(document) > MAX_PAYLOAD_BYTES:
        raise BatchFormatError(
            [("", f"document of {len(document)} bytes over {MAX_PAYLOAD_BYTES}")]
        )
    try:
        data = json.loads(document.decode("utf-8"), parse_float=Decimal)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise BatchFormatError([("", f"not JSON: {exc}")]) from None
    if not isinstance(data, dict):
        raise BatchFormatError([("", "the document must be a JSON object")])
    return data


def _jsonable(data):
    # jsonschema checks types: Decimal from parse_float is a number for it only as
    # float; the digits themselves are read from the Decimal afterwards.
    if isinstance(data, dict):
        return {key: _jsonable(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_jsonable(value) for value in data]
    if isinstance(data, Decimal):
        return float(data)
    return data


def parse_batch(document: bytes | str | dict) -> Batch:
    """Validate and normalise one batch document; raise :class:`BatchFormatError`."""
    data = _load(document)
    errors = [
        (_path(error.absolute_path), error.message)
        for error in sorted(
            _validator().iter_errors(_jsonable(data)),
            key=lambda e: list(e.absolute_path),
        )
    ]
    if errors:
        raise BatchFormatError(errors)
    batch_date = _date(data["date"], "date", errors)
    lines = []
    for index, raw in enumerate(data["lines"]):
        path = f"lines[{index}]"
        given = [key for key in ("debit", "credit", "amount") if key in raw]
        if not given or ("amount" in raw and len(given) > 1):
            errors.append((path, "give either debit and/or credit, or a signed amount"))
            continue
        try:
            if "amount" in raw:
                amount = _decimal(raw["amount"])
                debit, credit = max(amount, Decimal(0)), max(-amount, Decimal(0))
            else:
                debit = _decimal(raw.get("debit", 0))
                credit = _decimal(raw.get("credit", 0))
        except InvalidOperation:
            errors.append((path, "unreadable amount"))
            continue
        if debit and credit:
            errors.append((path, "a line is either a debit or a credit, not both"))
        analytic = {}
        for code, share in (raw.get("analytic") or {}).items():
            analytic[code] = _decimal(share)
        if analytic and sum(analytic.values()) > 100:
            errors.append(
                (f"{path}.analytic", "the analytic percentages add up to more than 100")
            )
        line_date = (
            _date(raw["date"], f"{path}.date", errors)
            if raw.get("date")
            else batch_date
        )
        lines.append(
            BatchLine(
                index=index,
                account=raw["account"].strip(),
                label=raw["label"],
                debit=debit,
                credit=credit,
                date=line_date,
                partner_ref=raw.get("partner_ref", ""),
                tax_code=raw.get("tax_code", ""),
                document_ref=raw.get("document_ref", ""),
                analytic=analytic,
            )
        )
    if errors:
        raise BatchFormatError(errors)
    return Batch(
        source_system=data["source_system"],
        batch_id=data["batch_id"].strip(),
        version=int(data.get("version", 1)),
        date=batch_date,
        currency=data["currency"],
        lines=tuple(lines),
        period=data.get("period", ""),
        journal=data.get("journal", ""),
        reference=data.get("reference", ""),
    )


def unbalanced_groups(batch: Batch) -> list[tuple[date, str, Decimal, Decimal]]:
    """The (date, currency, debit, credit) groups whose debit and credit differ."""
    sums = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for line in batch.lines:
        group = sums[(line.date, batch.currency)]
        group[0] += line.debit
        group[1] += line.credit
    return [
        (day, currency, debit, credit)
        for (day, currency), (debit, credit) in sorted(sums.items())
        if (debit - credit).quantize(_CENT) != 0
    ]


def _canonical(value):
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _canonical(val) for key, val in sorted(value.items())}
    if isinstance(value, list | tuple):
        return [_canonical(val) for val in value]
    return value


def content_hash(batch: Batch) -> str:
    """SHA-256 of the normalised batch: equal for equal content, whatever the layout."""
    text = json.dumps(_canonical(asdict(batch)), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
