# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""What a person recognises in an event's payload: its document, number and total.

Used to title the exception of a failed event ("Order #1005 from Web Shop: validation
failed") and to put the document's money at stake. The payload may be the very
document that failed validation, so everything is read leniently: a field that is
missing or unreadable is simply not reported.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from . import json_depth

__all__ = ["summarize_payload"]

#: payloads larger than this are not parsed for a title
MAX_SUMMARY_BYTES = 5 * 1024 * 1024


def _decimal(value) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _order_total(doc: dict) -> Decimal | None:
    """Untaxed total of an order document (lines and shipping), or None."""
    lines = doc.get("lines")
    if not isinstance(lines, list) or not lines:
        return None
    total = Decimal(0)
    for line in lines:
        if not isinstance(line, dict):
            return None
        quantity = _decimal(line.get("quantity"))
        price = _decimal(line.get("unit_price"))
        if quantity is None or price is None:
            return None
        discount = _decimal(line.get("discount")) or Decimal(0)
        total += quantity * price * (1 - discount / 100)
    shipping = doc.get("shipping")
    if isinstance(shipping, dict):
        total += _decimal(shipping.get("amount")) or Decimal(0)
    return total.quantize(Decimal("0.01"))


def summarize_payload(payload: str | bytes | None, event_type: str | None) -> dict:
    """Summarise an event payload for people.

    Returns ``{"kind", "reference", "amount", "currency"}``: ``kind`` is the
    document kind taken from the event type (``order.created`` -> ``order``),
    ``reference`` its number for people (``reference`` or ``external_id``),
    ``amount`` a :class:`~decimal.Decimal` total when the document has one
    (``amount_total`` / ``total`` / ``amount`` or, for an order, its lines and
    shipping), ``currency`` its ISO code.

    >>> summarize_payload('{"reference": "#1005", "currency": "EUR", '
    ...     '"lines": [{"quantity": "2", "unit_price": "25.00"}]}', "order.created")
    {'kind': 'order', 'reference': '#1005', 'amount': Decimal('50.00'), 'currency': 'EUR'}
    """
    kind = (event_type or "event").split(".")[0] or "event"
    summary = {"kind": kind, "reference": None, "amount": None, "currency": None}
    if not payload or len(payload) > MAX_SUMMARY_BYTES:
        return summary
    try:
        doc = json_depth.loads(payload, parse_float=Decimal)
    except (ValueError, TypeError, RecursionError):
        return summary
    if isinstance(doc, dict) and "schema_version" not in doc:
        inner = doc.get("data")
        doc = inner if isinstance(inner, dict) else doc
    if not isinstance(doc, dict):
        return summary
    for key in ("reference", "number", "external_id", "id"):
        value = doc.get(key)
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            text = str(value).strip()
            if text:
                summary["reference"] = text[:64]
                break
    currency = doc.get("currency")
    if isinstance(currency, str) and len(currency.strip()) == 3:
        summary["currency"] = currency.strip().upper()
    for key in ("amount_total", "total", "amount"):
        amount = _decimal(doc.get(key))
        if amount is not None:
            summary["amount"] = amount
            break
    else:
        summary["amount"] = _order_total(doc)
    return summary
