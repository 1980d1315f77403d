# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""OutboundClient against a real local HTTP server (FakeHTTPServer)."""

import random
import socket

import pytest
import requests

from ..lib.circuit import BreakerState, CircuitBreaker
from ..lib.exceptions import (
    CircuitOpen,
    ConnectionFailed,
    PermanentHTTPError,
    RetryableError,
    TransientHTTPError,
)
from ..lib.http_client import AttemptRecord, OutboundClient
from ..lib.ratelimit import TokenBucket
from .fake_http import FakeHTTPServer, FakeResponse


@pytest.fixture
def srv():
    with FakeHTTPServer() as server:
        yield server


class Recorder:
    """Fake sleep / clocks / on_attempt sink."""

    def __init__(self):
        self.sleeps = []
        self.records = []
        self.now = 1000.0

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self):
        return self.now

    def attempt(self, record):
        self.records.append(record)


@pytest.fixture
def rec():
    return Recorder()


def make_client(rec, **kwargs):
    options = {
        "connect_timeout": 1,
        "read_timeout": 2,
        "sleep": rec.sleep,
        "clock": rec.clock,
        "wall_clock": rec.clock,
        "rng": random.Random(1234),
        "on_attempt": rec.attempt,
    }
    options.update(kwargs)
    return OutboundClient(**options)


class SpySession(requests.Session):
    def __init__(self):
        super().__init__()
        self.calls = []

    def request(self, method, url, **kwargs):
        self.calls.append(kwargs)
        return super().request(method, url, **kwargs)


def test_get_200_passes_timeouts_and_no_idempotency_key(srv, rec):
    srv.add("GET", "/v1/ping", FakeResponse(200, json={"ok": True}))
    session = SpySession()
    client = make_client(rec, session=session, connect_timeout=3, read_timeout=7)
    response = client.request("get", srv.url + "/v1/ping", params={"a": "1"})
    assert response.status_code == 200
    assert response.json() == {"ok": True}
    assert session.calls[0]["timeout"] == (3, 7)
    (req,) = srv.requests
    assert req.query == {"a": "1"}
    assert "Idempotency-Key" not in req.headers
    assert rec.sleeps == []
    (record,) = rec.records
    assert isinstance(record, AttemptRecord)
    assert (record.method, record.attempt, record.status, record.error) == (
        "GET",
        1,
        200,
        None,
    )
    assert record.idempotency_key is None


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_unsafe_methods_get_an_idempotency_key(srv, rec, method):
    srv.add(method, "/r", FakeResponse(200))
    make_client(rec).request(method, srv.url + "/r")
    key = srv.requests[0].headers["Idempotency-Key"]
    assert len(key) == 36  # uuid4
    assert rec.records[0].idempotency_key == key


def test_500_then_200_reuses_the_same_idempotency_key(srv, rec):
    srv.add(
        "POST",
        "/v1/orders",
        [FakeResponse(500, body=b"oops"), FakeResponse(201, json={"id": 1})],
    )
    client = make_client(rec)
    response = client.request("POST", srv.url + "/v1/orders", json={"ref": "SO001"})
    assert response.status_code == 201
    first, second = srv.requests
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]
    assert first.json() == second.json() == {"ref": "SO001"}
    assert len(rec.sleeps) == 1
    assert 0.5 <= rec.sleeps[0] <= 1.0  # backoff_base 1.0, jittered 50-100%
    assert [(r.attempt, r.status) for r in rec.records] == [(1, 500), (2, 201)]
    assert rec.records[0].response_excerpt == "oops"


def test_explicit_idempotency_key_used_and_header_not_duplicated(srv, rec):
    srv.add("POST", "/p", [FakeResponse(503), FakeResponse(200)])
    client = make_client(rec)
    client.request("POST", srv.url + "/p", headers={"idempotency-key": "from-header"})
    client.request("POST", srv.url + "/p", idempotency_key="explicit-1")
    keys = [r.headers["Idempotency-Key"] for r in srv.requests]
    assert keys == ["from-header", "from-header", "explicit-1"]
    assert all(
        sum(1 for h in r.headers if h.lower() == "idempotency-key") == 1
        for r in srv.requests
    )


def test_429_retry_after_honoured(srv, rec):
    srv.add(
        "GET",
        "/limited",
        [FakeResponse(429, headers={"Retry-After": "3"}), FakeResponse(200)],
    )
    response = make_client(rec).request("GET", srv.url + "/limited")
    assert response.status_code == 200
    assert rec.sleeps == [3.0]  # larger than the ~1 s backoff
    assert rec.records[0].retry_after == 3.0
    assert len(srv.requests) == 2


def test_retry_after_smaller_than_backoff_uses_backoff(srv, rec):
    srv.add(
        "GET",
        "/limited",
        [FakeResponse(503, headers={"Retry-After": "0"}), FakeResponse(200)],
    )
    make_client(rec, backoff_base=2.0).request("GET", srv.url + "/limited")
    assert 1.0 <= rec.sleeps[0] <= 2.0


def test_read_timeout_retries_then_connection_failed(srv, rec):
    srv.add("POST", "/slow", FakeResponse(200, delay=1.0))
    client = make_client(rec, read_timeout=0.2, max_attempts=2)
    with pytest.raises(ConnectionFailed) as info:
        client.request("POST", srv.url + "/slow", json={"a": 1})
    assert isinstance(info.value, RetryableError)
    assert info.value.retry_after is not None and info.value.retry_after > 0
    assert "timeout" in str(info.value)
    assert len(srv.wait_for_requests(2)) == 2
    first, second = srv.requests
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]
    assert len(rec.sleeps) == 1
    assert [r.status for r in rec.records] == [None, None]
    assert all("Timeout" in r.error for r in rec.records)


def test_connection_refused_is_connection_failed(rec):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = make_client(rec, max_attempts=2)
    with pytest.raises(ConnectionFailed):
        client.request("GET", f"http://127.0.0.1:{port}/x")
    assert len(rec.records) == 2


def test_dropped_connection_is_retried(srv, rec):
    srv.add("POST", "/drop", [FakeResponse(drop=True), FakeResponse(200)])
    response = make_client(rec).request("POST", srv.url + "/drop")
    assert response.status_code == 200
    assert len(srv.requests) == 2


@pytest.mark.parametrize("status", [400, 401, 404, 409, 422, 501])
def test_permanent_errors_not_retried(srv, rec, status):
    body = {"error": "bad", "card": "4111111111111111", "api_key": "sk_live_x"}
    srv.add("POST", "/bad", FakeResponse(status, json=body))
    with pytest.raises(PermanentHTTPError) as info:
        make_client(rec).request("POST", srv.url + "/bad", json={})
    assert info.value.status == status
    assert info.value.response.json() == body  # raw, for programmatic use
    assert "bad" in info.value.body_excerpt
    assert "4111111111111111" not in info.value.body_excerpt
    assert "sk_live_x" not in info.value.body_excerpt
    assert len(srv.requests) == 1
    assert rec.sleeps == []


def test_attempts_exhausted_raises_transient_with_retry_after(srv, rec):
    srv.add("GET", "/down", FakeResponse(503, body=b"maintenance"))
    with pytest.raises(TransientHTTPError) as info:
        make_client(rec, max_attempts=3).request("GET", srv.url + "/down")
    assert info.value.status == 503
    assert info.value.body_excerpt == "maintenance"
    assert info.value.retry_after > 0
    assert len(srv.requests) == 3
    assert len(rec.sleeps) == 2
    assert 0.5 <= rec.sleeps[0] <= 1.0 and 1.0 <= rec.sleeps[1] <= 2.0


def test_max_inline_wait_exceeded_by_retry_after(srv, rec):
    srv.add("POST", "/busy", FakeResponse(429, headers={"Retry-After": "120"}))
    client = make_client(rec, max_attempts=5, max_inline_wait=10)
    with pytest.raises(TransientHTTPError) as info:
        client.request("POST", srv.url + "/busy")
    assert info.value.retry_after == 120
    assert info.value.status == 429
    assert rec.sleeps == []
    assert len(srv.requests) == 1


def test_max_inline_wait_is_cumulative(srv, rec):
    srv.add("GET", "/down", FakeResponse(502))
    client = make_client(rec, max_attempts=10, backoff_base=4, max_inline_wait=7)
    with pytest.raises(TransientHTTPError) as info:
        client.request("GET", srv.url + "/down")
    # first wait 2-4 s fits, the second (4-8 s) would exceed 7 s in total
    assert len(rec.sleeps) == 1
    assert sum(rec.sleeps) + info.value.retry_after > 7
    assert len(srv.requests) == 2


def test_breaker_opens_after_threshold_and_short_circuits(srv, rec):
    srv.add("GET", "/flaky", [FakeResponse(500), FakeResponse(500), FakeResponse(200)])
    breaker = CircuitBreaker(threshold=2, reset_after=30)
    state = BreakerState()
    client = make_client(rec, max_attempts=1, breaker=breaker, breaker_state=state)
    for _ in range(2):
        with pytest.raises(TransientHTTPError):
            client.request("GET", srv.url + "/flaky")
    assert client.breaker_state is state
    assert state.state == "open"
    with pytest.raises(CircuitOpen) as info:
        client.request("GET", srv.url + "/flaky")
    assert info.value.retry_after == pytest.approx(30)
    assert len(srv.requests) == 2  # the server was not called
    rec.now += 30  # reset period elapsed: one probe goes through
    assert client.request("GET", srv.url + "/flaky").status_code == 200
    assert state == BreakerState("closed", 0, None)


def test_breaker_opened_mid_retries_stops_the_loop(srv, rec):
    srv.add("GET", "/down", FakeResponse(500))
    client = make_client(
        rec, max_attempts=5, breaker=CircuitBreaker(threshold=2, reset_after=60)
    )
    with pytest.raises(TransientHTTPError) as info:
        client.request("GET", srv.url + "/down")
    assert len(srv.requests) == 2
    assert len(rec.sleeps) == 1  # no pointless sleep once the circuit opened
    assert client.breaker_state.state == "open"
    assert info.value.retry_after == pytest.approx(60)
    with pytest.raises(CircuitOpen):
        client.request("GET", srv.url + "/down")
    assert len(srv.requests) == 2


def test_4xx_is_not_a_breaker_failure(srv, rec):
    srv.add("GET", "/missing", FakeResponse(404))
    state = BreakerState(failures=2)
    client = make_client(rec, breaker=CircuitBreaker(threshold=3), breaker_state=state)
    for _ in range(4):
        with pytest.raises(PermanentHTTPError):
            client.request("GET", srv.url + "/missing")
    assert state.state == "closed"
    assert state.failures == 0


def test_timeouts_count_as_breaker_failures(srv, rec):
    srv.add("GET", "/slow", FakeResponse(200, delay=1.0))
    state = BreakerState()
    client = make_client(
        rec,
        read_timeout=0.1,
        max_attempts=1,
        breaker=CircuitBreaker(threshold=1),
        breaker_state=state,
    )
    with pytest.raises(ConnectionFailed):
        client.request("GET", srv.url + "/slow")
    assert state.state == "open"


def test_rate_limiter_sleeps_reserved_wait(srv, rec):
    srv.add("GET", "/r", FakeResponse(200))
    client = make_client(rec, rate_limiter=TokenBucket(60))  # 1 per second
    client.request("GET", srv.url + "/r")
    client.request("GET", srv.url + "/r")
    assert rec.sleeps == [pytest.approx(1.0)]
    assert len(srv.requests) == 2


def test_rate_limiter_wait_over_budget_raises_local_429(srv, rec):
    srv.add("GET", "/r", FakeResponse(200))
    client = make_client(rec, rate_limiter=TokenBucket(6), max_inline_wait=5)
    client.request("GET", srv.url + "/r")
    with pytest.raises(TransientHTTPError) as info:
        client.request("GET", srv.url + "/r")
    assert info.value.status == 429
    assert "local rate limit" in str(info.value)
    assert info.value.retry_after == pytest.approx(10)
    assert len(srv.requests) == 1
    assert rec.sleeps == []


def test_attempt_records_are_masked(srv, rec):
    srv.add("GET", "/secure", FakeResponse(200))
    make_client(rec).request(
        "GET",
        srv.url + "/secure?api_key=sk_live_123",
        headers={"Authorization": "Bearer sk_live_abc", "X-Trace": "t1"},
    )
    (record,) = rec.records
    assert record.request_headers["Authorization"] == "Bearer ••••"
    assert record.request_headers["X-Trace"] == "t1"
    assert "User-Agent" in record.request_headers  # session defaults too
    assert "sk_live_123" not in record.url
    assert record.duration_ms >= 0
    # The real secret still went to the server.
    assert srv.requests[0].headers["Authorization"] == "Bearer sk_live_abc"
    assert srv.requests[0].query["api_key"] == "sk_live_123"


def test_auth_and_form_data_forwarded(srv, rec):
    srv.add("POST", "/form", FakeResponse(200))
    make_client(rec).request(
        "POST", srv.url + "/form", data={"a": "1"}, auth=("user", "pass")
    )
    (req,) = srv.requests
    assert req.body == b"a=1"
    assert req.headers["Authorization"].startswith("Basic ")


def test_invalid_url_is_permanent(rec):
    with pytest.raises(PermanentHTTPError):
        make_client(rec).request("GET", "not a url")
    with pytest.raises(PermanentHTTPError):
        make_client(rec).request("GET", "ftp://127.0.0.1/x")
    assert rec.sleeps == []


def test_defaults_and_session_ownership():
    client = OutboundClient()
    assert (client.connect_timeout, client.read_timeout) == (5, 30)
    assert client.max_attempts == 3 and client.max_inline_wait == 10.0
    assert client.breaker_state is None
    external = requests.Session()
    with OutboundClient(external) as other:
        assert other.session is external
    client.close()
    with pytest.raises(ValueError):
        OutboundClient(max_attempts=0)
