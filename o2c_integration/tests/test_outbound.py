# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import json

from ..lib.exceptions import CircuitOpen, PermanentHTTPError, RetryableError
from .common import O2cCommon
from .fake_http import FakeHTTPServer, FakeResponse

NO_SLEEP = {"sleep": lambda _s: None}


class TestOutbound(O2cCommon):
    def _expect(self, exc_class, *args, **kwargs):
        """Like assertRaises, without Odoo's savepoint rollback of what was logged."""
        try:
            self.connection._o2c_request(*args, **kwargs)
        except exc_class as exc:
            return exc
        self.fail(f"{exc_class.__name__} not raised")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = FakeHTTPServer().start()
        cls.addClassCleanup(cls.server.stop)
        cls.connection.write(
            {
                "base_url": cls.server.url,
                "auth_method": "api_key",
                "api_key": "sk_test_outbound_key",
                "read_timeout": 0.5,
                "connect_timeout": 0.5,
                "breaker_threshold": 2,
                "breaker_reset": 600,
            }
        )

    def setUp(self):
        super().setUp()
        self.server.reset()

    def _out_events(self):
        return self.env["o2c.event"].search(
            [("connection_id", "=", self.connection.id), ("direction", "=", "out")]
        )

    def test_success_is_logged_masked_with_idempotency_key(self):
        self.server.add(
            "POST", "/v1/status", [FakeResponse(500), FakeResponse(200, json={"ok": 1})]
        )
        response = self.connection._o2c_request(
            "POST",
            "/v1/status",
            json_body={"order": "SO1", "email": "jane@example.com"},
            idempotency_key="SO1:invoiced",
            client_overrides=NO_SLEEP,
        )
        self.assertEqual(response.json(), {"ok": 1})
        sent = self.server.requests
        self.assertEqual(len(sent), 2)
        self.assertEqual({r.headers["Idempotency-Key"] for r in sent}, {"SO1:invoiced"})
        self.assertEqual(
            sent[0].headers["Authorization"], "Bearer sk_test_outbound_key"
        )
        event = self._out_events()
        self.assertEqual(len(event), 1)
        self.assertEqual(event.state, "done")
        self.assertEqual(event.http_status, 200)
        self.assertEqual(event.attempts, 2)
        logged = event.sudo().payload + (event.headers or "")
        self.assertNotIn("sk_test_outbound_key", logged)
        self.assertNotIn("jane@example.com", logged)
        self.assertEqual(self.connection.breaker_state, "closed")
        self.assertTrue(self.connection.last_success_at)

    def test_4xx_is_permanent_and_not_retried(self):
        self.server.add(
            "POST", "/v1/bad", [FakeResponse(422, json={"error": "invalid"})]
        )
        self._expect(
            PermanentHTTPError,
            "POST",
            "/v1/bad",
            json_body={},
            client_overrides=NO_SLEEP,
        )
        self.assertEqual(len(self.server.requests), 1)
        self.assertEqual(self._out_events().state, "failed")

    def test_429_and_timeouts_raise_retryable_then_breaker_opens(self):
        self.server.add("GET", "/v1/slow", [FakeResponse(200, delay=2.0)])
        self.server.add(
            "GET", "/v1/limited", [FakeResponse(429, headers={"Retry-After": "120"})]
        )
        caught = self._expect(
            RetryableError, "GET", "/v1/limited", client_overrides=NO_SLEEP
        )
        self.assertGreaterEqual(caught.retry_after, 120)
        self._expect(
            RetryableError,
            "GET",
            "/v1/slow",
            client_overrides={**NO_SLEEP, "max_attempts": 1},
        )
        self.assertEqual(self.connection.breaker_state, "open")
        calls = len(self.server.requests)
        self._expect(CircuitOpen, "GET", "/v1/limited", client_overrides=NO_SLEEP)
        self.assertEqual(len(self.server.requests), calls)  # short-circuited
        # monitoring: the health cron opens a "connection down" exception, once
        self.env["o2c.connection"]._cron_health_check()
        self.env["o2c.connection"]._cron_health_check()
        down = self.env["o2c.exception"].search(
            [
                ("category", "=", "connection_down"),
                ("connection_id", "=", self.connection.id),
            ]
        )
        self.assertEqual(len(down), 1)
        self.connection.action_reset_breaker()
        self.env["o2c.connection"]._cron_health_check()
        self.assertEqual(down.state, "resolved")

    def test_oauth2_token_cached_and_refreshed_on_401(self):
        self.connection.write(
            {
                "auth_method": "oauth2",
                "client_id": "cid",
                "client_secret": "csecret",
                "token_url": f"{self.server.url}/oauth/token",
            }
        )
        tokens = iter(["tok-1", "tok-2"])
        self.server.add(
            "POST",
            "/oauth/token",
            lambda req: FakeResponse(
                200, json={"access_token": next(tokens), "expires_in": 3600}
            ),
        )
        self.server.add(
            "GET",
            "/v1/me",
            [
                FakeResponse(200, json={}),
                FakeResponse(200, json={}),
                FakeResponse(401),
                FakeResponse(200, json={"ok": 1}),
            ],
        )
        for _i in range(2):
            self.connection._o2c_request("GET", "/v1/me", client_overrides=NO_SLEEP)
        self.assertEqual(len(self.server.requests_for("POST", "/oauth/token")), 1)
        response = self.connection._o2c_request(
            "GET", "/v1/me", client_overrides=NO_SLEEP
        )
        self.assertEqual(response.json(), {"ok": 1})
        me = self.server.requests_for("GET", "/v1/me")
        self.assertEqual(me[0].headers["Authorization"], "Bearer tok-1")
        self.assertEqual(me[-1].headers["Authorization"], "Bearer tok-2")
        token_req = self.server.requests_for("POST", "/oauth/token")[0]
        self.assertIn("grant_type=client_credentials", token_req.text)
        self.assertNotIn(
            "tok-1", json.dumps([e.sudo().payload for e in self._out_events()])
        )

    def test_test_connection_button(self):
        self.server.add("GET", "/", [FakeResponse(200, json={})])
        action = self.connection.action_test_connection()
        self.assertEqual(action["params"]["type"], "success")
