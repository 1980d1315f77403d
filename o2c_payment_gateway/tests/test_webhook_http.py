# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Signed webhooks over real HTTP (run with ``--odoo-http``)."""

import base64
import json
import time
from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, tagged

from odoo.addons.o2c_integration.tests.common import run_jobs
from odoo.addons.queue_job.tests.common import trap_jobs

from .common import (
    ADYEN_HMAC_KEY,
    ADYEN_OTHER_KEY,
    STRIPE_NEW_SECRET,
    STRIPE_SECRET,
    GatewayCommon,
    GatewayTestMixin,
    adyen_body,
    adyen_item,
    stripe_header,
    stripe_payment_intent,
)


@tagged("post_install", "-at_install")
class TestGatewayWebhooks(GatewayTestMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._pg_setup()
        cls.body = json.dumps(
            stripe_payment_intent(1, 12500, invoice_ref="INV/2024/00042"), indent=2
        ).encode()

    def post(self, connection, body, headers):
        return self.url_open(
            f"/o2c/webhook/{connection.webhook_key}", data=body, headers=headers
        )

    def events(self, connection):
        return self.env["o2c.event"].search(
            [("connection_id", "=", connection.id), ("direction", "=", "in")]
        )

    def stripe_headers(self, body=None, **kwargs):
        return {
            "Stripe-Signature": stripe_header(body or self.body, **kwargs),
            "Content-Type": "application/json",
        }

    # --- Stripe

    def test_stripe_valid_is_stored_then_acknowledged(self):
        response = self.post(self.stripe, self.body, self.stripe_headers())
        self.assertEqual(response.status_code, 200, response.text)
        event = self.events(self.stripe)
        self.assertRecordValues(
            event,
            [
                {
                    "event_type": "payment_intent.succeeded",
                    "external_id": "evt_pi_1",
                    "state": "queued",
                    "payload_size": len(self.body),
                }
            ],
        )
        self.assertEqual(event.sudo().payload.encode(), self.body)  # raw bytes kept
        self.assertEqual(response.json()["events"], event.ids)
        # a redelivery is acknowledged and not stored again
        again = self.post(self.stripe, self.body, self.stripe_headers())
        self.assertEqual(again.status_code, 200)
        self.assertEqual(again.json()["duplicates"], 1)
        self.assertEqual(len(self.events(self.stripe)), 1)

    def test_stripe_refusals_store_nothing(self):
        now = int(time.time())
        tampered = self.body.replace(b'"amount": 12500', b'"amount": 1250000')
        self.assertNotEqual(tampered, self.body)
        cases = {
            "wrong secret": (self.body, self.stripe_headers(secret="whsec_other")),
            "stale": (self.body, self.stripe_headers(timestamp=now - 600)),
            "future": (self.body, self.stripe_headers(timestamp=now + 600)),
            "tampered": (tampered, self.stripe_headers(self.body)),
            "missing": (self.body, {"Content-Type": "application/json"}),
            "garbled": (
                self.body,
                {"Stripe-Signature": "v1=abc", "Content-Type": "application/json"},
            ),
        }
        for label, (body, headers) in cases.items():
            with self.subTest(label):
                response = self.post(self.stripe, body, headers)
                self.assertEqual(response.status_code, 401, label)
                self.assertEqual(response.json()["error"], "invalid signature")
        self.assertFalse(self.events(self.stripe))
        self.assertIn(
            "timestamp",
            self.post(
                self.stripe, self.body, self.stripe_headers(timestamp=now - 600)
            ).json()["reason"],
        )

    def test_stripe_secret_rotation(self):
        # our side rolls first: old and new secrets both valid
        new = self.env["o2c.connection.secret"].create(
            {
                "connection_id": self.stripe.id,
                "name": "new",
                "secret": STRIPE_NEW_SECRET,
            }
        )
        self.assertEqual(
            self.post(
                self.stripe, self.body, self.stripe_headers(secret=STRIPE_NEW_SECRET)
            ).status_code,
            200,
        )
        # Stripe rolls: it signs with both; only the old one is configured
        new.active = False
        body = self.body.replace(b"evt_pi_1", b"evt_pi_rot")
        self.assertEqual(
            self.post(
                self.stripe,
                body,
                self.stripe_headers(
                    body, secret="whsec_unknown", extra=(STRIPE_SECRET,)
                ),
            ).status_code,
            200,
        )
        # the old secret expires at the end of the rotation window
        self.stripe.webhook_secret_ids.filtered("active").expires_at = (
            fields.Datetime.now() - timedelta(minutes=1)
        )
        body = self.body.replace(b"evt_pi_1", b"evt_pi_late")
        self.assertEqual(
            self.post(
                self.stripe, body, self.stripe_headers(body, secret=STRIPE_SECRET)
            ).status_code,
            401,
        )
        self.assertEqual(
            sorted(self.events(self.stripe).mapped("external_id")),
            ["evt_pi_1", "evt_pi_rot"],
        )

    def test_no_secret_configured_refuses(self):
        bare = self.env["o2c.connection"].create(
            {"name": "Stripe bare", "connection_type": "stripe"}
        )
        response = self.post(bare, self.body, self.stripe_headers())
        self.assertEqual(response.status_code, 401)
        self.assertIn("no secret configured", response.json()["reason"])
        self.assertFalse(self.events(bare))

    def test_authenticated_garbage_is_kept_and_refused(self):
        body = b'{"object": "event", "data": {}}'
        response = self.post(self.stripe, body, self.stripe_headers(body))
        self.assertEqual(response.status_code, 400)
        event = self.events(self.stripe)
        self.assertEqual(event.state, "failed")
        self.assertTrue(event.exception_ids)

    # --- Adyen

    def adyen_batch(self, hex_key_second=ADYEN_HMAC_KEY):
        return adyen_body(
            adyen_item(
                "AUTHORISATION",
                "QFQTPCQ8HXSKGK82",
                10000,
                merchant_ref="INV/2024/00077",
            ),
            adyen_item(
                "AUTHORISATION",
                "NC6HT9CRT65ZGN82",
                4999,
                success="false",
                merchant_ref="INV/2024/00078",
                hex_key=hex_key_second,
            ),
        )

    def test_adyen_valid_batch_accepted(self):
        response = self.post(
            self.adyen, self.adyen_batch(), {"Content-Type": "application/json"}
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.text, "[accepted]")
        self.assertTrue(response.headers["Content-Type"].startswith("text/plain"))
        self.assertEqual(
            sorted(self.events(self.adyen).mapped("external_id")),
            [
                "NC6HT9CRT65ZGN82:AUTHORISATION:false",
                "QFQTPCQ8HXSKGK82:AUTHORISATION:true",
            ],
        )

    def test_adyen_batch_with_one_bad_item_is_refused_whole(self):
        response = self.post(
            self.adyen,
            self.adyen_batch(ADYEN_OTHER_KEY),
            {"Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 401)
        self.assertIn("item 1", response.json()["reason"])
        self.assertFalse(self.events(self.adyen))
        # tampered amount on a correctly signed item
        body = self.adyen_batch().replace(b'"value": 10000', b'"value": 1')
        self.assertEqual(self.post(self.adyen, body, {}).status_code, 401)
        self.assertFalse(self.events(self.adyen))

    def test_adyen_hmac_key_rotation(self):
        self.env["o2c.connection.secret"].create(
            {"connection_id": self.adyen.id, "name": "next", "secret": ADYEN_OTHER_KEY}
        )
        response = self.post(self.adyen, self.adyen_batch(ADYEN_OTHER_KEY), {})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(len(self.events(self.adyen)), 2)

    def test_adyen_basic_auth(self):
        self.adyen.write(
            {"pg_basic_auth": True, "username": "adyen_ws", "password": "s3cret-pass"}
        )

        def auth(user, password):
            token = base64.b64encode(f"{user}:{password}".encode()).decode()
            return {"Authorization": f"Basic {token}"}

        self.assertEqual(self.post(self.adyen, self.adyen_batch(), {}).status_code, 401)
        self.assertEqual(
            self.post(
                self.adyen, self.adyen_batch(), auth("adyen_ws", "wrong")
            ).status_code,
            401,
        )
        self.assertFalse(self.events(self.adyen))
        response = self.post(
            self.adyen, self.adyen_batch(), auth("adyen_ws", "s3cret-pass")
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.text, "[accepted]")

    def test_adyen_without_keys_refuses(self):
        self.adyen.webhook_secret_ids.unlink()
        response = self.post(self.adyen, self.adyen_batch(), {})
        self.assertEqual(response.status_code, 401)
        self.assertFalse(self.events(self.adyen))


@tagged("post_install", "-at_install")
class TestGatewayWebhookToPayment(GatewayCommon, HttpCase):
    """The whole path over real HTTP: signed POST -> stored event -> job -> payment."""

    def post_stripe(self, body):
        return self.url_open(
            f"/o2c/webhook/{self.stripe.webhook_key}",
            data=body,
            headers={
                "Stripe-Signature": stripe_header(body),
                "Content-Type": "application/json",
            },
        )

    def test_webhook_five_times_then_replayed_pays_the_invoice_once(self):
        invoice = self.make_invoice(215.40)
        body = json.dumps(
            stripe_payment_intent(77, 21540, invoice_ref=invoice.name)
        ).encode()
        Job = self.env["queue.job"].sudo()
        last_job = Job.search([], order="id desc", limit=1).id or 0
        answers = [self.post_stripe(body) for _i in range(5)]
        self.assertEqual([a.status_code for a in answers], [200] * 5)
        self.assertEqual([a.json()["duplicates"] for a in answers], [0, 1, 1, 1, 1])
        event = self.env["o2c.event"].search(
            [("connection_id", "=", self.stripe.id), ("direction", "=", "in")]
        )
        self.assertEqual(len(event), 1)
        self.assertEqual(event.state, "queued")
        # exactly one job was queued for the five deliveries
        jobs = Job.search([("id", ">", last_job), ("model_name", "=", "o2c.event")])
        self.assertEqual(jobs.mapped("uuid"), [event.job_uuid])
        self.assertEqual(event._job_process(), "done")
        self.assertEqual(invoice.payment_state, "paid")
        payment = invoice.matched_payment_ids
        self.assertRecordValues(
            payment,
            [
                {
                    "amount": 215.40,
                    "state": "paid",
                    "journal_id": self.stripe.pg_journal_id.id,
                }
            ],
        )
        # a sixth delivery after processing, then a replay by a manager
        self.assertEqual(self.post_stripe(body).json()["duplicates"], 1)
        with trap_jobs() as trap:
            event.action_replay()
            trap.assert_jobs_count(1)
            run_jobs(trap)
        self.assertEqual(event.state, "done", event.last_error)
        self.assertEqual(invoice.matched_payment_ids, payment)
        self.assertEqual(
            self.env["account.payment"].search_count([("memo", "like", "ch_test_77")]),
            1,
        )
