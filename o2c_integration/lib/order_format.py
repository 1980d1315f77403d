# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Versioned inbound order format (v1.0): validation and normalisation.

CRMs and web shops send orders as JSON documents described by
``order_schema_v1.json`` (JSON Schema draft 2020-12, documented field by
field in ``readme/ORDER_FORMAT.md``). :func:`validate_order` checks a document
against the schema *and* the rules a schema cannot express, reports every
violation at once with its path (``lines[2].quantity``), and returns a
:class:`NormalizedOrder` whose amounts are :class:`~decimal.Decimal`.

Why collect everything instead of failing fast: the sender fixes its
integration from the error report; one violation per round trip turns a
five-minute fix into an afternoon.

Numbers are read from JSON text with ``parse_float=Decimal``, so ``0.1`` is
exactly 0.1; a float already parsed by the caller is converted through its
shortest ``repr``, which gives back the digits the sender wrote.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from .exceptions import ValidationError

_logger = logging.getLogger(__name__)

__all__ = [
    "MAX_PAYLOAD_BYTES",
    "SCHEMA_VERSION",
    "Address",
    "Customer",
    "NormalizedOrder",
    "OrderLine",
    "Shipping",
    "load_schema",
    "validate_order",
]

SCHEMA_VERSION = "1.0"
#: Largest accepted document. A real order is a few kB; the bound keeps a
#: hostile or broken sender from making us parse hundreds of megabytes.
MAX_PAYLOAD_BYTES = 5 * 1024 * 1024
#: Decimals allowed on quantities and prices (Odoo's precision fields top out
#: well below; more digits is a sign of a float artefact such as 0.1 + 0.2).
MAX_DECIMALS = 6
#: Exclusive bound on any amount: 15 integer digits, as in the schema pattern.
MAX_AMOUNT = Decimal(10) ** 15
#: Nesting depth accepted in custom ``x_`` fields (guards the recursion).
MAX_DEPTH = 32

_SCHEMA_FILE = Path(__file__).with_name("order_schema_v1.json")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DECIMAL_TEXT = re.compile(r"^[+-]?[0-9]{1,15}(\.[0-9]{1,6})?$")
#: Fields holding amounts, with the bounds the schema checks on numbers only
#: (a schema cannot compare a decimal *string* to 0).
_AMOUNT_RULES = {
    "quantity": (">", 0, None),
    "unit_price": (">=", 0, None),
    "discount": (">=", 0, 100),
    "amount": (">=", 0, None),
}
#: Human text for the schema's patterns, instead of a raw regular expression.
_PATTERN_REASONS = {
    "^[A-Z]{3}$": "must be an ISO 4217 currency code (3 upper-case letters)",
    "^[A-Z]{2}$": "must be an ISO 3166-1 alpha-2 country code (2 upper-case letters)",
    "\\S": "must not be blank",
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}$": "must be a date YYYY-MM-DD",
}


class _NonFinite:
    """Placeholder for NaN / Infinity tokens, reported with their path."""


# -- data classes -------------------------------------------------------------


@dataclass(frozen=True)
class Address:
    """A postal address; ``None`` fields were absent or blank."""

    street: str | None = None
    street2: str | None = None
    city: str | None = None
    zip: str | None = None
    state_code: str | None = None
    country_code: str | None = None
    extra: dict = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Customer:
    """The buyer, identified in the source system by ``external_id``."""

    external_id: str
    name: str
    email: str | None = None
    vat: str | None = None
    phone: str | None = None
    is_company: bool = False
    billing_address: Address | None = None
    shipping_address: Address | None = None
    extra: dict = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class OrderLine:
    """One product line; amounts are exact Decimals, ``discount`` in %."""

    sku: str
    quantity: Decimal
    unit_price: Decimal
    description: str | None = None
    discount: Decimal = Decimal(0)
    taxes: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Shipping:
    """The delivery charge, added to the order as a service line."""

    amount: Decimal
    sku: str | None = None
    description: str | None = None
    taxes: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class NormalizedOrder:
    """A validated order. ``customer`` and ``lines`` may be empty on cancel.

    ``extra`` holds the document's custom ``x_`` fields (nested objects keep
    theirs in their own ``extra``).
    """

    external_id: str
    currency: str
    schema_version: str = SCHEMA_VERSION
    action: str = "create"
    reference: str | None = None
    date: date | None = None
    payment_terms: str | None = None
    note: str | None = None
    customer: Customer | None = None
    lines: tuple[OrderLine, ...] = ()
    shipping: Shipping | None = None
    source_updated_at: datetime | None = None
    extra: dict = field(default_factory=dict, hash=False)

    def to_dict(self) -> dict:
        """JSON-ready dict: decimals as canonical strings, dates in ISO 8601."""
        return _jsonable(self)

    def content_hash(self) -> str:
        """SHA-256 (hex) of the canonical JSON of the order's content.

        Used as idempotency key when the source re-sends an order: the same
        content gives the same hash whatever the key order, whitespace, or
        number spelling ("12.5", 12.50) of the document. ``source_updated_at``
        is left out on purpose: a source that re-sends an unchanged order
        with a fresh timestamp has not changed anything worth processing.
        """
        content = self.to_dict()
        content.pop("source_updated_at", None)
        return _sha256(content)

    def lines_signature(self) -> str:
        """SHA-256 (hex) of the lines (sku, quantity, price, discount, taxes).

        Line order and descriptions are ignored: re-ordered lines or a
        retouched label are not a change of the order, a different quantity
        or price is. Compare signatures to know whether an "update" must
        touch the order lines at all.
        """
        rows = sorted(
            [
                line.sku,
                _canon_decimal(line.quantity),
                _canon_decimal(line.unit_price),
                _canon_decimal(line.discount),
                sorted(line.taxes),
            ]
            for line in self.lines
        )
        return _sha256(rows)

    def quantities_by_sku(self) -> dict[str, Decimal]:
        """Total quantity per SKU (the same SKU may appear on several lines)."""
        totals: dict[str, Decimal] = {}
        for line in self.lines:
            totals[line.sku] = totals.get(line.sku, Decimal(0)) + line.quantity
        return totals

    def is_stale(self, last_applied: datetime | None) -> bool:
        """Whether this update is not newer than the last one applied.

        ``True`` only when both timestamps are known and this one is not
        strictly later: an update without ``source_updated_at`` is never
        considered stale (we cannot tell). A naive ``last_applied`` is taken
        as UTC, which is how Odoo stores datetimes.
        """
        if self.source_updated_at is None or last_applied is None:
            return False
        if last_applied.tzinfo is None:
            last_applied = last_applied.replace(tzinfo=UTC)
        return self.source_updated_at <= last_applied


# -- public API ---------------------------------------------------------------


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    schema = json.loads(_SCHEMA_FILE.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def load_schema() -> dict:
    """The v1 JSON Schema as a dict (a fresh copy, safe to modify)."""
    return json.loads(_SCHEMA_FILE.read_text(encoding="utf-8"))


def validate_order(data: dict | bytes | str) -> NormalizedOrder:
    """Validate an order document and return it normalised.

    ``data`` is the raw body (bytes or str, UTF-8 JSON) or an already parsed
    dict. Every problem is reported in one :class:`ValidationError` whose
    ``violations`` are ``(path, reason)`` pairs sorted by path; ``"$"`` is
    the document itself (unreadable JSON, not an object, too large).

    :raises ValidationError: whatever the input; never anything else.
    """
    doc = _parse(data)
    violations: dict[str, str] = {}
    doc = _prepare(doc, (), violations, 0)
    try:
        _schema_violations(doc, violations)
        _semantic_violations(doc, violations)
    except RecursionError:  # pragma: no cover - bounded by MAX_DEPTH
        violations.setdefault("$", "document nested too deeply")
    if violations:
        items = sorted(violations.items(), key=lambda kv: _path_sort_key(kv[0]))
        _logger.debug("order rejected with %s violation(s)", len(items))
        # the integration's ValidationError (lib/exceptions), not Odoo's: no translation
        raise ValidationError("", list(items))  # pylint: disable=translation-required
    return _build(doc)


# -- parsing ------------------------------------------------------------------


def _fail(reason: str):
    raise ValidationError("", [("$", reason)])  # pylint: disable=translation-required


def _parse(data: Any) -> Any:
    if isinstance(data, dict):
        return data
    if isinstance(data, (bytes, bytearray, memoryview)):
        data = bytes(data)
        if len(data) > MAX_PAYLOAD_BYTES:
            _fail(f"document larger than {MAX_PAYLOAD_BYTES} bytes")
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            _fail(f"invalid UTF-8 at byte {exc.start}")
    if not isinstance(data, str):
        _fail("must be a JSON object (dict, bytes or str)")
    if len(data) > MAX_PAYLOAD_BYTES:
        _fail(f"document larger than {MAX_PAYLOAD_BYTES} bytes")
    try:
        doc = json.loads(
            data,
            parse_float=Decimal,
            parse_int=Decimal,
            parse_constant=lambda _token: _NonFinite(),
        )
    except json.JSONDecodeError as exc:
        _fail(
            f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno} "
            f"(char {exc.pos})"
        )
    except RecursionError:
        _fail("invalid JSON: nested too deeply")
    if not isinstance(doc, dict):
        _fail("must be a JSON object")
    return doc


def _prepare(value: Any, path: tuple, violations: dict, depth: int) -> Any:
    """Copy ``value`` as plain JSON types with Decimal numbers.

    Anything that is not JSON (NaN, sets, objects, non-string keys, absurd
    nesting) is reported at its path and replaced by ``None`` so the schema
    pass does not trip over it.
    """
    here = _fmt_path(path)
    if depth > MAX_DEPTH:
        violations.setdefault(here, "nested too deeply")
        return None
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                violations.setdefault(here, "object keys must be strings")
                continue
            out[key] = _prepare(item, (*path, key), violations, depth + 1)
        return out
    if isinstance(value, (list, tuple)):
        return [
            _prepare(v, (*path, i), violations, depth + 1) for i, v in enumerate(value)
        ]
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        value = Decimal(repr(value)) if value == value else _NonFinite()
        if isinstance(value, Decimal) and not value.is_finite():
            value = _NonFinite()
    if isinstance(value, Decimal) and value.is_finite():
        return value
    if isinstance(value, (Decimal, _NonFinite)):
        violations.setdefault(here, "must be a finite number (no NaN or Infinity)")
    else:
        violations.setdefault(here, f"not a JSON value ({type(value).__name__})")
    return None


# -- checks -------------------------------------------------------------------


def _schema_violations(doc: dict, violations: dict) -> None:
    for error in _validator().iter_errors(doc):
        path = tuple(error.absolute_path)
        if _under_reported(path, violations):
            continue
        for sub_path, reason in _explain(error, path):
            violations.setdefault(_fmt_path(sub_path), reason)


def _under_reported(path: tuple, violations: dict) -> bool:
    """Whether ``path`` or one of its parents already has a violation."""
    return any(_fmt_path(path[:n]) in violations for n in range(1, len(path) + 1))


def _explain(error, path: tuple) -> list[tuple[tuple, str]]:
    """Turn a jsonschema error into (path, human reason) pairs.

    jsonschema reports a missing or unknown property on the parent object;
    the sender wants the path of the property itself, so it is rebuilt here.
    """
    kind, value, instance = error.validator, error.validator_value, error.instance
    if kind == "required":
        return [
            ((*path, name), "required field missing")
            for name in value
            if name not in instance
        ]
    if kind == "additionalProperties":
        known = error.schema.get("properties", {})
        patterns = error.schema.get("patternProperties", {})
        return [
            ((*path, name), "unknown field (custom fields must start with 'x_')")
            for name in instance
            if name not in known and not any(re.search(p, name) for p in patterns)
        ]
    reasons = {
        "type": lambda: f"must be of type {_types(value)}, not {_json_type(instance)}",
        "const": lambda: f"must be {json.dumps(value)}",
        "enum": lambda: "must be one of " + ", ".join(json.dumps(v) for v in value),
        "minimum": lambda: f"must be greater than or equal to {value}",
        "exclusiveMinimum": lambda: f"must be greater than {value}",
        "maximum": lambda: f"must be less than or equal to {value}",
        "minLength": lambda: (
            "must not be empty" if value == 1 else f"must have at least {value} chars"
        ),
        "maxLength": lambda: f"must have at most {value} characters",
        "minItems": lambda: f"must have at least {value} item(s)",
        "maxItems": lambda: f"must have at most {value} items",
        "uniqueItems": lambda: "must not contain duplicates",
        "pattern": lambda: _pattern_reason(value, error.schema),
    }
    explain = reasons.get(kind)
    return [(path, explain() if explain else error.message[:200])]


def _pattern_reason(pattern: str, schema: Mapping) -> str:
    if pattern in _PATTERN_REASONS:
        return _PATTERN_REASONS[pattern]
    if schema.get("format") == "date-time":
        return "must be an RFC 3339 date-time with time zone, e.g. 2026-03-01T09:30:00Z"
    if "@" in pattern:
        return "must be an e-mail address"
    if "number" in schema.get("type", ()):
        return f'must be a decimal like "12.50" with at most {MAX_DECIMALS} decimals'
    return f"must match {pattern}"


def _types(value) -> str:
    return " or ".join(value) if isinstance(value, list) else str(value)


def _json_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, Decimal):
        return "number"
    return {str: "string", list: "array", dict: "object"}.get(type(value), "value")


def _semantic_violations(doc: dict, violations: dict) -> None:
    """Rules the schema cannot express: calendars, decimal strings, bounds."""

    def report(path: tuple, reason: str) -> None:
        if not _under_reported(path, violations):
            violations[_fmt_path(path)] = reason

    value = doc.get("date")
    if isinstance(value, str) and _parse_date(value) is None:
        report(("date",), "is not a valid calendar date")
    value = doc.get("source_updated_at")
    if isinstance(value, str) and _parse_datetime(value) is None:
        report(("source_updated_at",), "is not a valid date-time")
    lines = doc.get("lines")
    for index, line in enumerate(lines if isinstance(lines, list) else ()):
        if isinstance(line, dict):
            _check_amounts(line, ("lines", index), report)
    if isinstance(doc.get("shipping"), dict):
        _check_amounts(doc["shipping"], ("shipping",), report)


def _check_amounts(obj: dict, path: tuple, report) -> None:
    for name, (op, low, high) in _AMOUNT_RULES.items():
        raw = obj.get(name)
        if isinstance(raw, bool) or not isinstance(raw, (str, Decimal)):
            continue
        if isinstance(raw, str):
            if not _DECIMAL_TEXT.match(raw):
                continue  # the schema pattern reported it
            value = Decimal(raw)
        else:
            value = raw
            if abs(value) >= MAX_AMOUNT:
                report((*path, name), "is too large (at most 15 integer digits)")
                continue
            if _decimals(value) > MAX_DECIMALS:
                report((*path, name), f"must have at most {MAX_DECIMALS} decimals")
                continue
        if op == ">" and not value > low:
            report((*path, name), f"must be greater than {low}")
        elif op == ">=" and not value >= low:
            report((*path, name), f"must be greater than or equal to {low}")
        elif high is not None and value > high:
            report((*path, name), f"must be less than or equal to {high}")


def _decimals(value: Decimal) -> int:
    """Decimal places of ``value`` ignoring trailing zeros, without rounding.

    ``Decimal.normalize`` would round to the context precision (28 digits)
    and let "1.00000000000000000000000000001" pass as 1.
    """
    _sign, digits, exponent = value.as_tuple()
    digits = list(digits)
    if not any(digits):
        return 0
    while exponent < 0 and len(digits) > 1 and digits[-1] == 0:
        digits.pop()
        exponent += 1
    return max(0, -exponent)


def _parse_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _parse_datetime(text: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo is not None else None


# -- building -----------------------------------------------------------------


def _text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    return value.strip() or None


def _extra(obj: Mapping) -> dict:
    return {k: v for k, v in obj.items() if k.startswith("x_")}


def _address(obj: Mapping | None) -> Address | None:
    if not obj:
        return None
    names = ("street", "street2", "city", "zip", "state_code", "country_code")
    values = {name: _text(obj.get(name)) for name in names}
    if not any(values.values()) and not _extra(obj):
        return None
    return Address(**values, extra=_extra(obj))


def _build(doc: dict) -> NormalizedOrder:
    customer = None
    if isinstance(doc.get("customer"), dict):
        data = doc["customer"]
        customer = Customer(
            external_id=data["external_id"].strip(),
            name=data["name"].strip(),
            email=_text(data.get("email")),
            vat=_text(data.get("vat")),
            phone=_text(data.get("phone")),
            is_company=bool(data.get("is_company", False)),
            billing_address=_address(data.get("billing_address")),
            shipping_address=_address(data.get("shipping_address")),
            extra=_extra(data),
        )
    lines = tuple(
        OrderLine(
            sku=line["sku"].strip(),
            quantity=Decimal(line["quantity"]),
            unit_price=Decimal(line["unit_price"]),
            description=_text(line.get("description")),
            discount=Decimal(line.get("discount", 0)),
            taxes=tuple(t.strip() for t in line.get("taxes", ())),
            extra=_extra(line),
        )
        for line in doc.get("lines", ())
    )
    shipping = None
    if isinstance(doc.get("shipping"), dict):
        data = doc["shipping"]
        shipping = Shipping(
            amount=Decimal(data["amount"]),
            sku=_text(data.get("sku")),
            description=_text(data.get("description")),
            taxes=tuple(t.strip() for t in data.get("taxes", ())),
            extra=_extra(data),
        )
    updated = doc.get("source_updated_at")
    return NormalizedOrder(
        external_id=doc["external_id"].strip(),
        currency=doc["currency"],
        schema_version=doc["schema_version"],
        action=doc.get("action", "create"),
        reference=_text(doc.get("reference")),
        date=_parse_date(doc["date"]) if doc.get("date") else None,
        payment_terms=_text(doc.get("payment_terms")),
        note=_text(doc.get("note")),
        customer=customer,
        lines=lines,
        shipping=shipping,
        source_updated_at=_parse_datetime(updated) if updated else None,
        extra=_extra(doc),
    )


# -- canonical JSON -----------------------------------------------------------


def _canon_decimal(value: Decimal) -> str:
    """ "12.50" and "12.5" and 12.5 all become "12.5"; -0 becomes "0"."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return _canon_decimal(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if hasattr(value, "__dataclass_fields__"):
        return {
            name: _jsonable(getattr(value, name)) for name in value.__dataclass_fields__
        }
    return value


def _sha256(content: Any) -> str:
    text = json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# -- paths --------------------------------------------------------------------


def _fmt_path(path: tuple | list) -> str:
    """``("lines", 2, "quantity")`` -> ``"lines[2].quantity"``; () -> ``"$"``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENT.match(part):
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(part)}]"
    return out or "$"


def _path_sort_key(path: str) -> tuple:
    """Sort "lines[10]" after "lines[2]": numbers compare as numbers."""
    return tuple(
        (0, int(token), "") if token.isdigit() else (1, 0, token)
        for token in re.findall(r"\d+|[^\[\].\d]+", path)
    )
