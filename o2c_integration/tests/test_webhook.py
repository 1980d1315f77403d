# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import json
import re
import time

from odoo.tests import HttpCase, tagged
from odoo.tools import config

from odoo.addons.queue_job.tests.common import trap_jobs

from ..lib.signature import sign
from .common import WEBHOOK_SECRET, O2cTestMixin


@tagged("post_install", "-at_install")
class TestWebhook(O2cTestMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._o2c_setup()
        cls.url = f"/o2c/webhook/{cls.connection.webhook_key}"

    def setUp(self):
        super().setUp()
        # Senders carry no session cookie: like a production server, select the
        # database with a dbfilter (README: one database per server, or a dbfilter).
        previous = config["dbfilter"]
        config["dbfilter"] = f"^{re.escape(self.env.cr.dbname)}$"
        self.addCleanup(config.__setitem__, "dbfilter", previous)

    def _post(self, body, headers=None, url=None):
        return self.url_open(
            url or self.url, data=body, headers=headers or {}, method="POST", timeout=30
        )

    def _events(self):
        return self.env["o2c.event"].search(
            [("connection_id", "=", self.connection.id)]
        )

    def test_valid_signature_is_stored_before_2xx_and_queued(self):
        body = json.dumps(
            {"id": "evt_1", "type": "order.created", "total": 10}
        ).encode()
        with trap_jobs() as trap:
            response = self._post(body, self.signed_headers(body))
            self.assertEqual(response.status_code, 200, response.text)
            trap.assert_jobs_count(1)
        answer = response.json()
        self.assertEqual(answer["status"], "accepted")
        event = self._events()
        self.assertEqual(len(event), 1)
        self.assertEqual(answer["events"], event.ids)
        self.assertEqual(event.sudo().payload, body.decode())
        self.assertEqual(event.state, "queued")
        self.assertEqual(event.event_type, "order.created")
        self.assertEqual(event.external_id, "evt_1")
        # headers are kept masked: the signature is not stored in clear
        self.assertNotIn(
            sign(WEBHOOK_SECRET, body, int(time.time()))[-20:], event.headers
        )

    def test_same_event_five_times_is_processed_once(self):
        body = json.dumps({"id": "evt_dup", "type": "order.created"}).encode()
        with trap_jobs() as trap:
            statuses = [
                self._post(body, self.signed_headers(body)).json() for _i in range(5)
            ]
            trap.assert_jobs_count(1)
        self.assertEqual(len(self._events()), 1)
        self.assertEqual(sum(s["duplicates"] for s in statuses), 4)

    def _assert_refused(self, body, headers, reason_part):
        with trap_jobs() as trap:
            response = self._post(body, headers)
            trap.assert_jobs_count(0)
        self.assertEqual(response.status_code, 401, response.text)
        self.assertIn(reason_part, response.json()["reason"].lower())
        self.assertFalse(self._events())

    def test_wrong_secret_refused(self):
        body = b'{"id": "evt_bad", "type": "x"}'
        self._assert_refused(
            body, self.signed_headers(body, secret="not-the-secret"), "signature"
        )

    def test_stale_timestamp_refused(self):
        body = b'{"id": "evt_old", "type": "x"}'
        headers = self.signed_headers(body, timestamp=int(time.time()) - 3600)
        self._assert_refused(body, headers, "away from now")

    def test_missing_header_refused(self):
        body = b'{"id": "evt_nohdr", "type": "x"}'
        self._assert_refused(body, {"Content-Type": "application/json"}, "missing")

    def test_tampered_body_refused(self):
        body = b'{"id": "evt_t", "type": "x", "amount": 10}'
        headers = self.signed_headers(body)
        self._assert_refused(body.replace(b"10", b"99"), headers, "signature")

    def test_rotated_secret_accepted(self):
        self.env["o2c.connection.secret"].create(
            {
                "connection_id": self.connection.id,
                "name": "next",
                "secret": "whsec_next_secret",
            }
        )
        body = b'{"id": "evt_rot", "type": "x"}'
        response = self._post(
            body, self.signed_headers(body, secret="whsec_next_secret")
        )
        self.assertEqual(response.status_code, 200, response.text)

    def test_no_secret_configured_refuses(self):
        self.connection.webhook_secret_ids.unlink()
        body = b'{"id": "evt_nosecret", "type": "x"}'
        self._assert_refused(body, self.signed_headers(body), "secret")

    def test_malformed_json_is_400_with_event_and_exception(self):
        body = b'{"id": "evt_m", "type": '
        response = self._post(body, self.signed_headers(body))
        self.assertEqual(response.status_code, 400)
        self.assertIn("malformed", response.json()["error"])
        event = self._events()
        self.assertEqual(len(event), 1)
        self.assertEqual(event.state, "failed")
        self.assertEqual(event.sudo().payload, body.decode())
        self.assertEqual(event.exception_ids.category, "validation")

    def test_oversized_body_is_413_and_not_stored(self):
        self.connection.max_body_bytes = 1000
        body = json.dumps({"id": "evt_big", "blob": "x" * 5000}).encode()
        response = self._post(body, self.signed_headers(body))
        self.assertEqual(response.status_code, 413)
        self.assertFalse(self._events())

    def test_unknown_webhook_is_404(self):
        body = b"{}"
        response = self._post(body, self.signed_headers(body), url="/o2c/webhook/nope")
        self.assertEqual(response.status_code, 404)

    def test_archived_connection_is_404(self):
        self.connection.active = False
        body = b'{"id": "evt_arch"}'
        response = self._post(body, self.signed_headers(body))
        self.assertEqual(response.status_code, 404)

    def test_get_not_allowed(self):
        response = self.url_open(self.url, timeout=30)
        self.assertIn(response.status_code, (404, 405))

    def test_public_cannot_read_events_over_rpc(self):
        body = b'{"id": "evt_pub", "type": "x"}'
        self._post(body, self.signed_headers(body))
        response = self.url_open(
            "/web/dataset/call_kw/o2c.event/search_read",
            data=json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "params": {
                        "model": "o2c.event",
                        "method": "search_read",
                        "args": [[]],
                        "kwargs": {"fields": ["payload"]},
                    },
                }
            ).encode(),
            headers={"Content-Type": "application/json"},
            timeout=30,
        )
        self.assertNotIn("evt_pub", response.text)
        self.assertIn("error", response.json())
