# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Stripe webhooks (signature + event mapping), payouts and pagination.

This module is the public entry point; the event mapping lives in
:mod:`.stripe_events` and the payout/pagination helpers in
:mod:`.stripe_payout`, re-exported here.

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
from collections.abc import Sequence

from .events import SignatureError
from .stripe_events import GATEWAY, HANDLED_EVENT_TYPES, parse_event
from .stripe_payout import balance_transactions_to_settlement, paginate

_logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_TOLERANCE",
    "GATEWAY",
    "HANDLED_EVENT_TYPES",
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

SIGNATURE_HEADER = "Stripe-Signature"
DEFAULT_TOLERANCE = 300


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
