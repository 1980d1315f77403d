# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""What happens to an event after a processing attempt failed (pure decision).

The event model records the outcome; this module decides it::

    decision = decide_failure(
        kind="transient", attempts=2, max_attempts=5,
        backoff_base=30, backoff_cap=3600,
        circuit_open=False, retry_after=None)
    decision.action   # "retry": due in decision.delay seconds

An open circuit breaker is not an attempt: the gateway was never called, so the
event waits for the breaker (``action == "wait"``, ``count_attempt`` False) and
keeps its attempts for real calls. The wait is bounded: once the event has waited
``max_breaker_wait`` seconds in total it is dead-lettered with a reason that says
so, instead of waiting forever behind a provider that never comes back.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .exceptions import CircuitOpen
from .retry import backoff_delay

__all__ = [
    "DEAD",
    "DEFAULT_MAX_BREAKER_WAIT",
    "FAIL",
    "RETRY",
    "WAIT",
    "FailureDecision",
    "decide_failure",
    "format_duration",
    "is_circuit_open",
]

FAIL = "fail"  # permanent: a person must fix the data
RETRY = "retry"  # transient: try again after a backoff, the attempt counts
WAIT = "wait"  # circuit open: try again after the open period, no attempt spent
DEAD = "dead"  # no more tries: dead letter

#: Default upper bound (seconds) on the total time an event waits for an open
#: circuit: a provider down for a whole day needs a person.
DEFAULT_MAX_BREAKER_WAIT = 24 * 3600.0
#: Never reschedule a breaker wait sooner than this (the probe is not due yet).
MIN_BREAKER_DELAY = 5.0


@dataclass(frozen=True)
class FailureDecision:
    action: str
    delay: float = 0.0
    count_attempt: bool = True
    reason: str = ""


def is_circuit_open(exc: BaseException | None) -> bool:
    """True if ``exc`` (or what caused it) is a refused call of an open breaker.

    Handlers may wrap the outbound error in their own; the cause chain still
    tells whether the gateway was called at all.
    """
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, CircuitOpen):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def format_duration(seconds: float) -> str:
    """``90000`` -> ``"25 h"``, ``5400`` -> ``"90 min"``, ``45`` -> ``"45 s"``."""
    seconds = max(0.0, float(seconds))
    if seconds >= 7200 and seconds % 3600 == 0:
        return f"{int(seconds // 3600)} h"
    if seconds >= 120:
        return f"{int(round(seconds / 60))} min"
    return f"{int(round(seconds))} s"


def decide_failure(
    *,
    kind: str,
    attempts: int,
    max_attempts: int,
    backoff_base: float,
    backoff_cap: float,
    retry_after: float | None = None,
    circuit_open: bool = False,
    breaker_waited: float = 0.0,
    max_breaker_wait: float = DEFAULT_MAX_BREAKER_WAIT,
    rng: random.Random | None = None,
) -> FailureDecision:
    """Decide the next step after a failed attempt.

    :param kind: ``"permanent"`` or ``"transient"``
    :param attempts: real attempts made so far, the failed one included
    :param retry_after: the error's hint in seconds (Retry-After, breaker probe)
    :param circuit_open: the call was refused by an open breaker (not attempted)
    :param breaker_waited: seconds this event has already waited for the breaker
    :param max_breaker_wait: bound on that wait; ``<= 0`` means the default
    """
    if kind == "permanent":
        return FailureDecision(FAIL)
    if circuit_open:
        bound = max_breaker_wait if max_breaker_wait > 0 else DEFAULT_MAX_BREAKER_WAIT
        if breaker_waited >= bound:
            return FailureDecision(
                DEAD,
                count_attempt=False,
                reason=f"circuit open for more than {format_duration(bound)}",
            )
        delay = max(float(retry_after or 0.0), MIN_BREAKER_DELAY)
        # spread the events waiting on one breaker over a few seconds past the
        # probe, so they do not all hit the half-open breaker at once
        delay += (rng or random).uniform(0, min(delay * 0.2, 30.0))
        # and come back in time to dead-letter at the bound, not one period later
        delay = min(delay, max(bound - breaker_waited, MIN_BREAKER_DELAY))
        return FailureDecision(WAIT, delay=delay, count_attempt=False)
    if attempts >= max_attempts:
        return FailureDecision(DEAD)
    delay = backoff_delay(attempts, backoff_base, backoff_cap, rng=rng)
    if retry_after:
        delay = max(delay, float(retry_after))
    return FailureDecision(RETRY, delay=delay)
