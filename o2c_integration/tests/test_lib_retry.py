# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import random
from datetime import UTC, datetime, timedelta

import pytest

from ..lib.retry import backoff_delay, is_retryable_status, parse_retry_after


def test_backoff_exponential_without_jitter():
    delays = [backoff_delay(n, 1.0, 100.0, jitter=False) for n in range(1, 8)]
    assert delays == [1, 2, 4, 8, 16, 32, 64]


def test_backoff_capped():
    assert backoff_delay(10, 1.0, 30.0, jitter=False) == 30.0
    assert backoff_delay(10_000, 1.0, 30.0, jitter=False) == 30.0
    assert backoff_delay(10_000, 1.0, 30.0, rng=random.Random(1)) <= 30.0


def test_backoff_attempt_below_one_treated_as_first():
    assert backoff_delay(0, 2.0, 30.0, jitter=False) == 2.0
    assert backoff_delay(-3, 2.0, 30.0, jitter=False) == 2.0


def test_backoff_jitter_bounds_and_spread():
    rng = random.Random(42)
    samples = [backoff_delay(3, 1.0, 30.0, rng=rng) for _ in range(500)]
    assert all(2.0 <= s <= 4.0 for s in samples)
    # Jitter actually spreads values over the window.
    assert min(samples) < 2.2 and max(samples) > 3.8
    assert len(set(samples)) > 400


def test_backoff_jitter_reproducible_with_seed():
    a = [backoff_delay(n, 1.0, 30.0, rng=random.Random(7)) for n in range(1, 6)]
    b = [backoff_delay(n, 1.0, 30.0, rng=random.Random(7)) for n in range(1, 6)]
    assert a == b


def test_backoff_zero_base():
    assert backoff_delay(5, 0.0, 30.0, rng=random.Random(1)) == 0.0


NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("120", 120.0),
        (" 5 ", 5.0),
        ("0", 0.0),
        ("1.5", 1.5),
        ("-10", 0.0),
        ("Sun, 01 Mar 2026 12:00:30 GMT", 30.0),
        ("Sun, 01 Mar 2026 11:59:00 GMT", 0.0),  # past date clamps to 0
        ("Sunday, 01-Mar-26 12:01:00 GMT", 60.0),  # obsolete RFC 850 form
        ("Sun Mar  1 12:00:10 2026", 10.0),  # asctime form
        (None, None),
        ("", None),
        ("soon", None),
        ("nan", None),
        ("inf", None),
        ("Sun, 99 Foo 2026 12:00:30 GMT", None),
    ],
)
def test_parse_retry_after(value, expected):
    result = parse_retry_after(value, now=NOW)
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected)


def test_parse_retry_after_http_date_default_now():
    future = datetime.now(UTC) + timedelta(seconds=90)
    value = future.strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert 85 <= parse_retry_after(value) <= 91


def test_parse_retry_after_naive_now_is_utc():
    naive = NOW.replace(tzinfo=None)
    assert parse_retry_after("Sun, 01 Mar 2026 12:01:00 GMT", now=naive) == 60.0


@pytest.mark.parametrize("status", [408, 425, 429, 500, 502, 503, 504, 599])
def test_retryable_statuses(status):
    assert is_retryable_status(status)


@pytest.mark.parametrize(
    "status", [200, 201, 301, 400, 401, 403, 404, 409, 422, 501, 505, 600]
)
def test_non_retryable_statuses(status):
    assert not is_retryable_status(status)
