# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The single outbound HTTP client every O2C integration goes through.

It gives every call the same guarantees:

* explicit (connect, read) timeouts, never an unbounded wait;
* an ``Idempotency-Key`` on unsafe methods, the SAME on every retry, so a
  retried payment/order creation cannot be executed twice by the provider;
* retries with exponential backoff on timeouts, connection errors and
  retryable statuses (see :func:`.retry.is_retryable_status`), honouring
  ``Retry-After``;
* a bounded total inline wait (``max_inline_wait``): rather than blocking a
  worker for minutes, the client raises a :class:`.exceptions.RetryableError`
  with ``retry_after`` so the caller re-schedules the work as a job;
* immediate :class:`.exceptions.PermanentHTTPError` on non-retryable 4xx;
* an optional circuit breaker and client-side rate limiter;
* an ``on_attempt`` hook receiving a masked :class:`AttemptRecord` per
  attempt, for the event log.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import requests
from requests.structures import CaseInsensitiveDict

from .circuit import OPEN, BreakerState, CircuitBreaker
from .exceptions import (
    CircuitOpen,
    ConnectionFailed,
    PermanentHTTPError,
    RetryableError,
    TransientHTTPError,
)
from .masking import mask_headers, mask_json_text, mask_text
from .ratelimit import TokenBucket
from .retry import backoff_delay, is_retryable_status, parse_retry_after

_logger = logging.getLogger(__name__)

__all__ = ["IDEMPOTENCY_HEADER", "AttemptRecord", "OutboundClient"]

IDEMPOTENCY_HEADER = "Idempotency-Key"
#: Methods that change state on the provider and therefore carry a key.
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: Status used on the error raised when the local rate limiter refuses.
LOCAL_RATE_LIMIT_STATUS = 429
#: Bodies larger than this are not parsed as JSON for masking (excerpt only).
_MAX_MASKED_BODY = 65536

# requests errors that a retry cannot fix (bad URL, bad header...).
_PERMANENT_REQUEST_ERRORS = (
    requests.exceptions.InvalidURL,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidSchema,
    requests.exceptions.InvalidHeader,
    requests.exceptions.TooManyRedirects,
    requests.exceptions.URLRequired,
)


@dataclass
class AttemptRecord:
    """One HTTP attempt, masked, as handed to ``on_attempt``."""

    method: str
    url: str
    attempt: int
    status: int | None
    error: str | None
    duration_ms: float
    request_headers: dict = field(default_factory=dict)
    idempotency_key: str | None = None
    #: Excerpt of the (masked) response body for failed attempts.
    response_excerpt: str | None = None
    #: Retry-After announced by the server, in seconds.
    retry_after: float | None = None


def _masked_body_excerpt(response: requests.Response, limit: int = 1000) -> str:
    try:
        content = response.content or b""
    except (requests.RequestException, OSError):
        return ""
    if len(content) <= _MAX_MASKED_BODY:
        text = mask_json_text(content)
    else:
        text = mask_text(content[:limit].decode("utf-8", errors="replace"))
    return text[:limit]


@dataclass
class _Call:
    """Everything that stays identical across the attempts of one call."""

    method: str
    url: str
    masked_url: str
    headers: dict
    masked_headers: dict
    idempotency_key: str | None
    kwargs: dict


class OutboundClient:
    """Timeouts, idempotency keys, retries, breaker and rate limiting.

    ``clock`` (monotonic by default) times attempts and feeds the rate
    limiter; ``wall_clock`` (``time.time``) feeds the circuit breaker,
    because its state is persisted and shared between processes where
    monotonic clocks are meaningless. Request bodies must be re-sendable
    (bytes, str, dict; not a generator or file) since they may be retried.
    A client instance is not meant to be shared between threads (its
    ``breaker_state`` is per call sequence); the rate limiter may be.
    """

    def __init__(
        self,
        session: requests.Session | None = None,
        *,
        connect_timeout: float = 5,
        read_timeout: float = 30,
        max_attempts: int = 3,
        backoff_base: float = 1.0,
        backoff_cap: float = 30.0,
        max_inline_wait: float = 10.0,
        rate_limiter: TokenBucket | None = None,
        breaker: CircuitBreaker | None = None,
        breaker_state: BreakerState | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        on_attempt: Callable[[AttemptRecord], None] | None = None,
        wall_clock: Callable[[], float] = time.time,
    ):
        if max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")
        self._own_session = session is None
        self.session = session or requests.Session()
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_attempts = int(max_attempts)
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.max_inline_wait = max_inline_wait
        self.rate_limiter = rate_limiter
        self.breaker = breaker
        if breaker is not None and breaker_state is None:
            breaker_state = BreakerState()
        self.breaker_state = breaker_state
        self.sleep = sleep
        self.clock = clock
        self.wall_clock = wall_clock
        self.rng = rng
        self.on_attempt = on_attempt

    # -- context manager -------------------------------------------------
    def close(self) -> None:
        """Close the session if this client created it."""
        if self._own_session:
            self.session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    # -- helpers ---------------------------------------------------------
    def _check_breaker(self) -> None:
        if self.breaker is None:
            return
        now = self.wall_clock()
        if not self.breaker.allow(self.breaker_state, now):
            remaining = self.breaker.retry_after(self.breaker_state, now)
            raise CircuitOpen(
                f"circuit open, next probe in {remaining:.1f}s",
                retry_after=remaining,
            )

    def _breaker_wait(self) -> float | None:
        """Seconds the circuit stays open, None when it is not open."""
        if self.breaker is None or self.breaker_state.state != OPEN:
            return None
        return self.breaker.retry_after(self.breaker_state, self.wall_clock())

    def _breaker_failure(self) -> None:
        if self.breaker is not None:
            self.breaker.on_failure(self.breaker_state, self.wall_clock())

    def _breaker_success(self) -> None:
        if self.breaker is not None:
            self.breaker.on_success(self.breaker_state)

    def _rate_limit(self, method: str, url: str) -> None:
        if self.rate_limiter is None:
            return
        wait = self.rate_limiter.reserve(self.clock(), max_wait=self.max_inline_wait)
        if wait > self.max_inline_wait:
            raise TransientHTTPError(
                f"local rate limit: next slot in {wait:.1f}s",
                status=LOCAL_RATE_LIMIT_STATUS,
                retry_after=wait,
            )
        if wait > 0:
            _logger.debug("Rate limit: waiting %.2fs before %s %s", wait, method, url)
            self.sleep(wait)

    def _effective_headers(self, headers: dict) -> dict:
        merged = CaseInsensitiveDict(self.session.headers)
        merged.update(headers)
        return dict(merged.items())

    def _notify(self, record: AttemptRecord) -> None:
        # Errors of the hook propagate on purpose: a failing audit write
        # (e.g. an aborted transaction) must not be silently swallowed.
        if self.on_attempt is not None:
            self.on_attempt(record)

    # -- main entry point ------------------------------------------------
    def request(
        self,
        method: str,
        url: str,
        *,
        headers=None,
        params=None,
        json=None,
        data=None,
        idempotency_key: str | None = None,
        auth=None,
    ) -> requests.Response:
        """Send a request with retries; return the successful response.

        Success is any status below 400 (redirects are followed by
        requests). Raises :class:`PermanentHTTPError` (at once, no retry),
        :class:`TransientHTTPError` / :class:`ConnectionFailed` (attempts
        exhausted or inline wait budget exceeded; ``retry_after`` tells when
        to try again) or :class:`CircuitOpen`.
        """
        method = method.upper()
        headers = dict(headers or {})
        for name in [k for k in headers if k.lower() == IDEMPOTENCY_HEADER.lower()]:
            value = headers.pop(name)
            idempotency_key = idempotency_key or value
        if method in UNSAFE_METHODS and not idempotency_key:
            idempotency_key = str(uuid.uuid4())
        if idempotency_key:
            headers[IDEMPOTENCY_HEADER] = idempotency_key
        call = _Call(
            method=method,
            url=url,
            masked_url=mask_text(url),
            headers=headers,
            # What is actually sent: session defaults merged with ours.
            masked_headers=mask_headers(self._effective_headers(headers)),
            idempotency_key=idempotency_key,
            kwargs={"params": params, "json": json, "data": data, "auth": auth},
        )
        waited = 0.0
        attempt = 0
        while True:
            attempt += 1
            self._check_breaker()
            self._rate_limit(method, call.masked_url)
            outcome = self._attempt(call, attempt)
            if isinstance(outcome, requests.Response):
                return outcome
            error = outcome
            delay = backoff_delay(
                attempt, self.backoff_base, self.backoff_cap, rng=self.rng
            )
            if error.retry_after is not None:
                # Never retry earlier than the server asked for.
                delay = max(delay, error.retry_after)
            breaker_wait = self._breaker_wait()
            if breaker_wait is not None:
                # This failure opened the circuit: sleeping would only end
                # in CircuitOpen. Hand the real error back, due after the
                # open period.
                error.retry_after = max(delay, breaker_wait)
                _logger.warning(
                    "%s %s: circuit opened after attempt %s: %s",
                    method,
                    call.masked_url,
                    attempt,
                    error,
                )
                raise error
            if attempt >= self.max_attempts:
                error.retry_after = delay
                _logger.warning(
                    "%s %s failed after %s attempts: %s",
                    method,
                    call.masked_url,
                    attempt,
                    error,
                )
                raise error
            if waited + delay > self.max_inline_wait:
                error.retry_after = delay
                _logger.info(
                    "%s %s: retry in %.1fs exceeds the inline wait budget, "
                    "deferring: %s",
                    method,
                    call.masked_url,
                    delay,
                    error,
                )
                raise error
            _logger.info(
                "%s %s attempt %s failed (%s), retrying in %.2fs",
                method,
                call.masked_url,
                attempt,
                error,
                delay,
            )
            self.sleep(delay)
            waited += delay

    def _attempt(self, call: _Call, attempt: int) -> requests.Response | RetryableError:
        """One HTTP exchange: the response on success, the retryable error
        otherwise; permanent errors are raised."""
        started = self.clock()

        def notify(status=None, exc=None, excerpt=None, retry_after=None):
            error = None
            if exc is not None:
                error = f"{type(exc).__name__}: {mask_text(str(exc))}"
            self._notify(
                AttemptRecord(
                    method=call.method,
                    url=call.masked_url,
                    attempt=attempt,
                    status=status,
                    error=error,
                    duration_ms=round(max(0.0, self.clock() - started) * 1000, 3),
                    request_headers=dict(call.masked_headers),
                    idempotency_key=call.idempotency_key,
                    response_excerpt=excerpt,
                    retry_after=retry_after,
                )
            )

        label = f"{call.method} {call.masked_url}"
        try:
            response = self.session.request(
                call.method,
                call.url,
                headers=call.headers,
                timeout=(self.connect_timeout, self.read_timeout),
                **call.kwargs,
            )
        except _PERMANENT_REQUEST_ERRORS as exc:
            notify(exc=exc)
            raise PermanentHTTPError(
                f"{label}: {type(exc).__name__}: {mask_text(str(exc))}"
            ) from exc
        except requests.RequestException as exc:
            self._breaker_failure()
            notify(exc=exc)
            kind = "timeout" if isinstance(exc, requests.Timeout) else "error"
            error = ConnectionFailed(
                f"{label}: connection {kind}: {type(exc).__name__}: "
                f"{mask_text(str(exc))}"
            )
            error.__cause__ = exc
            return error
        status = response.status_code
        if status < 400:
            self._breaker_success()
            notify(status=status)
            return response
        excerpt = _masked_body_excerpt(response)
        if not is_retryable_status(status):
            if status < 500:
                # The server answered sanely: it is healthy, the request is
                # wrong. Not a breaker failure.
                self._breaker_success()
            else:
                self._breaker_failure()
            notify(status=status, excerpt=excerpt)
            raise PermanentHTTPError(
                f"{label} returned HTTP {status}",
                status=status,
                body=excerpt,
                response=response,
            )
        self._breaker_failure()
        hint = parse_retry_after(response.headers.get("Retry-After"))
        notify(status=status, excerpt=excerpt, retry_after=hint)
        response.close()
        return TransientHTTPError(
            f"{label} returned HTTP {status}",
            status=status,
            retry_after=hint,
            body=excerpt,
            response=response,
        )

    # -- conveniences ----------------------------------------------------
    def get(self, url: str, **kwargs) -> requests.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs) -> requests.Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs) -> requests.Response:
        return self.request("PUT", url, **kwargs)

    def patch(self, url: str, **kwargs) -> requests.Response:
        return self.request("PATCH", url, **kwargs)

    def delete(self, url: str, **kwargs) -> requests.Response:
        return self.request("DELETE", url, **kwargs)
