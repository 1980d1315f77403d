# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import threading

import pytest

from ..lib.ratelimit import TokenBucket


def test_first_call_free_then_spaced():
    bucket = TokenBucket(60)  # 1 per second, burst 1
    assert bucket.reserve(100.0) == 0
    assert bucket.reserve(100.0) == pytest.approx(1.0)
    assert bucket.reserve(100.0) == pytest.approx(2.0)  # queued fairly


def test_refill_over_time():
    bucket = TokenBucket(120)  # 2 per second
    assert bucket.reserve(0.0) == 0
    assert bucket.reserve(0.5) == 0
    assert bucket.reserve(0.6) == pytest.approx(0.4)


def test_burst_allows_n_immediate_calls_and_caps_refill():
    bucket = TokenBucket(60, burst=3)
    assert [bucket.reserve(0.0) for _ in range(3)] == [0, 0, 0]
    assert bucket.reserve(0.0) == pytest.approx(1.0)
    # A long idle period refills only up to the burst.
    waits = [bucket.reserve(1000.0) for _ in range(4)]
    assert waits[:3] == [0, 0, 0]
    assert waits[3] == pytest.approx(1.0)


def test_max_wait_does_not_take_the_token():
    bucket = TokenBucket(60)
    bucket.reserve(0.0)
    assert bucket.reserve(0.0, max_wait=0.5) == pytest.approx(1.0)
    # The refused reservation did not push later callers back.
    assert bucket.reserve(0.0) == pytest.approx(1.0)


def test_older_now_does_not_refill():
    bucket = TokenBucket(60)
    bucket.reserve(10.0)
    assert bucket.reserve(5.0) == pytest.approx(1.0)


def test_thread_safe_reservations_are_distinct():
    bucket = TokenBucket(600, burst=5)  # 10/s
    waits = []
    lock = threading.Lock()

    def worker():
        for _ in range(50):
            wait = bucket.reserve(0.0)
            with lock:
                waits.append(wait)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(waits) == 400
    # Every reservation got its own slot: 5 free, then one per 0.1 s.
    expected = [0.0] * 5 + [round(0.1 * n, 6) for n in range(1, 396)]
    assert sorted(round(w, 6) for w in waits) == expected


@pytest.mark.parametrize("kwargs", [{"rate_per_minute": 0}, {"rate_per_minute": -1}])
def test_invalid_rate(kwargs):
    with pytest.raises(ValueError):
        TokenBucket(**kwargs)


def test_invalid_burst():
    with pytest.raises(ValueError):
        TokenBucket(60, burst=0)
