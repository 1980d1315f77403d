# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Stripe event objects (API 2024+) to :class:`~.events.NeutralEvent`.

See :mod:`.stripe` for the mapping rules; this module only holds them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ._payload import (
    get_bool,
    get_dict,
    get_int,
    get_list,
    get_metadata,
    get_ref,
    get_str,
    join,
    load_json,
    timestamp_to_date,
    timestamp_to_datetime,
)
from .events import (
    INVOICE_METADATA_KEYS,
    ORDER_METADATA_KEYS,
    Kind,
    MalformedPayload,
    NeutralEvent,
    UnsupportedEvent,
    from_minor,
    pick_metadata,
)

_logger = logging.getLogger(__name__)

__all__ = [
    "GATEWAY",
    "HANDLED_EVENT_TYPES",
    "NO_CURRENCY",
    "currency_code",
    "parse_event",
]

GATEWAY = "stripe"
#: ISO 4217 "no currency", used for IGNORED events without a usable currency.
NO_CURRENCY = "XXX"


@dataclass
class _Context:
    event_id: str
    type: str
    occurred_at: Any
    livemode: bool
    account: str | None
    obj: dict
    previous: dict
    invoice_keys: tuple[str, ...]
    order_keys: tuple[str, ...]

    path = "data.object"

    def event(
        self, kind: Kind, amount: Decimal, currency: str, **fields
    ) -> NeutralEvent:
        metadata = fields.pop("metadata", {}) or {}
        fields.setdefault("invoice_ref", pick_metadata(metadata, self.invoice_keys))
        fields.setdefault("order_ref", pick_metadata(metadata, self.order_keys))
        return NeutralEvent(
            gateway=GATEWAY,
            kind=kind,
            event_id=self.event_id,
            occurred_at=self.occurred_at,
            amount=amount,
            currency=currency,
            livemode=self.livemode,
            raw_type=self.type,
            metadata=metadata,
            account=self.account,
            **fields,
        )

    def ignored(self, why: str) -> NeutralEvent:
        currency = self.obj.get("currency")
        if not (
            isinstance(currency, str) and len(currency) == 3 and currency.isalpha()
        ):
            currency = NO_CURRENCY
        _logger.debug("Stripe event %s (%s) ignored: %s", self.event_id, self.type, why)
        return self.event(
            Kind.IGNORED,
            Decimal(0),
            currency,
            object_ref=self.obj.get("id")
            if isinstance(self.obj.get("id"), str)
            else None,
            reason=why,
            invoice_ref=None,
            order_ref=None,
        )

    def money(self, obj: dict, key: str, currency: str, path: str | None = None):
        value = get_int(obj, key, path or self.path)
        if value < 0:
            raise MalformedPayload(join(path or self.path, key), "negative amount")
        return from_minor(value, currency, GATEWAY)


def parse_event(
    payload: bytes,
    invoice_keys: tuple[str, ...] = INVOICE_METADATA_KEYS,
    order_keys: tuple[str, ...] = ORDER_METADATA_KEYS,
) -> NeutralEvent:
    """Map one Stripe event body to a :class:`NeutralEvent`.

    Unknown event types give ``Kind.IGNORED`` (not an error): Stripe sends
    whatever the endpoint subscribes to and new types appear over time.
    :raises MalformedPayload: invalid JSON or a required field missing/mistyped.
    :raises UnsupportedEvent: a Stripe "thin" (v2) event notification.
    """
    event = load_json(payload)
    if not isinstance(event, dict):
        raise MalformedPayload("$", "expected a JSON object")
    object_type = event.get("object")
    if object_type == "v2.core.event":
        raise UnsupportedEvent(
            "Stripe thin events carry no object data; use a snapshot endpoint"
        )
    if object_type is not None and object_type != "event":
        raise MalformedPayload("object", f"expected 'event', got {object_type!r}")
    data = get_dict(event, "data", "")
    context = _Context(
        event_id=get_str(event, "id", ""),
        type=get_str(event, "type", ""),
        occurred_at=timestamp_to_datetime(get_int(event, "created", ""), "created"),
        livemode=get_bool(event, "livemode", ""),
        account=get_str(event, "account", "", required=False),
        obj=get_dict(data, "object", "data"),
        previous=get_dict(data, "previous_attributes", "data", required=False) or {},
        invoice_keys=tuple(invoice_keys),
        order_keys=tuple(order_keys),
    )
    handler = _HANDLERS.get(context.type)
    if handler is None:
        return context.ignored("event type not mapped")
    return handler(context)


def currency_code(obj: dict, path: str) -> str:
    """Upper-case ISO code of ``obj["currency"]`` (Stripe sends lower case)."""
    return get_str(obj, "currency", path).upper()


def _fee_net(bt: Any, currency: str) -> tuple[Decimal | None, Decimal | None]:
    """Fee and net of an *expanded* balance transaction in ``currency``."""
    if not isinstance(bt, dict):
        return None, None
    path = "balance_transaction"
    bt_currency = currency_code(bt, path)
    if bt_currency != currency:
        # Settled in another currency (FX): mixing both would be wrong.
        return None, None
    fee = from_minor(get_int(bt, "fee", path), bt_currency, GATEWAY)
    net = from_minor(get_int(bt, "net", path), bt_currency, GATEWAY)
    return fee, abs(net)


def _on_payment_intent_succeeded(ctx: _Context) -> NeutralEvent:
    pi, path = ctx.obj, ctx.path
    pi_id = get_str(pi, "id", path)
    currency = currency_code(pi, path)
    received = get_int(pi, "amount_received", path, required=False)
    amount = from_minor(
        received if received else get_int(pi, "amount", path), currency, GATEWAY
    )
    charge_ref = get_ref(pi, "latest_charge", path)
    charge = (
        pi.get("latest_charge") if isinstance(pi.get("latest_charge"), dict) else {}
    )
    fee, net = _fee_net(charge.get("balance_transaction"), currency)
    metadata = get_metadata(pi, "metadata", path)
    # Prefer the charge's data where both exist.
    metadata.update(get_metadata(charge, "metadata", join(path, "latest_charge")))
    customer = get_ref(charge, "customer", path) or get_ref(pi, "customer", path)
    return ctx.event(
        Kind.PAYMENT_SUCCEEDED,
        amount,
        currency,
        charge_ref=charge_ref or pi_id,
        object_ref=charge_ref or pi_id,
        payment_ref=pi_id,
        customer_ref=customer,
        fee=fee,
        net=net,
        metadata=metadata,
        status=get_str(pi, "status", path, required=False),
    )


def _on_charge_succeeded(ctx: _Context) -> NeutralEvent:
    ch, path = ctx.obj, ctx.path
    ch_id = get_str(ch, "id", path)
    currency = currency_code(ch, path)
    captured = get_bool(ch, "captured", path, default=True)
    if not captured:
        return ctx.ignored("authorisation only (uncaptured charge)")
    amount_captured = get_int(ch, "amount_captured", path, required=False)
    amount = from_minor(
        amount_captured if amount_captured else get_int(ch, "amount", path),
        currency,
        GATEWAY,
    )
    fee, net = _fee_net(ch.get("balance_transaction"), currency)
    pi = ch.get("payment_intent") if isinstance(ch.get("payment_intent"), dict) else {}
    metadata = get_metadata(pi, "metadata", join(path, "payment_intent"))
    metadata.update(get_metadata(ch, "metadata", path))
    return ctx.event(
        Kind.PAYMENT_SUCCEEDED,
        amount,
        currency,
        charge_ref=ch_id,
        object_ref=ch_id,
        payment_ref=get_ref(ch, "payment_intent", path),
        customer_ref=get_ref(ch, "customer", path),
        fee=fee,
        net=net,
        metadata=metadata,
        status=get_str(ch, "status", path, required=False),
    )


def _error_text(error: Any) -> str | None:
    if not isinstance(error, dict):
        return None
    parts = [
        error.get(key)
        for key in ("code", "decline_code", "message")
        if isinstance(error.get(key), str) and error.get(key)
    ]
    return ": ".join(parts) or None


def _on_payment_intent_failed(ctx: _Context) -> NeutralEvent:
    pi, path = ctx.obj, ctx.path
    pi_id = get_str(pi, "id", path)
    currency = currency_code(pi, path)
    error = get_dict(pi, "last_payment_error", path, required=False) or {}
    charge_ref = get_ref(error, "charge", join(path, "last_payment_error")) or get_ref(
        pi, "latest_charge", path
    )
    return ctx.event(
        Kind.PAYMENT_FAILED,
        ctx.money(pi, "amount", currency),
        currency,
        charge_ref=charge_ref or pi_id,
        object_ref=charge_ref,
        payment_ref=pi_id,
        customer_ref=get_ref(pi, "customer", path),
        reason=_error_text(error),
        metadata=get_metadata(pi, "metadata", path),
        status=get_str(pi, "status", path, required=False),
    )


def _on_charge_failed(ctx: _Context) -> NeutralEvent:
    ch, path = ctx.obj, ctx.path
    ch_id = get_str(ch, "id", path)
    currency = currency_code(ch, path)
    reason = ": ".join(
        value
        for value in (ch.get("failure_code"), ch.get("failure_message"))
        if isinstance(value, str) and value
    )
    return ctx.event(
        Kind.PAYMENT_FAILED,
        ctx.money(ch, "amount", currency),
        currency,
        charge_ref=ch_id,
        object_ref=ch_id,
        payment_ref=get_ref(ch, "payment_intent", path),
        customer_ref=get_ref(ch, "customer", path),
        reason=reason or None,
        metadata=get_metadata(ch, "metadata", path),
        status=get_str(ch, "status", path, required=False),
    )


_REFUND_KINDS = {
    "succeeded": Kind.REFUND_SUCCEEDED,
    "failed": Kind.REFUND_FAILED,
    "canceled": Kind.REFUND_FAILED,
}


def _on_refund(ctx: _Context) -> NeutralEvent:
    re_, path = ctx.obj, ctx.path
    if re_.get("object") not in (None, "refund"):
        raise MalformedPayload(join(path, "object"), "expected a refund")
    re_id = get_str(re_, "id", path)
    currency = currency_code(re_, path)
    status = get_str(re_, "status", path, required=False)
    kind = (
        Kind.REFUND_FAILED if ctx.type == "refund.failed" else _REFUND_KINDS.get(status)
    )
    if kind is None:
        return ctx.ignored(f"refund status {status!r} is not final")
    charge = re_.get("charge") if isinstance(re_.get("charge"), dict) else {}
    metadata = get_metadata(charge, "metadata", join(path, "charge"))
    metadata.update(get_metadata(re_, "metadata", path))
    fee, net = _fee_net(re_.get("balance_transaction"), currency)
    payment_ref = get_ref(re_, "payment_intent", path)
    reason_key = "failure_reason" if kind is Kind.REFUND_FAILED else "reason"
    return ctx.event(
        kind,
        ctx.money(re_, "amount", currency),
        currency,
        charge_ref=get_ref(re_, "charge", path) or payment_ref,
        object_ref=re_id,
        payment_ref=payment_ref,
        fee=fee,
        net=net,
        reason=get_str(re_, reason_key, path, required=False),
        metadata=metadata,
        status=status,
    )


def _on_charge_refunded(ctx: _Context) -> NeutralEvent:
    ch, path = ctx.obj, ctx.path
    ch_id = get_str(ch, "id", path)
    currency = currency_code(ch, path)
    metadata = get_metadata(ch, "metadata", path)
    common = {
        "charge_ref": ch_id,
        "payment_ref": get_ref(ch, "payment_intent", path),
        "customer_ref": get_ref(ch, "customer", path),
    }
    refunds = get_dict(ch, "refunds", path, required=False) or {}
    listed = get_list(refunds, "data", join(path, "refunds"), required=False) or []
    listed = [item for item in listed if isinstance(item, dict)]
    if listed:
        # Embedded refunds (expanded, or pre-2022-11-15 API): the newest one
        # is the refund that triggered this event.
        newest = max(listed, key=lambda item: (_int_or_zero(item.get("created")),))
        rpath = join(path, "refunds.data")
        status = get_str(newest, "status", rpath, required=False)
        if status != "succeeded":
            return ctx.ignored(f"refund status {status!r} is not final")
        metadata.update(get_metadata(newest, "metadata", rpath))
        return ctx.event(
            Kind.REFUND_SUCCEEDED,
            ctx.money(newest, "amount", currency, rpath),
            currency,
            object_ref=get_str(newest, "id", rpath),
            reason=get_str(newest, "reason", rpath, required=False),
            metadata=metadata,
            status=status,
            **common,
        )
    total = get_int(ch, "amount_refunded", path)
    previous = ctx.previous.get("amount_refunded")
    if isinstance(previous, int) and not isinstance(previous, bool):
        delta = total - previous
    else:
        _logger.warning(
            "Stripe %s for %s has no previous amount_refunded: using the "
            "cumulative refunded amount",
            ctx.type,
            ch_id,
        )
        delta = total
    if delta <= 0:
        return ctx.ignored("amount_refunded did not increase")
    return ctx.event(
        Kind.REFUND_SUCCEEDED,
        from_minor(delta, currency, GATEWAY),
        currency,
        object_ref=f"{ch_id}#refunded:{total}",
        metadata=metadata,
        status="refund_id_unknown",
        **common,
    )


def _int_or_zero(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _dispute_common(ctx: _Context) -> tuple[dict, str, dict[str, Any]]:
    dp, path = ctx.obj, ctx.path
    currency = currency_code(dp, path)
    evidence = get_dict(dp, "evidence_details", path, required=False) or {}
    due = get_int(evidence, "due_by", join(path, "evidence_details"), required=False)
    fields = {
        "charge_ref": get_ref(dp, "charge", path, required=True),
        "object_ref": get_str(dp, "id", path),
        "payment_ref": get_ref(dp, "payment_intent", path),
        "reason": get_str(dp, "reason", path, required=False),
        "due_by": timestamp_to_datetime(due, join(path, "evidence_details.due_by"))
        if due is not None
        else None,
        "status": get_str(dp, "status", path, required=False),
        "metadata": get_metadata(dp, "metadata", path),
    }
    return dp, currency, fields


def _on_dispute_created(ctx: _Context) -> NeutralEvent:
    dp, currency, fields = _dispute_common(ctx)
    # The dispute embeds its balance transactions (withdrawal + dispute fee).
    movements = get_list(dp, "balance_transactions", ctx.path, required=False) or []
    fee = net = None
    same_currency = [
        bt
        for bt in movements
        if isinstance(bt, dict) and str(bt.get("currency", "")).upper() == currency
    ]
    if same_currency:
        pairs = [_fee_net(bt, currency) for bt in same_currency]
        fee = sum((pair[0] for pair in pairs), Decimal(0))
        net = sum((pair[1] for pair in pairs), Decimal(0))
    return ctx.event(
        Kind.DISPUTE_OPENED,
        ctx.money(dp, "amount", currency),
        currency,
        fee=fee,
        net=net,
        **fields,
    )


_DISPUTE_CLOSED_KINDS = {
    "won": Kind.DISPUTE_WON,
    "warning_closed": Kind.DISPUTE_WON,
    "lost": Kind.DISPUTE_LOST,
}


def _on_dispute_closed(ctx: _Context) -> NeutralEvent:
    dp, currency, fields = _dispute_common(ctx)
    kind = _DISPUTE_CLOSED_KINDS.get(fields["status"])
    if kind is None:
        _logger.warning(
            "Stripe dispute %s closed with unexpected status %s",
            fields["object_ref"],
            fields["status"],
        )
        return ctx.ignored(f"dispute closed with status {fields['status']!r}")
    return ctx.event(kind, ctx.money(dp, "amount", currency), currency, **fields)


def _on_payout(ctx: _Context) -> NeutralEvent:
    po, path = ctx.obj, ctx.path
    currency = currency_code(po, path)
    signed = from_minor(get_int(po, "amount", path), currency, GATEWAY)
    arrival = get_int(po, "arrival_date", path, required=False)
    failed = ctx.type == "payout.failed"
    reason = None
    if failed:
        reason = ": ".join(
            value
            for value in (po.get("failure_code"), po.get("failure_message"))
            if isinstance(value, str) and value
        )
    return ctx.event(
        Kind.PAYOUT_FAILED if failed else Kind.PAYOUT_PAID,
        abs(signed),
        currency,
        object_ref=get_str(po, "id", path),
        net=signed,
        reason=reason or None,
        payout_arrival=timestamp_to_date(arrival, join(path, "arrival_date"))
        if arrival is not None
        else None,
        metadata=get_metadata(po, "metadata", path),
        status=get_str(po, "status", path, required=False),
    )


_HANDLERS: dict[str, Callable[[_Context], NeutralEvent]] = {
    "payment_intent.succeeded": _on_payment_intent_succeeded,
    "charge.succeeded": _on_charge_succeeded,
    "charge.captured": _on_charge_succeeded,
    "payment_intent.payment_failed": _on_payment_intent_failed,
    "charge.failed": _on_charge_failed,
    "charge.refunded": _on_charge_refunded,
    "refund.created": _on_refund,
    "refund.updated": _on_refund,
    "refund.failed": _on_refund,
    "charge.refund.updated": _on_refund,
    "charge.dispute.created": _on_dispute_created,
    "charge.dispute.closed": _on_dispute_closed,
    "payout.paid": _on_payout,
    "payout.failed": _on_payout,
}

#: Event types this module maps to something else than IGNORED.
HANDLED_EVENT_TYPES = frozenset(_HANDLERS)
