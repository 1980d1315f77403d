# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Retry policy helpers: backoff delays, Retry-After parsing, retryable codes."""

from __future__ import annotations

import logging
import math
import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

_logger = logging.getLogger(__name__)

__all__ = [
    "RETRYABLE_STATUSES",
    "backoff_delay",
    "is_retryable_status",
    "parse_retry_after",
]

#: 408 Request Timeout, 425 Too Early, 429 Too Many Requests.
RETRYABLE_STATUSES = frozenset({408, 425, 429})
#: 501 Not Implemented and 505 HTTP Version Not Supported will not change by
#: asking again.
_NON_RETRYABLE_5XX = frozenset({501, 505})


def backoff_delay(
    attempt: int,
    base: float,
    cap: float,
    jitter: bool = True,
    rng: random.Random | None = None,
) -> float:
    """Delay before retry number ``attempt`` (1-based): ``base * 2**(attempt-1)``.

    The exponential value is capped at ``cap``. With ``jitter`` the delay is
    drawn uniformly between 50% and 100% of it ("equal jitter"): it spreads
    clients that failed together so they do not retry in lockstep, while
    never collapsing to 0 (which would hammer a struggling server).
    """
    attempt = max(1, int(attempt))
    base = max(0.0, float(base))
    cap = max(0.0, float(cap))
    # Avoid OverflowError on 2**huge: past ~1000 doublings anything is capped.
    exponent = min(attempt - 1, 1000)
    try:
        delay = base * math.pow(2, exponent)
    except OverflowError:
        delay = math.inf
    delay = min(delay, cap)
    if jitter and delay > 0:
        rng = rng or random
        delay = delay / 2 + rng.uniform(0, delay / 2)
    return delay


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Parse an HTTP ``Retry-After`` header into seconds from ``now``.

    Accepts delta-seconds (``"120"``, also tolerating a decimal ``"1.5"``)
    and HTTP-dates (``"Wed, 21 Oct 2015 07:28:00 GMT"``). Dates in the past
    and negative values clamp to 0. Returns None for missing or unparsable
    values (the caller then falls back to its own backoff).
    """
    if value is None:
        return None
    value = str(value).strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        seconds = None
    if seconds is not None:
        if math.isnan(seconds) or math.isinf(seconds):
            return None
        return max(0.0, seconds)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        # RFC 7231 dates are always GMT.
        when = when.replace(tzinfo=UTC)
    if now is None:
        now = datetime.now(UTC)
    elif now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def is_retryable_status(status: int) -> bool:
    """True for statuses worth retrying: 408, 425, 429 and 5xx but 501/505."""
    if status in RETRYABLE_STATUSES:
        return True
    return 500 <= status <= 599 and status not in _NON_RETRYABLE_5XX
