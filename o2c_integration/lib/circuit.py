# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Circuit breaker as pure functions over a small persistable state.

The state lives in :class:`BreakerState` (three plain fields the caller stores
in the database, per connection) and :class:`CircuitBreaker` only holds the
policy, so several workers share one breaker through the database.

States:

* ``closed``: calls go through; consecutive failures are counted and the
  circuit opens when they reach ``threshold``.
* ``open``: calls are refused until ``reset_after`` seconds have elapsed
  since ``opened_at``; then the breaker turns ``half_open``.
* ``half_open``: a single probe call is let through. Its success closes the
  circuit, its failure re-opens it for another ``reset_after``. If the probe
  never reports (worker killed), another probe is allowed ``reset_after``
  seconds later so the breaker cannot stay stuck.

The methods mutate the given state in place (``allow`` must, as it returns a
bool) and ``on_success``/``on_failure`` also return it for convenience.
Timestamps are whatever clock the caller uses consistently; use wall-clock
time (``time.time``) when the state is persisted across processes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

_logger = logging.getLogger(__name__)

__all__ = ["CLOSED", "HALF_OPEN", "OPEN", "BreakerState", "CircuitBreaker"]

CLOSED = "closed"
OPEN = "open"
HALF_OPEN = "half_open"
STATES = (CLOSED, OPEN, HALF_OPEN)


@dataclass
class BreakerState:
    """Persistable breaker state.

    In ``half_open``, ``opened_at`` holds the time the current probe was
    granted.
    """

    state: str = CLOSED
    failures: int = 0
    opened_at: float | None = None


class CircuitBreaker:
    """Breaker policy: open after ``threshold`` consecutive failures."""

    def __init__(self, threshold: int = 5, reset_after: float = 60.0):
        if threshold < 1:
            raise ValueError("threshold must be >= 1")
        if reset_after < 0:
            raise ValueError("reset_after must be >= 0")
        self.threshold = int(threshold)
        self.reset_after = float(reset_after)

    def _elapsed(self, state: BreakerState, now: float) -> bool:
        if state.opened_at is None:
            return True
        elapsed = now - state.opened_at
        # A negative elapsed time means the clock went backwards (reboot with
        # a monotonic clock, NTP step): do not stay open "forever".
        return elapsed < 0 or elapsed >= self.reset_after

    def allow(self, state: BreakerState, now: float) -> bool:
        """May a call go now? May move ``open`` -> ``half_open`` (one probe)."""
        if state.state not in STATES:
            _logger.warning(
                "Unknown circuit state %r, resetting to closed", state.state
            )
            state.state, state.failures, state.opened_at = CLOSED, 0, None
        if state.state == CLOSED:
            return True
        if not self._elapsed(state, now):
            return False
        if state.state == OPEN:
            _logger.info(
                "Circuit half-open after %.1fs, allowing one probe", self.reset_after
            )
        state.state = HALF_OPEN
        state.opened_at = now
        return True

    def retry_after(self, state: BreakerState, now: float) -> float:
        """Seconds until a call (or probe) would be allowed; 0 if now."""
        if state.state == CLOSED or state.opened_at is None:
            return 0.0
        elapsed = now - state.opened_at
        if elapsed < 0:  # clock went backwards: see allow()
            return 0.0
        return max(0.0, self.reset_after - elapsed)

    def on_success(self, state: BreakerState) -> BreakerState:
        """A call succeeded: close the circuit and forget failures."""
        if state.state != CLOSED:
            _logger.info("Circuit closed after a successful call")
        state.state = CLOSED
        state.failures = 0
        state.opened_at = None
        return state

    def on_failure(self, state: BreakerState, now: float) -> BreakerState:
        """A call failed: count it; open at threshold or on a failed probe."""
        state.failures += 1
        if state.state == HALF_OPEN:
            _logger.warning(
                "Circuit probe failed, re-opening for %.1fs", self.reset_after
            )
            state.state = OPEN
            state.opened_at = now
        elif state.state == CLOSED and state.failures >= self.threshold:
            _logger.warning(
                "Circuit opened after %s consecutive failures", state.failures
            )
            state.state = OPEN
            state.opened_at = now
        # Failures reported while already open (calls started before it
        # opened) do not extend the open period.
        return state
