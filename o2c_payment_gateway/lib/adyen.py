# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Adyen standard notifications (HMAC, basic auth, event mapping).

A notification is a *batch*: ``{"live": "false", "notificationItems":
[{"NotificationRequestItem": {...}}, ...]}``. Each item carries its own
``additionalData.hmacSignature``: base64 of HMAC-SHA256, keyed with the
HEX-DECODED HMAC key, over the colon-joined values of ``pspReference,
originalReference, merchantAccountCode, merchantReference, amount.value,
amount.currency, eventCode, success`` (missing values as empty strings,
nothing escaped: a ``:`` inside a reference is signed as is).

Why a single bad item refuses the whole batch: Adyen acknowledges per HTTP
request, not per item. If we answered ``[accepted]`` after dropping the bad
item, Adyen would consider it delivered and never send it again; answering
an error makes Adyen retry the *whole* batch later (e.g. after an HMAC key
rotation is completed), and the good items already processed are then
deduplicated on :attr:`NeutralEvent.event_id`. So the caller must refuse the
request (non-2xx) when :func:`verify_notification` raises.

Event mapping (kept simple and explicit):

=========================== ==========================================
AUTHORISATION               success: PAYMENT_SUCCEEDED (IGNORED when
                            ``capture_is_payment``); failure: PAYMENT_FAILED
CAPTURE                     PAYMENT_SUCCEEDED only when
                            ``capture_is_payment`` (manual capture), else
                            IGNORED (auto-capture: the AUTHORISATION was it)
CAPTURE_FAILED              PAYMENT_FAILED (the money will not arrive)
REFUND                      REFUND_SUCCEEDED / REFUND_FAILED (success flag)
REFUND_FAILED,              REFUND_FAILED
REFUNDED_REVERSED
CANCEL_OR_REFUND            REFUND_SUCCEEDED (IGNORED when Adyen says
                            ``modification.action == "cancel"`` and
                            ``capture_is_payment``: nothing was booked)
NOTIFICATION_OF_CHARGEBACK, DISPUTE_OPENED (same ``object_ref`` = dispute
CHARGEBACK                  pspReference, so booked once; funds are
                            debited at CHARGEBACK)
CHARGEBACK_REVERSED,        DISPUTE_WON
PREARBITRATION_WON
SECOND_CHARGEBACK,          DISPUTE_LOST
PREARBITRATION_LOST
PAYOUT_THIRDPARTY           PAYOUT_PAID / PAYOUT_FAILED (success flag)
PAIDOUT_REVERSED,           PAYOUT_FAILED
PAYOUT_DECLINE,
PAYOUT_EXPIRE
anything else               IGNORED
=========================== ==========================================

For modifications and disputes ``charge_ref`` is ``originalReference`` (the
payment) and ``object_ref`` the modification/dispute ``pspReference``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from ._payload import (
    get_dict,
    get_int,
    get_list,
    get_str,
    join,
    load_json,
    parse_iso_datetime,
)
from .adyen_report import parse_settlement_report
from .events import (
    ORDER_METADATA_KEYS,
    GatewayError,
    Kind,
    MalformedPayload,
    NeutralEvent,
    SignatureError,
    from_minor,
    pick_metadata,
)

_logger = logging.getLogger(__name__)

__all__ = [
    "ACK_BODY",
    "GATEWAY",
    "HMAC_FIELDS",
    "AdyenBasicAuthError",
    "AdyenSignatureError",
    "compute_hmac",
    "notification_items",
    "parse_items",
    "parse_settlement_report",
    "signing_string",
    "verify_basic_auth",
    "verify_notification",
]

GATEWAY = "adyen"
#: Body Adyen expects in the (2xx) acknowledgement of a notification batch.
ACK_BODY = "[accepted]"
HMAC_FIELDS = (
    "pspReference",
    "originalReference",
    "merchantAccountCode",
    "merchantReference",
    "value",
    "currency",
    "eventCode",
    "success",
)
NO_CURRENCY = "XXX"


class AdyenSignatureError(SignatureError):
    """An item of a notification batch failed HMAC verification.

    ``item_index`` (0-based) and ``psp_reference`` identify the item; both are
    None for batch-level problems (no key configured, invalid key).
    """

    def __init__(self, item_index: int | None, psp_reference: str | None, reason: str):
        self.item_index = item_index
        self.psp_reference = psp_reference
        super().__init__(reason)
        if item_index is not None:
            self.args = (f"item {item_index} ({psp_reference}): {reason}",)


class AdyenBasicAuthError(SignatureError):
    """The ``Authorization: Basic`` credentials do not match the configuration."""


# ---------------------------------------------------------------------------
# HMAC
# ---------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def signing_string(item: dict) -> str:
    """The string Adyen signs for one NotificationRequestItem (no escaping)."""
    amount = item.get("amount") if isinstance(item.get("amount"), dict) else {}
    values = {key: item.get(key) for key in HMAC_FIELDS}
    values["value"] = amount.get("value")
    values["currency"] = amount.get("currency")
    return ":".join(_text(values[key]) for key in HMAC_FIELDS)


def _decode_key(hex_key: str) -> bytes:
    try:
        key = bytes.fromhex("".join(str(hex_key).split()))
    except ValueError:
        raise AdyenSignatureError(None, None, "invalid hmac key (not hex)") from None
    if not key:
        raise AdyenSignatureError(None, None, "invalid hmac key (empty)")
    return key


def _hmac_b64(key: bytes, item: dict) -> str:
    digest = hmac.new(key, signing_string(item).encode("utf-8"), hashlib.sha256)
    return base64.b64encode(digest.digest()).decode("ascii")


def compute_hmac(hex_key: str, item: dict) -> str:
    """Base64 HMAC-SHA256 of :func:`signing_string` with the hex-decoded key."""
    return _hmac_b64(_decode_key(hex_key), item)


def notification_items(document: Any) -> list[tuple[str, dict]]:
    """``[(path, NotificationRequestItem)]`` of a parsed notification batch."""
    if not isinstance(document, dict):
        raise MalformedPayload("$", "expected a JSON object")
    wrappers = get_list(document, "notificationItems", "")
    if not wrappers:
        raise MalformedPayload("notificationItems", "empty batch")
    items = []
    for index, wrapper in enumerate(wrappers):
        path = f"notificationItems[{index}]"
        item = get_dict(wrapper, "NotificationRequestItem", path)
        items.append((join(path, "NotificationRequestItem"), item))
    return items


def verify_notification(payload: bytes, hex_keys: Sequence[str]) -> list[dict]:
    """Check every item's ``hmacSignature``; return the items when all match.

    Each item may match any configured key (rotation: configure the new key
    next to the old one in Adyen and here, then remove the old one).
    :raises AdyenSignatureError: on the first item that does not verify
        (the caller refuses the whole batch, see module docstring).
    :raises MalformedPayload: the body is not a notification batch.
    """
    if isinstance(hex_keys, str):
        hex_keys = [hex_keys]
    keys = [_decode_key(key) for key in (hex_keys or ()) if key and str(key).strip()]
    if not keys:
        raise AdyenSignatureError(None, None, "no hmac key configured")
    items = notification_items(load_json(payload))
    for index, (_path, item) in enumerate(items):
        psp = item.get("pspReference")
        psp = psp if isinstance(psp, str) else None
        additional = item.get("additionalData")
        signature = (
            additional.get("hmacSignature") if isinstance(additional, dict) else None
        )
        if not isinstance(signature, str) or not signature:
            raise AdyenSignatureError(index, psp, "missing hmacSignature")
        candidate = signature.encode("utf-8", "replace")
        matched = False
        for key in keys:
            if hmac.compare_digest(_hmac_b64(key, item).encode("ascii"), candidate):
                matched = True
        if not matched:
            _logger.info("Adyen notification item %s (%s) refused", index, psp)
            raise AdyenSignatureError(index, psp, "signature mismatch")
    return [item for _path, item in items]


def verify_basic_auth(header: str | None, username: str, password: str) -> bool:
    """Constant-time check of an ``Authorization: Basic ...`` header.

    Returns False (never raises) for a missing/garbled header, and when no
    credentials are configured: an unconfigured endpoint must not be open.
    """
    if not username or password is None or not isinstance(header, str):
        return False
    scheme, _sep, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        return False
    try:
        received = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    expected = f"{username}:{password}".encode()
    return hmac.compare_digest(received, expected)


# ---------------------------------------------------------------------------
# Event mapping
# ---------------------------------------------------------------------------

_DISPUTE_KINDS = {
    "NOTIFICATION_OF_CHARGEBACK": Kind.DISPUTE_OPENED,
    "CHARGEBACK": Kind.DISPUTE_OPENED,
    "CHARGEBACK_REVERSED": Kind.DISPUTE_WON,
    "PREARBITRATION_WON": Kind.DISPUTE_WON,
    "SECOND_CHARGEBACK": Kind.DISPUTE_LOST,
    "PREARBITRATION_LOST": Kind.DISPUTE_LOST,
}
_PAYOUT_FAILED_CODES = {"PAIDOUT_REVERSED", "PAYOUT_DECLINE", "PAYOUT_EXPIRE"}
_REFUND_FAILED_CODES = {"REFUND_FAILED", "REFUNDED_REVERSED"}


def _kind(code: str, success: bool, item: dict, capture_is_payment: bool) -> Kind:
    if code == "AUTHORISATION":
        if not success:
            return Kind.PAYMENT_FAILED
        return Kind.IGNORED if capture_is_payment else Kind.PAYMENT_SUCCEEDED
    if code == "CAPTURE":
        if not capture_is_payment:
            return Kind.IGNORED
        return Kind.PAYMENT_SUCCEEDED if success else Kind.PAYMENT_FAILED
    if code == "CAPTURE_FAILED":
        return Kind.PAYMENT_FAILED
    if code == "REFUND":
        return Kind.REFUND_SUCCEEDED if success else Kind.REFUND_FAILED
    if code in _REFUND_FAILED_CODES:
        return Kind.REFUND_FAILED
    if code == "CANCEL_OR_REFUND":
        if not success:
            return Kind.REFUND_FAILED
        additional = item.get("additionalData")
        action = (
            additional.get("modification.action")
            if isinstance(additional, dict)
            else None
        )
        if action == "cancel" and capture_is_payment:
            return Kind.IGNORED
        return Kind.REFUND_SUCCEEDED
    if code in _DISPUTE_KINDS:
        return _DISPUTE_KINDS[code] if success else Kind.IGNORED
    if code == "PAYOUT_THIRDPARTY":
        return Kind.PAYOUT_PAID if success else Kind.PAYOUT_FAILED
    if code in _PAYOUT_FAILED_CODES:
        return Kind.PAYOUT_FAILED
    return Kind.IGNORED


def _success(item: dict, path: str) -> tuple[bool, str]:
    value = item.get("success")
    if isinstance(value, bool):
        return value, "true" if value else "false"
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true", value
    raise MalformedPayload(join(path, "success"), "expected 'true' or 'false'")


def _amount(item: dict, path: str, lenient: bool) -> tuple[Decimal, str]:
    amount = item.get("amount")
    if lenient:
        currency = amount.get("currency") if isinstance(amount, dict) else None
        value = amount.get("value") if isinstance(amount, dict) else None
        if not (
            isinstance(currency, str) and len(currency) == 3 and currency.isalpha()
        ):
            return Decimal(0), NO_CURRENCY
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            return Decimal(0), currency.upper()
        try:
            return from_minor(value, currency, GATEWAY), currency.upper()
        except GatewayError:  # lenient path, for IGNORED items only
            return Decimal(0), currency.upper()
    amount = get_dict(item, "amount", path)
    currency = get_str(amount, "currency", join(path, "amount")).upper()
    value = get_int(amount, "value", join(path, "amount"))
    if value < 0:
        raise MalformedPayload(join(path, "amount.value"), "negative amount")
    return from_minor(value, currency, GATEWAY), currency


def _item_event(
    item: dict, path: str, livemode: bool, capture_is_payment: bool
) -> NeutralEvent:
    code = get_str(item, "eventCode", path)
    psp = get_str(item, "pspReference", path)
    success, success_text = _success(item, path)
    kind = _kind(code, success, item, capture_is_payment)
    amount, currency = _amount(item, path, lenient=kind is Kind.IGNORED)
    occurred_at = parse_iso_datetime(
        get_str(item, "eventDate", path), join(path, "eventDate")
    )
    additional = get_dict(item, "additionalData", path, required=False) or {}
    apath = join(path, "additionalData")
    metadata = {
        key[len("metadata.") :]: value
        for key, value in additional.items()
        if isinstance(key, str) and key.startswith("metadata.")
    }
    original = get_str(item, "originalReference", path, required=False)
    merchant_ref = get_str(item, "merchantReference", path, required=False)
    reason = get_str(item, "reason", path, required=False)
    fields: dict[str, Any] = {
        "charge_ref": psp,
        "object_ref": psp,
        "payment_ref": psp,
        "reason": None,
        "due_by": None,
        "status": None,
    }
    if kind is Kind.PAYMENT_FAILED or kind is Kind.REFUND_FAILED:
        fields["reason"] = reason
    if kind in (Kind.PAYOUT_PAID, Kind.PAYOUT_FAILED):
        # Third-party payouts are not about one of our payments.
        fields["charge_ref"] = fields["payment_ref"] = original
    elif code != "AUTHORISATION":
        # Modifications and disputes: the payment is the original reference.
        if original is None and kind is not Kind.IGNORED:
            raise MalformedPayload(join(path, "originalReference"), "missing field")
        if original is not None:
            fields["charge_ref"] = fields["payment_ref"] = original
    if code in _DISPUTE_KINDS:
        reason_code = get_str(additional, "chargebackReasonCode", apath, required=False)
        fields["reason"] = ": ".join(v for v in (reason_code, reason) if v) or None
        fields["status"] = get_str(additional, "disputeStatus", apath, required=False)
        due = get_str(additional, "defensePeriodEndsAt", apath, required=False)
        if due:
            fields["due_by"] = parse_iso_datetime(
                due, join(apath, "defensePeriodEndsAt")
            )
    return NeutralEvent(
        gateway=GATEWAY,
        kind=kind,
        event_id=f"{psp}:{code}:{success_text}",
        occurred_at=occurred_at,
        amount=amount,
        currency=currency,
        invoice_ref=merchant_ref,
        order_ref=pick_metadata(metadata, ORDER_METADATA_KEYS),
        customer_ref=get_str(additional, "shopperReference", apath, required=False),
        livemode=livemode,
        raw_type=code,
        metadata=metadata,
        account=get_str(item, "merchantAccountCode", path, required=False),
        **fields,
    )


def parse_items(payload: bytes, capture_is_payment: bool = False) -> list[NeutralEvent]:
    """Map every item of a notification batch to a :class:`NeutralEvent`.

    ``capture_is_payment``: set it when the merchant account uses manual (or
    delayed, separately notified) capture, so the money is only certain at
    CAPTURE; with the default automatic capture, AUTHORISATION is the
    payment and CAPTURE notifications are ignored.
    Items are independent: each one parses on its own, whatever the order
    (Adyen does not guarantee ordering across batches).
    """
    document = load_json(payload)
    items = notification_items(document)
    live = document.get("live")
    livemode = live is True or (isinstance(live, str) and live.lower() == "true")
    return [
        _item_event(item, path, livemode, capture_is_payment) for path, item in items
    ]
