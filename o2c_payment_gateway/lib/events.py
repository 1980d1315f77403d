# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Gateway-neutral vocabulary shared by every payment gateway adapter.

A webhook from any gateway is reduced to zero or more :class:`NeutralEvent`
objects; the Odoo side only ever reasons about these.

Conventions (the "why" behind them):

* ``amount`` is always a positive :class:`~decimal.Decimal` in major units;
  the direction is given by :class:`Kind` (a refund of 10.00 is
  ``REFUND_SUCCEEDED`` with ``amount == 10.00``). Signs are only used in
  settlements (see :mod:`.settlement`), where lines of both directions are
  summed.
* ``event_id`` identifies one *provider event* (Stripe ``evt_...``, Adyen
  ``pspReference:eventCode:success``): it is stable across redeliveries, so
  it is the idempotency key of the webhook log.
* :attr:`NeutralEvent.business_key` identifies the *business fact*
  (``gateway, kind, object_ref``): two different provider events may report
  the same fact (Stripe ``payment_intent.succeeded`` and ``charge.succeeded``;
  ``refund.created`` and ``refund.updated``; Adyen
  ``NOTIFICATION_OF_CHARGEBACK`` and ``CHARGEBACK``) and must be booked once.
* Minor units differ between gateways for a few currencies (Adyen uses 2
  decimals for CLP where Stripe uses 0, 0 for IDR where Stripe uses 2...), so
  :func:`to_minor` / :func:`from_minor` take an optional ``gateway``.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation, localcontext
from enum import StrEnum
from typing import Any

_logger = logging.getLogger(__name__)

__all__ = [
    "ADYEN_EXPONENT_OVERRIDES",
    "DEFAULT_EXPONENT",
    "INVOICE_METADATA_KEYS",
    "MAX_MINOR_UNITS",
    "ORDER_METADATA_KEYS",
    "THREE_DECIMAL_CURRENCIES",
    "ZERO_DECIMAL_CURRENCIES",
    "GatewayError",
    "InvalidAmount",
    "Kind",
    "MalformedPayload",
    "NeutralEvent",
    "SignatureError",
    "UnknownGateway",
    "UnsupportedEvent",
    "currency_exponent",
    "from_minor",
    "parse_decimal",
    "pick_metadata",
    "to_minor",
]


# ---------------------------------------------------------------------------
# Exceptions
# ---------------------------------------------------------------------------


class GatewayError(Exception):
    """Base class of every error raised by the payment gateway pure core."""


class UnsupportedEvent(GatewayError):
    """A well-formed payload we deliberately cannot handle.

    Example: Stripe "thin" events (``object == "v2.core.event"``) carry no
    object data and need an API round-trip. Unknown event *types* are not
    errors: they map to :attr:`Kind.IGNORED`.
    """


class MalformedPayload(GatewayError):
    """The payload is not what the gateway documents; ``path`` names the field.

    ``path`` is a dotted/indexed path such as ``data.object.amount`` or
    ``notificationItems[2].NotificationRequestItem.eventCode``; for CSV
    reports it is ``row 12: Net Credit (NC)``.
    """

    def __init__(self, path: str, reason: str = "invalid"):
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}" if path else reason)


class SignatureError(GatewayError):
    """A webhook could not be authenticated; ``reason`` is a short code."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


class InvalidAmount(GatewayError):
    """An amount cannot be represented in the currency's minor units."""


class UnknownGateway(GatewayError):
    """No adapter is registered under the requested gateway code."""


# ---------------------------------------------------------------------------
# Kinds
# ---------------------------------------------------------------------------


class Kind(StrEnum):
    """What happened, independently of the gateway.

    ``FEE`` is reserved for fee-only events: neither Stripe nor Adyen send one
    in the flows mapped here (fees arrive with the payment or in settlements),
    so the built-in parsers never emit it.
    """

    PAYMENT_SUCCEEDED = "payment_succeeded"
    PAYMENT_FAILED = "payment_failed"
    REFUND_SUCCEEDED = "refund_succeeded"
    REFUND_FAILED = "refund_failed"
    DISPUTE_OPENED = "dispute_opened"
    DISPUTE_WON = "dispute_won"
    DISPUTE_LOST = "dispute_lost"
    PAYOUT_PAID = "payout_paid"
    PAYOUT_FAILED = "payout_failed"
    FEE = "fee"
    IGNORED = "ignored"


# ---------------------------------------------------------------------------
# Currencies and minor units
# ---------------------------------------------------------------------------

#: Currencies without minor unit in Stripe (and ISO 4217, except MGA whose
#: ISO exponent is nominally 2 but which Stripe treats as zero-decimal).
ZERO_DECIMAL_CURRENCIES = frozenset(
    {
        *("BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA"),
        *("PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"),
    }
)
#: Currencies with three decimals (ISO 4217, Stripe and Adyen agree).
THREE_DECIMAL_CURRENCIES = frozenset({"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"})
DEFAULT_EXPONENT = 2
#: Sanity cap on minor-unit integers (10^15 major units of a zero-decimal
#: currency): anything larger is a corrupt payload, not a payment.
MAX_MINOR_UNITS = 10**15

#: Where Adyen's documented minor units differ from the table above
#: (docs.adyen.com "Currency codes and minor units": CLP and CVE are flagged
#: "differs from standard"; IDR is sent without decimals).
ADYEN_EXPONENT_OVERRIDES = {"CLP": 2, "CVE": 0, "IDR": 0}

_OVERRIDES = {"adyen": ADYEN_EXPONENT_OVERRIDES, "stripe": {}}


def _norm_currency(currency: Any) -> str:
    if not isinstance(currency, str):
        raise InvalidAmount(f"currency must be a string, got {type(currency)!r}")
    code = currency.strip().upper()
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        raise InvalidAmount(f"invalid ISO 4217 currency code {currency!r}")
    return code


def currency_exponent(currency: str, gateway: str | None = None) -> int:
    """Number of decimals of ``currency`` in ``gateway``'s minor units."""
    code = _norm_currency(currency)
    overrides = _OVERRIDES.get((gateway or "").lower(), {})
    if code in overrides:
        return overrides[code]
    if code in ZERO_DECIMAL_CURRENCIES:
        return 0
    if code in THREE_DECIMAL_CURRENCIES:
        return 3
    return DEFAULT_EXPONENT


def to_minor(amount: Decimal, currency: str, gateway: str | None = None) -> int:
    """Convert a major-unit Decimal to an integer of minor units.

    Refuses (rather than rounds) amounts with more decimals than the currency
    has: silently rounding money would hide an upstream bug.
    """
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int):
        raise InvalidAmount(f"amount must be a Decimal, got {type(amount)!r}")
    amount = Decimal(amount)
    if not amount.is_finite():
        raise InvalidAmount(f"amount {amount} is not finite")
    exponent = currency_exponent(currency, gateway)
    with localcontext() as ctx:
        # Enough precision for any amount below the cap: never round.
        ctx.prec = 60
        scaled = amount.scaleb(exponent)
    if scaled != scaled.to_integral_value():
        raise InvalidAmount(
            f"{amount} {currency} has more decimals than the currency allows"
        )
    result = int(scaled)
    if abs(result) > MAX_MINOR_UNITS:
        raise InvalidAmount(f"amount {amount} {currency} is out of range")
    return result


def from_minor(value: int, currency: str, gateway: str | None = None) -> Decimal:
    """Convert an integer of minor units to a major-unit Decimal (exact)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidAmount(f"minor-unit value must be an int, got {type(value)!r}")
    if abs(value) > MAX_MINOR_UNITS:
        raise InvalidAmount(f"minor-unit value {value} {currency} is out of range")
    exponent = currency_exponent(currency, gateway)
    # Built from text so the result is exact whatever the decimal context.
    return Decimal(f"{value}e-{exponent}")


# ---------------------------------------------------------------------------
# Metadata conventions
# ---------------------------------------------------------------------------

#: Metadata keys looked up, in order, for the invoice number.
INVOICE_METADATA_KEYS = ("invoice_ref", "invoice_number", "invoice", "odoo_invoice")
#: Metadata keys looked up, in order, for the sales order reference.
ORDER_METADATA_KEYS = ("order_ref", "order_number", "order", "sale_order")


def pick_metadata(metadata: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    """First non-blank string value among ``keys`` (case-insensitive keys)."""
    if not metadata:
        return None
    lowered = {str(k).lower(): v for k, v in metadata.items()}
    for key in keys:
        value = lowered.get(key.lower())
        if isinstance(value, str | int) and not isinstance(value, bool):
            value = str(value).strip()
            if value:
                return value
    return None


# ---------------------------------------------------------------------------
# The neutral event
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class NeutralEvent:
    """One business fact reported by a gateway.

    Field semantics:

    * ``charge_ref``: the payment's reference at the gateway (Stripe ``ch_``,
      Adyen payment ``pspReference``). For refunds and disputes it is the
      ORIGINAL payment's reference, so they can be matched to it.
    * ``object_ref``: the object this event is about: refund id, dispute id,
      payout id, or the charge itself for payments.
    * ``payment_ref``: the gateway's payment-level object (Stripe
      PaymentIntent ``pi_``; Adyen payment ``pspReference``).
    * ``fee``: what the gateway charged for this event, when the payload says
      it (Stripe expanded balance transaction); ``None`` when unknown.
    * ``net``: absolute balance movement when known (payment: amount - fee;
      dispute: amount + fee). For payouts it is the signed payout amount
      (negative when the gateway debits the bank account).
    * ``status``: the provider's own status string (e.g. Stripe dispute
      ``warning_needs_response`` = an inquiry that has not withdrawn funds).
    """

    gateway: str
    kind: Kind
    event_id: str
    occurred_at: datetime
    amount: Decimal
    currency: str
    charge_ref: str | None = None
    object_ref: str | None = None
    invoice_ref: str | None = None
    order_ref: str | None = None
    payment_ref: str | None = None
    customer_ref: str | None = None
    fee: Decimal | None = None
    net: Decimal | None = None
    reason: str | None = None
    due_by: datetime | None = None
    payout_arrival: date | None = None
    livemode: bool = False
    raw_type: str = ""
    metadata: dict[str, Any] = field(default_factory=dict, hash=False)
    status: str | None = None
    account: str | None = None

    def __post_init__(self):
        if not isinstance(self.kind, Kind):
            object.__setattr__(self, "kind", Kind(self.kind))
        if not self.event_id:
            raise MalformedPayload("event_id", "empty event id")
        if not isinstance(self.amount, Decimal) or not self.amount.is_finite():
            raise InvalidAmount(f"amount must be a finite Decimal: {self.amount!r}")
        if self.amount < 0:
            raise InvalidAmount(f"amount must be positive: {self.amount}")
        object.__setattr__(self, "currency", _norm_currency(self.currency))
        object.__setattr__(self, "occurred_at", _as_utc(self.occurred_at))
        if self.due_by is not None:
            object.__setattr__(self, "due_by", _as_utc(self.due_by))

    @property
    def business_key(self) -> tuple[str, str, str]:
        """``(gateway, kind, object_ref or charge_ref or event_id)``.

        Deduplicate *business effects* on this key (see module docstring);
        deduplicate *deliveries* on :attr:`event_id`.
        """
        ref = self.object_ref or self.charge_ref or self.event_id
        return (self.gateway, self.kind.value, ref)

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly dict (Decimal and dates as strings) for logging/storage."""
        out = {}
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            if isinstance(value, Kind):
                value = value.value
            elif isinstance(value, Decimal):
                value = str(value)
            elif isinstance(value, datetime | date):
                value = value.isoformat()
            out[item.name] = value
        return out


def _as_utc(value: datetime) -> datetime:
    """Aware datetimes are converted to UTC; naive ones are taken as UTC."""
    if not isinstance(value, datetime):
        raise MalformedPayload("occurred_at", f"not a datetime: {value!r}")
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parse_decimal(text: str, path: str) -> Decimal:
    """Strict Decimal parsing for report cells (no NaN/Infinity, no floats)."""
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        raise MalformedPayload(path, f"not a decimal number: {text!r}") from None
    if not value.is_finite():
        raise MalformedPayload(path, f"not a finite number: {text!r}")
    return value
