# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Tests of the FakeHTTPServer helper other addons' tests rely on."""

import socket
import threading

import pytest
import requests

from .fake_http import FakeHTTPServer, FakeResponse


def test_binds_loopback_ephemeral_port_and_shuts_down():
    with FakeHTTPServer() as srv:
        host, port = srv._httpd.server_address
        assert host == "127.0.0.1"
        assert port > 0
        assert srv.url == f"http://127.0.0.1:{port}"
        thread = srv._thread
        assert requests.get(srv.url + "/x", timeout=2).status_code == 404
    assert not thread.is_alive()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/x", timeout=1)
    with pytest.raises(RuntimeError):
        _url = srv.url


def test_scripted_responses_in_order_last_repeats():
    with FakeHTTPServer() as srv:
        srv.add(
            "post",
            "/v1/orders",
            [
                FakeResponse(500),
                FakeResponse(201, json={"id": 7}, headers={"X-A": "1"}),
            ],
        )
        statuses = [requests.post(srv.url + "/v1/orders", timeout=2) for _ in range(3)]
        assert [r.status_code for r in statuses] == [500, 201, 201]
        assert statuses[1].json() == {"id": 7}
        assert statuses[1].headers["Content-Type"] == "application/json"
        assert statuses[1].headers["X-A"] == "1"
        # Another method on the same path is not routed.
        assert requests.get(srv.url + "/v1/orders", timeout=2).status_code == 404


def test_single_response_and_raw_body():
    with FakeHTTPServer() as srv:
        srv.add(
            "GET",
            "/csv",
            FakeResponse(200, body="a;b\n1;2", headers={"Content-Type": "text/csv"}),
        )
        response = requests.get(srv.url + "/csv", timeout=2)
        assert response.text == "a;b\n1;2"
        assert response.headers["Content-Type"] == "text/csv"


def test_records_method_path_query_headers_body():
    with FakeHTTPServer() as srv:
        srv.add("PUT", "/items/1?ignored=1", FakeResponse(204))
        requests.put(
            srv.url + "/items/1?page=2&tag=a&tag=b&empty=",
            data=b"\x00raw bytes",
            headers={"X-Custom": "v", "Content-Type": "application/octet-stream"},
            timeout=2,
        )
        (req,) = srv.requests
        assert req.method == "PUT"
        assert req.path == "/items/1"
        assert req.query == {"page": "2", "tag": "a", "empty": ""}
        assert req.query_lists["tag"] == ["a", "b"]
        assert req.body == b"\x00raw bytes"
        assert req.headers["x-custom"] == "v"
        assert req.headers.get("X-CUSTOM") == "v"
        assert "x-custom" in req.headers
        assert isinstance(req.headers, dict)
        assert req.raw_path.startswith("/items/1?page=2")


def test_json_request_helper_and_chunked_body():
    with FakeHTTPServer() as srv:
        srv.add("POST", "/hook", FakeResponse(200))
        requests.post(srv.url + "/hook", json={"a": [1, 2]}, timeout=2)
        requests.post(srv.url + "/hook", data=iter([b"chunk1-", b"chunk2"]), timeout=2)
        first, second = srv.requests
        assert first.json() == {"a": [1, 2]}
        assert second.body == b"chunk1-chunk2"


def test_callable_handler_sees_request():
    def handler(request):
        return FakeResponse(
            200, json={"echo": request.query.get("q"), "n": len(request.body)}
        )

    with FakeHTTPServer() as srv:
        srv.add("*", "/echo", handler)
        assert requests.get(srv.url + "/echo?q=hi", timeout=2).json() == {
            "echo": "hi",
            "n": 0,
        }
        assert requests.delete(srv.url + "/echo", data=b"abc", timeout=2).json() == {
            "echo": None,
            "n": 3,
        }


def test_unknown_route_404_names_route():
    with FakeHTTPServer() as srv:
        response = requests.get(srv.url + "/nope?x=1", timeout=2)
        assert response.status_code == 404
        assert response.json()["path"] == "/nope"
        assert len(srv.requests) == 1


def test_reset_and_clear_requests():
    with FakeHTTPServer() as srv:
        srv.add("GET", "/a", FakeResponse(200))
        requests.get(srv.url + "/a", timeout=2)
        srv.clear_requests()
        assert srv.requests == []
        assert requests.get(srv.url + "/a", timeout=2).status_code == 200
        srv.reset()
        assert srv.requests == []
        assert requests.get(srv.url + "/a", timeout=2).status_code == 404


def test_delay_causes_client_timeout_and_drop_resets():
    with FakeHTTPServer() as srv:
        srv.add("GET", "/slow", FakeResponse(200, delay=1.0))
        srv.add("GET", "/drop", FakeResponse(drop=True))
        with pytest.raises(requests.Timeout):
            requests.get(srv.url + "/slow", timeout=(1, 0.1))
        with pytest.raises(requests.ConnectionError):
            requests.get(srv.url + "/drop", timeout=2)


def test_concurrent_requests_all_recorded():
    with FakeHTTPServer() as srv:
        srv.add("GET", "/c", FakeResponse(200, delay=0.05))
        errors = []

        def call(n):
            try:
                requests.get(srv.url + f"/c?n={n}", timeout=5)
            except requests.RequestException as exc:  # pragma: no cover
                errors.append(exc)

        threads = [threading.Thread(target=call, args=(n,)) for n in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors
        assert sorted(int(r.query["n"]) for r in srv.requests) == list(range(20))
        assert len(srv.requests_for("GET", "/c")) == 20
        assert len(srv.wait_for_requests(20, timeout=1)) == 20


def test_stop_while_a_delayed_response_is_pending_is_quick():
    import time

    srv = FakeHTTPServer().start()
    srv.add("GET", "/slow", FakeResponse(200, delay=30))
    sock = socket.create_connection(("127.0.0.1", srv.port))
    sock.sendall(b"GET /slow HTTP/1.0\r\n\r\n")
    srv.wait_for_requests(1)
    start = time.monotonic()
    srv.stop()
    assert time.monotonic() - start < 3
    sock.close()
