# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import pytest

from ..lib.circuit import BreakerState, CircuitBreaker


def test_defaults():
    state = BreakerState()
    assert (state.state, state.failures, state.opened_at) == ("closed", 0, None)
    breaker = CircuitBreaker()
    assert breaker.threshold == 5 and breaker.reset_after == 60.0


def test_opens_after_threshold_consecutive_failures():
    breaker = CircuitBreaker(threshold=3, reset_after=10)
    state = BreakerState()
    for now in (1, 2):
        assert breaker.allow(state, now)
        state = breaker.on_failure(state, now)
        assert state.state == "closed"
    state = breaker.on_failure(state, 3)
    assert state.state == "open"
    assert state.opened_at == 3
    assert state.failures == 3
    assert not breaker.allow(state, 4)
    assert breaker.retry_after(state, 4) == pytest.approx(9)


def test_success_resets_failure_count():
    breaker = CircuitBreaker(threshold=3)
    state = BreakerState()
    breaker.on_failure(state, 1)
    breaker.on_failure(state, 2)
    breaker.on_success(state)
    assert state.failures == 0
    breaker.on_failure(state, 3)
    breaker.on_failure(state, 4)
    assert state.state == "closed"


def test_half_open_single_probe_then_close():
    breaker = CircuitBreaker(threshold=1, reset_after=10)
    state = breaker.on_failure(BreakerState(), 100)
    assert state.state == "open"
    assert not breaker.allow(state, 109.9)
    assert breaker.allow(state, 110)
    assert state.state == "half_open"
    # Only one probe at a time.
    assert not breaker.allow(state, 111)
    state = breaker.on_success(state)
    assert state == BreakerState("closed", 0, None)
    assert breaker.allow(state, 112)


def test_failed_probe_reopens():
    breaker = CircuitBreaker(threshold=2, reset_after=10)
    state = BreakerState()
    breaker.on_failure(state, 0)
    breaker.on_failure(state, 0)
    assert breaker.allow(state, 10)
    breaker.on_failure(state, 11)
    assert state.state == "open"
    assert state.opened_at == 11
    assert not breaker.allow(state, 20)
    assert breaker.allow(state, 21)


def test_lost_probe_allows_another_after_reset_period():
    breaker = CircuitBreaker(threshold=1, reset_after=10)
    state = breaker.on_failure(BreakerState(), 0)
    assert breaker.allow(state, 10)
    assert not breaker.allow(state, 15)
    assert breaker.allow(state, 20)  # the first probe never reported back


def test_failures_while_open_do_not_extend():
    breaker = CircuitBreaker(threshold=1, reset_after=10)
    state = breaker.on_failure(BreakerState(), 0)
    breaker.on_failure(state, 5)
    assert state.opened_at == 0
    assert breaker.allow(state, 10)


def test_clock_going_backwards_does_not_stick_open():
    breaker = CircuitBreaker(threshold=1, reset_after=60)
    state = BreakerState(state="open", failures=3, opened_at=1_000_000)
    assert breaker.retry_after(state, 50) == 0
    assert breaker.allow(state, 50)


def test_unknown_state_resets_to_closed():
    breaker = CircuitBreaker()
    state = BreakerState(state="bogus", failures=9)
    assert breaker.allow(state, 0)
    assert state.state == "closed" and state.failures == 0


@pytest.mark.parametrize("kwargs", [{"threshold": 0}, {"reset_after": -1}])
def test_invalid_policy(kwargs):
    with pytest.raises(ValueError):
        CircuitBreaker(**kwargs)


def test_retry_after_exact_with_float_times():
    breaker = CircuitBreaker(threshold=1, reset_after=60)
    state = breaker.on_failure(BreakerState(), 1000.7)
    assert breaker.retry_after(state, 1000.7) == 60
    assert breaker.retry_after(state, 1030.7) == pytest.approx(30)
    assert breaker.retry_after(state, 2000) == 0
