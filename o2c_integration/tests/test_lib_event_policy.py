# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import random

from ..lib.event_policy import (
    DEAD,
    DEFAULT_MAX_BREAKER_WAIT,
    FAIL,
    RETRY,
    WAIT,
    decide_failure,
    format_duration,
    is_circuit_open,
)
from ..lib.exceptions import CircuitOpen, TransientHTTPError

POLICY = {"backoff_base": 10.0, "backoff_cap": 100.0}


def test_permanent_fails_at_once():
    decision = decide_failure(kind="permanent", attempts=1, max_attempts=5, **POLICY)
    assert decision.action == FAIL


def test_transient_retries_then_dead():
    rng = random.Random(3)
    first = decide_failure(
        kind="transient", attempts=1, max_attempts=3, rng=rng, **POLICY
    )
    assert first.action == RETRY and first.count_attempt
    assert 5 <= first.delay <= 10
    last = decide_failure(kind="transient", attempts=3, max_attempts=3, **POLICY)
    assert last.action == DEAD and not last.reason


def test_retry_after_is_a_floor():
    decision = decide_failure(
        kind="transient", attempts=1, max_attempts=3, retry_after=900, **POLICY
    )
    assert decision.delay == 900


def test_open_circuit_never_spends_attempts():
    """Past max_attempts, an open breaker still means wait, not dead letter."""
    for attempts in (0, 3, 10):
        decision = decide_failure(
            kind="transient",
            attempts=attempts,
            max_attempts=3,
            circuit_open=True,
            retry_after=60,
            breaker_waited=3600,
            **POLICY,
        )
        assert decision.action == WAIT
        assert not decision.count_attempt
        assert 60 <= decision.delay <= 72  # after the probe, spread by 20 %


def test_open_circuit_dead_letters_after_the_bound():
    decision = decide_failure(
        kind="transient",
        attempts=0,
        max_attempts=3,
        circuit_open=True,
        retry_after=60,
        breaker_waited=7200,
        max_breaker_wait=7200,
        **POLICY,
    )
    assert decision.action == DEAD
    assert decision.reason == "circuit open for more than 2 h"
    assert not decision.count_attempt


def test_breaker_wait_comes_back_at_the_bound():
    decision = decide_failure(
        kind="transient",
        attempts=0,
        max_attempts=3,
        circuit_open=True,
        retry_after=600,
        breaker_waited=7100,
        max_breaker_wait=7200,
        **POLICY,
    )
    assert decision.action == WAIT and decision.delay == 100
    # never a busy loop, even when the probe is due now
    soon = decide_failure(
        kind="transient", attempts=0, max_attempts=3, circuit_open=True, **POLICY
    )
    assert soon.delay >= 5


def test_non_positive_bound_means_default():
    decision = decide_failure(
        kind="transient",
        attempts=0,
        max_attempts=3,
        circuit_open=True,
        breaker_waited=DEFAULT_MAX_BREAKER_WAIT - 1,
        max_breaker_wait=0,
        **POLICY,
    )
    assert decision.action == WAIT


def test_is_circuit_open_follows_the_cause_chain():
    assert is_circuit_open(CircuitOpen("open", retry_after=3))
    assert not is_circuit_open(TransientHTTPError(status=503))
    assert not is_circuit_open(None)
    try:
        try:
            raise CircuitOpen("open")
        except CircuitOpen as exc:
            raise RuntimeError("handler wrapped it") from exc
    except RuntimeError as wrapped:
        assert is_circuit_open(wrapped)


def test_format_duration():
    assert format_duration(86400) == "24 h"
    assert format_duration(5400) == "90 min"
    assert format_duration(45) == "45 s"
