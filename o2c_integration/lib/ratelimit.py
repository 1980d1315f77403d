# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Client-side rate limiting (token bucket) to stay under provider quotas."""

from __future__ import annotations

import logging
import threading

_logger = logging.getLogger(__name__)

__all__ = ["TokenBucket"]


class TokenBucket:
    """Token bucket refilled at ``rate_per_minute``, holding up to ``burst``.

    :meth:`reserve` always takes a token, possibly one that will only exist
    in the future, and returns how long the caller must wait before using it.
    Reservations are therefore queued fairly: N concurrent callers get waits
    spaced by ``60 / rate_per_minute`` seconds instead of all waking up at
    the same time.

    ``burst`` defaults to 1 (strict spacing): being gentle costs a little
    latency, while bursting into a provider's 429 costs a retry.
    """

    def __init__(self, rate_per_minute: float, burst: int | None = None):
        if not rate_per_minute or rate_per_minute <= 0:
            raise ValueError("rate_per_minute must be > 0")
        if burst is None:
            burst = 1
        if burst < 1:
            raise ValueError("burst must be >= 1")
        self.rate_per_minute = float(rate_per_minute)
        self.burst = int(burst)
        self._per_second = self.rate_per_minute / 60.0
        self._tokens = float(self.burst)
        self._last: float | None = None
        self._lock = threading.Lock()

    def _refill(self, now: float) -> None:
        if self._last is None:
            self._last = now
            return
        elapsed = now - self._last
        if elapsed > 0:
            # A caller passing an older ``now`` (clock read before the lock)
            # must not refill negatively nor move time backwards.
            self._tokens = min(
                float(self.burst), self._tokens + elapsed * self._per_second
            )
            self._last = now

    def reserve(self, now: float, max_wait: float | None = None) -> float:
        """Take a token; return the seconds to wait before the call may go.

        With ``max_wait``, a token that would need a longer wait is NOT
        taken (the returned wait is still the one that would have applied),
        so a caller that gives up does not delay the next ones.
        """
        with self._lock:
            self._refill(now)
            if self._tokens >= 1:
                self._tokens -= 1
                return 0.0
            wait = (1 - self._tokens) / self._per_second
            if max_wait is not None and wait > max_wait:
                return wait
            self._tokens -= 1
            return wait

    def available(self, now: float) -> float:
        """Tokens available at ``now`` (negative when reservations are queued)."""
        with self._lock:
            self._refill(now)
            return self._tokens
