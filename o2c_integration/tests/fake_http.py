# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""A scriptable local HTTP server for tests (not a test module).

Usage::

    from .fake_http import FakeHTTPServer, FakeResponse

    with FakeHTTPServer() as srv:
        srv.add("POST", "/v1/orders", [FakeResponse(500), FakeResponse(201, json={})])
        requests.post(srv.url + "/v1/orders?x=1", json={...})
        assert srv.requests[0].query == {"x": "1"}

* Binds 127.0.0.1 only, on an ephemeral port.
* Routes are keyed by (METHOD, path without query string); the method ``"*"``
  matches any method. A list of responses is served in order, the last one
  repeating; a callable ``handler(request) -> FakeResponse`` computes them.
* Unknown routes answer 404 with a JSON body naming the route.
* Every request is recorded (thread-safely) in :attr:`FakeHTTPServer.requests`.
* ``FakeResponse(delay=...)`` simulates a slow server (read timeouts) and
  ``FakeResponse(drop=True)`` closes the connection without answering.
"""

from __future__ import annotations

import json as jsonlib
import logging
import socket
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self
from urllib.parse import parse_qs, urlsplit

_logger = logging.getLogger(__name__)

__all__ = ["FakeHTTPServer", "FakeResponse", "HeaderDict", "RecordedRequest"]

ANY_METHOD = "*"


class HeaderDict(dict):
    """A plain dict of headers (original case) with case-insensitive reads."""

    def _find(self, key):
        if dict.__contains__(self, key):
            return key
        if isinstance(key, str):
            lower = key.lower()
            for candidate in self.keys():
                if candidate.lower() == lower:
                    return candidate
        return None

    def __getitem__(self, key):
        found = self._find(key)
        if found is None:
            raise KeyError(key)
        return dict.__getitem__(self, found)

    def __contains__(self, key):
        return self._find(key) is not None

    def get(self, key, default=None):
        found = self._find(key)
        return default if found is None else dict.__getitem__(self, found)


@dataclass
class FakeResponse:
    """A scripted response. ``json`` (if not None) wins over ``body``."""

    status: int = 200
    json: object = None
    body: bytes | str = b""
    headers: dict | None = None
    delay: float = 0.0
    #: Close the connection without sending anything (connection reset).
    drop: bool = False

    def render(self) -> tuple[bytes, dict]:
        headers = dict(self.headers or {})
        if self.json is not None:
            body = jsonlib.dumps(self.json).encode("utf-8")
            headers.setdefault("Content-Type", "application/json")
        else:
            body = (
                self.body.encode("utf-8") if isinstance(self.body, str) else self.body
            )
        return body or b"", headers


@dataclass
class RecordedRequest:
    """A request as received by the fake server."""

    method: str
    path: str
    query: dict
    headers: HeaderDict
    body: bytes
    raw_path: str = ""
    #: Every value of every query parameter (``query`` keeps the first one).
    query_lists: dict = field(default_factory=dict)
    #: ``time.monotonic()`` when the request was received.
    received_at: float = 0.0

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self):
        return jsonlib.loads(self.body.decode("utf-8"))


Handler = Callable[[RecordedRequest], FakeResponse]


class _Route:
    def __init__(self, responses: Sequence[FakeResponse] | FakeResponse | Handler):
        if isinstance(responses, FakeResponse):
            responses = [responses]
        if callable(responses):
            self.handler, self.responses = responses, None
        else:
            responses = list(responses)
            if not responses:
                raise ValueError("a route needs at least one response")
            self.handler, self.responses = None, responses
        self.served = 0

    def next_response(self, request: RecordedRequest) -> FakeResponse:
        if self.handler is not None:
            return self.handler(request)
        index = min(self.served, len(self.responses) - 1)
        self.served += 1
        return self.responses[index]


class _RequestHandler(BaseHTTPRequestHandler):
    # HTTP/1.0: one request per connection, no keep-alive bookkeeping.
    protocol_version = "HTTP/1.0"
    fake: FakeHTTPServer  # set on the per-server subclass

    def log_message(self, format, *args):
        _logger.debug("fake http: " + format, *args)

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size_line = self.rfile.readline().strip()
                size = int(size_line.split(b";")[0] or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self):
        split = urlsplit(self.path)
        query_lists = parse_qs(split.query, keep_blank_values=True)
        request = RecordedRequest(
            method=self.command,
            path=split.path,
            query={key: values[0] for key, values in query_lists.items()},
            headers=HeaderDict(self.headers.items()),
            body=self._read_body(),
            raw_path=self.path,
            query_lists=query_lists,
            received_at=time.monotonic(),
        )
        response = self.fake._dispatch(request)
        if response.delay and self.fake._stopping.wait(response.delay):
            return  # server shutting down
        if response.drop:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        body, headers = response.render()
        try:
            self.send_response(response.status)
            for name, value in headers.items():
                self.send_header(name, str(value))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        except OSError:
            # The client gave up (read timeout): nothing to do.
            pass

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle
    do_HEAD = do_OPTIONS = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        _logger.debug(
            "fake http: error while handling a request: %s", sys.exc_info()[1]
        )


class FakeHTTPServer:
    """Threaded local HTTP server answering scripted responses."""

    def __init__(self):
        self._lock = threading.Lock()
        self._routes: dict[tuple[str, str], _Route] = {}
        self._requests: list[RecordedRequest] = []
        self._stopping = threading.Event()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> Self:
        if self._httpd is not None:
            return self
        handler = type("FakeHandler", (_RequestHandler,), {"fake": self})
        self._stopping.clear()
        self._httpd = _Server(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"FakeHTTPServer:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._stopping.set()  # wake up delayed responses
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)
        self._httpd = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("FakeHTTPServer is not started")
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- scripting -----------------------------------------------------------
    def add(
        self,
        method: str,
        path: str,
        responses: Sequence[FakeResponse] | FakeResponse | Handler,
    ) -> None:
        """Script the responses of ``method path`` (replaces a previous route)."""
        path = urlsplit(path).path or "/"
        with self._lock:
            self._routes[(method.upper(), path)] = _Route(responses)

    def reset(self) -> None:
        """Forget routes and recorded requests."""
        with self._lock:
            self._routes.clear()
            self._requests.clear()

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def _dispatch(self, request: RecordedRequest) -> FakeResponse:
        with self._lock:
            self._requests.append(request)
            route = self._routes.get(
                (request.method, request.path)
            ) or self._routes.get((ANY_METHOD, request.path))
            if route is not None and route.handler is None:
                return route.next_response(request)
        if route is None:
            return FakeResponse(
                404,
                json={
                    "error": "no fake route",
                    "method": request.method,
                    "path": request.path,
                },
            )
        # Handlers run outside the lock: they may be slow or re-enter.
        return route.next_response(request)

    # -- inspection ------------------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of the requests received so far, in arrival order."""
        with self._lock:
            return list(self._requests)

    def requests_for(self, method: str, path: str) -> list[RecordedRequest]:
        method = method.upper()
        return [r for r in self.requests if r.method == method and r.path == path]

    def wait_for_requests(
        self, count: int, timeout: float = 5.0
    ) -> list[RecordedRequest]:
        """Wait until at least ``count`` requests arrived (for async callers)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            current = self.requests
            if len(current) >= count:
                return current
            time.sleep(0.01)
        return self.requests
