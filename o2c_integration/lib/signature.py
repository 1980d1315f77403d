# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Generic O2C webhook signature scheme (HMAC-SHA256, Stripe-like).

Header ``X-O2C-Signature: t=<unix seconds>,v1=<hex hmac>[,v1=<hex hmac>...]``
where the HMAC is computed over ``b"<t>." + raw_body``.

* The timestamp is signed together with the body so an attacker cannot
  replay an old request with a fresh timestamp; requests outside the
  tolerance window are refused (in both directions: a timestamp far in the
  future would otherwise stay valid for a long time).
* Several ``v1=`` values are allowed so a sender can sign with the old and the
  new secret during a rotation; several secrets are accepted on our side for
  the same reason.
* The HMAC is always computed over the raw bytes as received: re-serialising
  parsed JSON would change them.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Sequence

from .exceptions import BadSignature, MissingSignature, StaleTimestamp

_logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_TOLERANCE",
    "SCHEME",
    "SIGNATURE_HEADER",
    "compute_signature",
    "content_hash",
    "parse_header",
    "sign",
    "verify",
]

SIGNATURE_HEADER = "X-O2C-Signature"
SCHEME = "v1"
DEFAULT_TOLERANCE = 300
#: Refuse absurd headers early (a v1 value is 64 hex chars).
_MAX_HEADER_LENGTH = 4096


def compute_signature(secret: str, body: bytes, timestamp: int) -> str:
    """Hex HMAC-SHA256 of ``b"<timestamp>." + body`` keyed with ``secret``."""
    payload = f"{int(timestamp)}.".encode() + bytes(body)
    return hmac.new(secret.encode("utf-8"), payload, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """Return the ``X-O2C-Signature`` header value for ``body``."""
    return f"t={int(timestamp)},{SCHEME}={compute_signature(secret, body, timestamp)}"


def parse_header(header: str) -> tuple[int, list[str]]:
    """Split a header value into (timestamp, [v1 signatures]).

    Unknown schemes (e.g. a future ``v2=``) are ignored so that senders can
    add them without breaking us; a header without ``t=`` or without any
    ``v1=`` is malformed.
    """
    if len(header) > _MAX_HEADER_LENGTH:
        raise BadSignature("malformed signature header (too long)")
    timestamp = None
    signatures = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            raise BadSignature("malformed signature header")
        key, value = key.strip(), value.strip()
        if key == "t":
            if timestamp is not None or not value.isascii() or not value.isdigit():
                raise BadSignature("malformed signature header (timestamp)")
            timestamp = int(value)
        elif key == SCHEME and value:
            signatures.append(value.lower())
    if timestamp is None:
        raise BadSignature("malformed signature header (no timestamp)")
    if not signatures:
        raise BadSignature(f"malformed signature header (no {SCHEME} signature)")
    return timestamp, signatures


def verify(
    secrets: Sequence[str],
    body: bytes,
    header: str | None,
    tolerance: int = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> None:
    """Check a webhook signature; return None or raise a SignatureError.

    :raises MissingSignature: no/empty header, or no secret configured (we
        refuse rather than accept unsigned calls when misconfigured).
    :raises StaleTimestamp: ``|now - t| > tolerance``.
    :raises BadSignature: malformed header or no secret matches any ``v1``.
    """
    if isinstance(secrets, str):
        # A bare string would otherwise be iterated character by character.
        secrets = [secrets]
    secrets = [secret for secret in (secrets or ()) if secret]
    if not secrets:
        raise MissingSignature("no secret configured")
    if header is None or not header.strip():
        raise MissingSignature(f"missing {SIGNATURE_HEADER} header")
    timestamp, signatures = parse_header(header)
    if now is None:
        now = time.time()
    if abs(now - timestamp) > tolerance:
        raise StaleTimestamp(
            f"timestamp {timestamp} is more than {tolerance}s away from now"
        )
    body = bytes(body or b"")
    matched = False
    # Compare against every candidate without short-circuiting, so timing
    # does not reveal which secret/signature pair was close.
    for secret in secrets:
        expected = compute_signature(secret, body, timestamp)
        for candidate in signatures:
            if hmac.compare_digest(expected.encode(), candidate.encode()):
                matched = True
    if not matched:
        raise BadSignature("signature mismatch")


def content_hash(body: bytes) -> str:
    """SHA-256 hex digest of a raw body: idempotency key of last resort."""
    return hashlib.sha256(bytes(body or b"")).hexdigest()
