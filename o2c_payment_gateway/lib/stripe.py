# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Stripe webhooks (signature + event mapping), payouts and pagination.

Signature scheme (docs.stripe.com/webhooks/signatures): header
``Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...][,v0=<hex>]`` where each
``v1`` is the hex HMAC-SHA256, keyed with an endpoint secret ``whsec_...``,
of ``b"<t>." + raw_body``. Several ``v1`` appear while a secret is being
rolled (Stripe signs with the old and the new one); ``v0`` is a legacy test
scheme and is ignored. We also accept several configured secrets so the
merchant can roll on our side first.

Event mapping notes (API versions 2024+):

* ``payment_intent.succeeded`` and ``charge.succeeded`` report the same
  payment; both map to ``PAYMENT_SUCCEEDED`` with ``charge_ref`` /
  ``object_ref`` = the ``ch_`` id, so :attr:`NeutralEvent.business_key`
  deduplicates them. ``charge.succeeded`` of an *uncaptured* charge (manual
  capture) is only an authorisation: it is ``IGNORED`` and the payment is
  reported by ``charge.captured`` / ``payment_intent.succeeded``.
* Since API 2022-11-15 a Charge no longer embeds its refunds, so
  ``charge.refunded`` usually cannot name the refund: the amount is then the
  increase of ``amount_refunded`` (from ``previous_attributes``) and
  ``object_ref`` a synthetic ``<ch_id>#refunded:<cumulative minor units>``
  (stable across redeliveries, distinct per partial refund). Prefer the
  ``refund.*`` events (they carry ``re_`` ids); do not subscribe to both
  families or refunds are reported twice under different keys.
* Disputes: ``status`` ``warning_*`` is an inquiry (no funds withdrawn); the
  Odoo side must not book a hold for it. ``warning_closed`` maps to
  ``DISPUTE_WON`` (closes the inquiry, nothing to reinstate).
* ``fee``/``net`` are filled only when the balance transaction is expanded
  in the payload and in the same currency as the payment.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
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
    GatewayError,
    Kind,
    MalformedPayload,
    NeutralEvent,
    SignatureError,
    UnsupportedEvent,
    from_minor,
    pick_metadata,
)
from .settlement import Settlement, SettlementLine

_logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_TOLERANCE",
    "GATEWAY",
    "SIGNATURE_HEADER",
    "StripeSignatureError",
    "balance_transactions_to_settlement",
    "build_header",
    "compute_signature",
    "paginate",
    "parse_event",
    "parse_header",
    "verify_webhook",
]

GATEWAY = "stripe"
SIGNATURE_HEADER = "Stripe-Signature"
DEFAULT_TOLERANCE = 300
#: ISO 4217 "no currency", used for IGNORED events without a usable currency.
NO_CURRENCY = "XXX"


class StripeSignatureError(SignatureError):
    """The ``Stripe-Signature`` header does not authenticate the body.

    ``reason`` is one of: "missing header", "no timestamp", "no v1 signature",
    "timestamp outside tolerance", "no matching signature",
    "no secret configured".
    """


# ---------------------------------------------------------------------------
# Signatures
# ---------------------------------------------------------------------------


def compute_signature(secret: str, payload: bytes, timestamp: int) -> str:
    """Hex HMAC-SHA256 of ``b"<timestamp>." + payload`` keyed with ``secret``.

    The raw bytes are signed: re-serialising parsed JSON would change them.
    """
    signed = f"{int(timestamp)}.".encode() + bytes(payload)
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def build_header(
    secret: str,
    payload: bytes,
    timestamp: int,
    extra_secrets: Sequence[str] = (),
) -> str:
    """A ``Stripe-Signature`` value as Stripe would send it (for tests/tools)."""
    parts = [f"t={int(timestamp)}"]
    for key in (secret, *extra_secrets):
        parts.append(f"v1={compute_signature(key, payload, timestamp)}")
    return ",".join(parts)


def parse_header(header: str) -> tuple[int | None, list[str]]:
    """Return ``(timestamp or None, [v1 signatures])`` like Stripe's libraries.

    Elements are ``key=value`` separated by commas; unknown keys (``v0``,
    future schemes) are ignored; the first well-formed ``t`` wins.
    """
    timestamp = None
    signatures = []
    for element in header.split(","):
        key, sep, value = element.strip().partition("=")
        if not sep:
            continue
        value = value.strip()
        if key == "t" and timestamp is None:
            if value.isascii() and value.isdigit() and len(value) <= 12:
                timestamp = int(value)
        elif key == "v1" and value:
            signatures.append(value)
    return timestamp, signatures


def verify_webhook(
    payload: bytes,
    header: str | None,
    secrets: Sequence[str],
    tolerance: int = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> None:
    """Authenticate a Stripe webhook; return None or raise StripeSignatureError.

    Any configured secret may match any ``v1`` (rotation on either side).
    The timestamp must be within ``tolerance`` seconds of ``now`` in both
    directions (replay guard; a far-future ``t`` would stay valid for long).
    Every secret/signature pair is compared, without short-circuit, with a
    constant-time comparison.
    """
    if isinstance(secrets, str):
        secrets = [secrets]
    keys = [key for key in (secrets or ()) if isinstance(key, str) and key]
    if not keys:
        raise StripeSignatureError("no secret configured")
    if not isinstance(header, str) or not header.strip():
        raise StripeSignatureError("missing header")
    timestamp, signatures = parse_header(header)
    if timestamp is None:
        raise StripeSignatureError("no timestamp")
    if not signatures:
        raise StripeSignatureError("no v1 signature")
    if now is None:
        now = time.time()
    if abs(now - timestamp) > tolerance:
        raise StripeSignatureError("timestamp outside tolerance")
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    body = bytes(payload or b"")
    candidates = [sig.encode("utf-8", "replace") for sig in signatures]
    matched = False
    for key in keys:
        expected = compute_signature(key, body, timestamp).encode("ascii")
        for candidate in candidates:
            if hmac.compare_digest(expected, candidate):
                matched = True
    if not matched:
        _logger.info("Stripe webhook refused: no matching signature (t=%s)", timestamp)
        raise StripeSignatureError("no matching signature")


# ---------------------------------------------------------------------------
# Event mapping
# ---------------------------------------------------------------------------


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


def _currency(obj: dict, path: str) -> str:
    return get_str(obj, "currency", path).upper()


def _fee_net(bt: Any, currency: str) -> tuple[Decimal | None, Decimal | None]:
    """Fee and net of an *expanded* balance transaction in ``currency``."""
    if not isinstance(bt, dict):
        return None, None
    path = "balance_transaction"
    bt_currency = _currency(bt, path)
    if bt_currency != currency:
        # Settled in another currency (FX): mixing both would be wrong.
        return None, None
    fee = from_minor(get_int(bt, "fee", path), bt_currency, GATEWAY)
    net = from_minor(get_int(bt, "net", path), bt_currency, GATEWAY)
    return fee, abs(net)


def _on_payment_intent_succeeded(ctx: _Context) -> NeutralEvent:
    pi, path = ctx.obj, ctx.path
    pi_id = get_str(pi, "id", path)
    currency = _currency(pi, path)
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
    currency = _currency(ch, path)
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
    currency = _currency(pi, path)
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
    currency = _currency(ch, path)
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
    currency = _currency(re_, path)
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
    currency = _currency(ch, path)
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
    currency = _currency(dp, path)
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
    currency = _currency(po, path)
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


# ---------------------------------------------------------------------------
# Payouts: balance transactions -> Settlement
# ---------------------------------------------------------------------------

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
    currency = _currency(payout, "payout")
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
    txn_currency = _currency(txn, path)
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
