# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Generic JSON bank API provider: a configurable field mapping (no Odoo import).

A bank API answers pages such as::

    {"data": {"transactions": [{"id": "tx-1", "bookingDate": "2026-03-02",
                                "amount": {"value": "120.00", "currency": "EUR"},
                                "debtor": {"name": "ACME", "iban": "DE89..."},
                                "remittance": "INV/2026/00042"}]},
     "links": {"next": "cursor-2"}}

and the connection's mapping says where each field lives, as dotted paths::

    {"transactions": "data.transactions", "id": "id", "date": "bookingDate",
     "amount": "amount.value", "currency": "amount.currency",
     "counterparty_name": "debtor.name", "counterparty_account": "debtor.iban",
     "remittance": "remittance", "next_cursor": "links.next"}

Every key has a default (:data:`DEFAULT_MAPPING`); list items are addressed
by index ("entries.0.amount"). Amounts are signed (money in positive) unless a
``credit_debit`` path is mapped, in which case the amount is taken as
unsigned and the indicator ("CRDT"/"DBIT", "credit"/"debit", "C"/"D") gives
the sign.
"""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal, InvalidOperation

from ..lib.statement import StatementLine

_logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_MAPPING",
    "MappingError",
    "dig",
    "merged",
    "next_cursor",
    "page_transactions",
    "to_statement_line",
]

DEFAULT_MAPPING = {
    # request
    "path": "/transactions",
    "pagination": "cursor",  # "cursor", "page" or "none"
    "cursor_param": "cursor",
    "page_param": "page",
    "since_param": "date_from",
    "limit_param": "limit",
    "account_param": "account",
    "page_size": 100,
    "max_pages": 1000,
    # response
    "transactions": "transactions",
    "next_cursor": "next_cursor",
    # transaction
    "id": "id",
    "date": "booking_date",
    "value_date": "value_date",
    "amount": "amount",
    "currency": "currency",
    "credit_debit": "",
    "counterparty_name": "counterparty.name",
    "counterparty_account": "counterparty.account",
    "counterparty_bic": "counterparty.bic",
    "reference": "reference",
    "remittance": "remittance",
    "end_to_end_id": "end_to_end_id",
    "transaction_code": "type",
}
_CREDIT = {"CRDT", "CREDIT", "C", "CR", "IN"}
_DEBIT = {"DBIT", "DEBIT", "D", "DR", "OUT"}


class MappingError(ValueError):
    """A page or transaction does not fit the configured mapping."""


def merged(mapping: dict | None) -> dict:
    """The connection's mapping over the defaults (unknown keys refused)."""
    mapping = dict(mapping or {})
    unknown = set(mapping) - set(DEFAULT_MAPPING)
    if unknown:
        raise MappingError(f"unknown mapping keys: {', '.join(sorted(unknown))}")
    result = dict(DEFAULT_MAPPING)
    result.update({k: v for k, v in mapping.items() if v is not None})
    if result["pagination"] not in ("cursor", "page", "none"):
        raise MappingError("pagination must be 'cursor', 'page' or 'none'")
    return result


def dig(data, path: str | None):
    """Value at the dotted ``path`` of ``data`` (None when absent or no path)."""
    if not path:
        return None
    current = data
    for part in path.split("."):
        if isinstance(current, dict):
            current = current.get(part)
        elif isinstance(current, list) and part.lstrip("-").isdigit():
            index = int(part)
            current = current[index] if -len(current) <= index < len(current) else None
        else:
            return None
        if current is None:
            return None
    return current


def page_transactions(page, mapping: dict) -> list[dict]:
    """The transaction list of a page (an empty page gives ``[]``)."""
    found = dig(page, mapping["transactions"]) if isinstance(page, dict) else page
    if found is None:
        return []
    if not isinstance(found, list):
        raise MappingError(f"'{mapping['transactions']}' is not a list of transactions")
    return found


def next_cursor(page, mapping: dict) -> str | None:
    value = dig(page, mapping["next_cursor"]) if isinstance(page, dict) else None
    return str(value) if value not in (None, "") else None


def _text(tx, mapping, key):
    value = dig(tx, mapping.get(key))
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def _date(value, where):
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            pass
    raise MappingError(f"{where}: {value!r} is not an ISO date")


def _amount(value, where):
    if isinstance(value, bool) or value is None:
        raise MappingError(f"{where}: amount is missing")
    try:
        # str() first: a JSON float 0.1 must become Decimal("0.1"), not its
        # binary approximation.
        amount = Decimal(str(value).strip().replace(" ", ""))
    except InvalidOperation as exc:
        raise MappingError(f"{where}: {value!r} is not an amount") from exc
    if not amount.is_finite():
        raise MappingError(f"{where}: {value!r} is not an amount")
    return amount


def to_statement_line(tx, mapping: dict, currency: str, index: int) -> StatementLine:
    """A :class:`StatementLine` from one transaction (``index`` for errors)."""
    where = f"transaction {index}"
    if not isinstance(tx, dict):
        raise MappingError(f"{where}: not an object")
    tx_id = _text(tx, mapping, "id")
    if not tx_id:
        raise MappingError(f"{where}: no '{mapping['id']}' (transaction id)")
    where = f"transaction {tx_id}"
    amount = _amount(dig(tx, mapping["amount"]), where)
    indicator = _text(tx, mapping, "credit_debit")
    if mapping.get("credit_debit"):
        flag = (indicator or "").upper()
        if flag in _CREDIT:
            amount = abs(amount)
        elif flag in _DEBIT:
            amount = -abs(amount)
        else:
            raise MappingError(f"{where}: credit/debit indicator {indicator!r} unknown")
    tx_currency = (_text(tx, mapping, "currency") or currency).upper()
    booking = _date(dig(tx, mapping["date"]), where)
    value_date = dig(tx, mapping["value_date"])
    return StatementLine(
        booking_date=booking,
        value_date=_date(value_date, where) if value_date else None,
        amount=amount,
        currency=tx_currency,
        counterparty_name=_text(tx, mapping, "counterparty_name"),
        counterparty_account=_text(tx, mapping, "counterparty_account"),
        counterparty_bic=_text(tx, mapping, "counterparty_bic"),
        structured_reference=_text(tx, mapping, "reference"),
        remittance=_text(tx, mapping, "remittance"),
        end_to_end_id=_text(tx, mapping, "end_to_end_id"),
        bank_reference=tx_id,
        transaction_code=_text(tx, mapping, "transaction_code"),
        raw=str(tx)[:2048],
    )
