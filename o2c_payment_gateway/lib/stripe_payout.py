# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Stripe payouts: balance transactions to :class:`~.settlement.Settlement`,
and cursor pagination of Stripe list endpoints (re-exported by :mod:`.stripe`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal

from ._payload import (
    get_bool,
    get_int,
    get_list,
    get_metadata,
    get_ref,
    get_str,
    join,
    timestamp_to_date,
    timestamp_to_datetime,
)
from .events import (
    INVOICE_METADATA_KEYS,
    GatewayError,
    MalformedPayload,
    from_minor,
    pick_metadata,
)
from .settlement import Settlement, SettlementLine
from .stripe_events import GATEWAY, currency_code

_logger = logging.getLogger(__name__)

__all__ = ["balance_transactions_to_settlement", "paginate"]


#: ``reporting_category`` (preferred, stable) -> settlement line kind.
_CATEGORY_KINDS = {
    "charge": "charge",
    "refund": "refund",
    "refund_failure": "refund",
    "dispute": "dispute",
    "dispute_reversal": "dispute_reversal",
    "fee": "fee",
}
#: Fallback on ``type`` when a transaction has no reporting_category.
_TYPE_KINDS = {
    "charge": "charge",
    "payment": "charge",
    "refund": "refund",
    "payment_refund": "refund",
    "refund_failure": "refund",
    "payment_failure_refund": "refund",
    "stripe_fee": "fee",
    "stripe_fx_fee": "fee",
    "tax_fee": "fee",
}


def _line_kind(txn_type: str, category: str | None) -> str:
    if category in _CATEGORY_KINDS:
        return _CATEGORY_KINDS[category]
    if txn_type == "adjustment" and category is None:
        return "adjustment"
    return _TYPE_KINDS.get(txn_type, "adjustment")


def balance_transactions_to_settlement(
    payout: dict,
    transactions: Iterable[dict],
    invoice_keys: tuple[str, ...] = INVOICE_METADATA_KEYS,
) -> Settlement:
    """Build the :class:`Settlement` of a payout from its balance transactions.

    ``transactions`` are the items of ``GET /v1/balance_transactions?payout=
    po_...`` (all pages, see :func:`paginate`); use ``expand[]=data.source``
    so refund and dispute lines can name their original charge. The payout's
    own ``type=payout`` line is excluded from the sums; ``Settlement.net`` is
    ``payout.amount`` as Stripe states it.
    """
    if not isinstance(payout, dict):
        raise MalformedPayload("payout", "expected an object")
    payout_id = get_str(payout, "id", "payout")
    currency = currency_code(payout, "payout")
    arrival = get_int(payout, "arrival_date", "payout", required=False)
    created = get_int(payout, "created", "payout", required=False)
    settlement = Settlement(
        gateway=GATEWAY,
        payout_id=payout_id,
        currency=currency,
        created_at=timestamp_to_datetime(created, "payout.created")
        if created is not None
        else None,
        arrival_date=timestamp_to_date(arrival, "payout.arrival_date")
        if arrival is not None
        else None,
        net=from_minor(get_int(payout, "amount", "payout"), currency, GATEWAY),
        description=get_str(payout, "description", "payout", required=False) or "",
        status=get_str(payout, "status", "payout", required=False),
    )
    seen: set[str] = set()
    for index, txn in enumerate(transactions):
        path = f"transactions[{index}]"
        if not isinstance(txn, dict):
            raise MalformedPayload(path, "expected an object")
        txn_id = get_str(txn, "id", path)
        if txn_id in seen:
            raise MalformedPayload(join(path, "id"), f"duplicate transaction {txn_id}")
        seen.add(txn_id)
        line = _txn_line(txn, path, payout_id, currency, invoice_keys)
        if line is not None:
            settlement.lines.append(line)
    if not settlement.is_consistent:
        _logger.warning(
            "Stripe payout %s does not add up: lines %s, payout %s (difference %s)",
            payout_id,
            settlement.computed_net,
            settlement.net,
            settlement.check_sums(),
        )
    return settlement


def _txn_line(
    txn: dict, path: str, payout_id: str, currency: str, invoice_keys
) -> SettlementLine | None:
    txn_type = get_str(txn, "type", path)
    category = get_str(txn, "reporting_category", path, required=False)
    txn_currency = currency_code(txn, path)
    if txn_currency != currency:
        raise MalformedPayload(
            join(path, "currency"), f"{txn_currency} is not the payout currency"
        )
    amount = from_minor(get_int(txn, "amount", path), currency, GATEWAY)
    fee = from_minor(get_int(txn, "fee", path), currency, GATEWAY)
    net = from_minor(get_int(txn, "net", path), currency, GATEWAY)
    source_ref = get_ref(txn, "source", path)
    if txn_type == "payout" and source_ref == payout_id:
        if amount > 0 or net != amount:
            _logger.warning("Stripe payout line %s has unexpected amounts", path)
        return None
    kind = _line_kind(txn_type, category)
    source = txn.get("source") if isinstance(txn.get("source"), dict) else {}
    reference = source_ref
    if kind in ("refund", "dispute", "dispute_reversal") and source:
        reference = get_ref(source, "charge", join(path, "source")) or source_ref
    gross = amount
    if kind == "fee":
        # A fee-only transaction: its (negative) amount is itself a cost.
        gross, fee = Decimal(0), fee - amount
    created = get_int(txn, "created", path, required=False)
    return SettlementLine(
        kind=kind,
        reference=reference,
        source_ref=source_ref or get_str(txn, "id", path),
        gross=gross,
        fee=fee,
        net=net,
        currency=currency,
        occurred_at=timestamp_to_datetime(created, join(path, "created"))
        if created is not None
        else None,
        description=get_str(txn, "description", path, required=False) or txn_type,
        merchant_ref=pick_metadata(
            get_metadata(source, "metadata", join(path, "source")), invoice_keys
        ),
    )


# ---------------------------------------------------------------------------
# Pagination
# ---------------------------------------------------------------------------


def paginate(
    fetch_page: Callable[[str | None], dict], max_pages: int = 10_000
) -> Iterator[dict]:
    """Iterate over every item of a Stripe list endpoint.

    ``fetch_page(starting_after)`` performs the HTTP call (``starting_after``
    is None for the first page) and returns the parsed list object
    ``{"object": "list", "data": [...], "has_more": bool}``. The cursor is the
    ``id`` of the last item of the previous page. A page claiming
    ``has_more`` without items, or a cursor that does not advance, raises
    MalformedPayload instead of looping forever.
    """
    cursor: str | None = None
    seen_cursors: set[str] = set()
    for page_number in range(max_pages):
        path = f"page[{page_number}]"
        page = fetch_page(cursor)
        if not isinstance(page, dict):
            raise MalformedPayload(path, "expected a list object")
        items = get_list(page, "data", path)
        yield from items
        if not get_bool(page, "has_more", path):
            return
        if not items:
            raise MalformedPayload(join(path, "data"), "has_more without items")
        last = items[-1]
        next_cursor = get_str(last, "id", join(path, f"data[{len(items) - 1}]"))
        if next_cursor in seen_cursors:
            raise MalformedPayload(join(path, "data"), "pagination cursor repeats")
        seen_cursors.add(next_cursor)
        cursor = next_cursor
    raise GatewayError(f"Stripe pagination stopped after {max_pages} pages")
