# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Typed exception hierarchy shared by every O2C integration.

The split between :class:`RetryableError` and :class:`PermanentError` is the
contract the job layer relies on: a retryable error means "schedule the same
work again later" (honouring ``retry_after`` when known), a permanent error
means "retrying will not help, put it in the exception queue for a human".
"""

from __future__ import annotations

__all__ = [
    "BadSignature",
    "CircuitOpen",
    "ConnectionFailed",
    "InvalidSecretToken",
    "MissingSignature",
    "NoKeyConfigured",
    "O2CError",
    "PermanentError",
    "PermanentHTTPError",
    "RetryableError",
    "SignatureError",
    "StaleTimestamp",
    "TransientHTTPError",
    "ValidationError",
]

#: Maximum number of characters of a response body kept on HTTP errors, so an
#: exception message never drags a megabyte HTML error page into logs.
BODY_EXCERPT_LENGTH = 500


def _excerpt(body: str | bytes | None, limit: int = BODY_EXCERPT_LENGTH) -> str:
    if body is None:
        return ""
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    if len(body) > limit:
        return body[:limit] + "…"
    return body


class O2CError(Exception):
    """Base class of every error raised by the O2C pure core."""


class RetryableError(O2CError):
    """The operation may succeed later; ``retry_after`` is a hint in seconds."""

    def __init__(self, message: str = "", retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(O2CError):
    """Retrying the same operation will not help (bad data, 4xx, ...)."""


class ValidationError(PermanentError):
    """Payload validation failed; ``violations`` is a list of (path, reason)."""

    def __init__(
        self,
        message: str = "",
        violations: list[tuple[str, str]] | None = None,
    ):
        self.violations: list[tuple[str, str]] = list(violations or [])
        if not message:
            message = "; ".join(f"{path}: {reason}" for path, reason in self.violations)
            message = message or "validation failed"
        super().__init__(message)


class SignatureError(O2CError):
    """A webhook signature could not be accepted; ``reason`` says why."""

    default_reason = "invalid signature"

    def __init__(self, reason: str | None = None):
        self.reason = reason or self.default_reason
        super().__init__(self.reason)


class MissingSignature(SignatureError):
    """No signature header, or no secret configured to check it against."""

    default_reason = "missing signature"


class StaleTimestamp(SignatureError):
    """The signed timestamp is outside the tolerance window (replay guard)."""

    default_reason = "timestamp outside tolerance"


class BadSignature(SignatureError):
    """Malformed header or no configured secret produces a matching HMAC."""

    default_reason = "signature mismatch"


class NoKeyConfigured(O2CError):
    """No (valid) encryption key is available to protect secrets at rest."""


class InvalidSecretToken(O2CError):
    """An encrypted secret cannot be decrypted with any configured key."""


class TransientHTTPError(RetryableError):
    """HTTP failure worth retrying later (5xx, 408, 425, 429, local rate limit)."""

    def __init__(
        self,
        message: str = "",
        status: int | None = None,
        retry_after: float | None = None,
        body: str | bytes | None = None,
        response=None,
    ):
        self.status = status
        self.body_excerpt = _excerpt(body)
        #: The raw ``requests.Response`` when there is one: unmasked, for
        #: programmatic inspection only, never log it.
        self.response = response
        if not message:
            message = f"transient HTTP error (status {status})"
        super().__init__(message, retry_after=retry_after)


class PermanentHTTPError(PermanentError):
    """HTTP failure that retrying will not fix (4xx other than 408/425/429)."""

    def __init__(
        self,
        message: str = "",
        status: int | None = None,
        body: str | bytes | None = None,
        response=None,
    ):
        self.status = status
        self.body_excerpt = _excerpt(body)
        #: The raw ``requests.Response`` (unmasked, never log it).
        self.response = response
        if not message:
            message = f"permanent HTTP error (status {status})"
        super().__init__(message)


class ConnectionFailed(RetryableError):
    """Network-level failure: DNS, refused connection, TLS, timeout."""


class CircuitOpen(RetryableError):
    """The circuit breaker is open; the call was not attempted."""
