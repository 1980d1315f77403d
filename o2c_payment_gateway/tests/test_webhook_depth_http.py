# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Gateway webhooks nested thousands of levels deep, over real HTTP."""

import json

from odoo.tests import HttpCase, tagged

from odoo.addons.o2c_integration.lib.json_depth import DEFAULT_MAX_DEPTH
from odoo.addons.queue_job.tests.common import trap_jobs

from .common import GatewayTestMixin, stripe_header


@tagged("post_install", "-at_install")
class TestGatewayWebhookDepth(GatewayTestMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._pg_setup()

    def events(self, connection):
        return self.env["o2c.event"].search(
            [("connection_id", "=", connection.id), ("direction", "=", "in")]
        )

    def test_stripe_signed_body_nested_5000_deep_is_stored_failed_and_400(self):
        body = (
            b'{"id": "evt_deep", "object": "event", "type": "payment_intent.succeeded",'
            b' "data": {"object": ' + b"[" * 5000 + b"1" + b"]" * 5000 + b"}}"
        )
        headers = {
            "Stripe-Signature": stripe_header(body),
            "Content-Type": "application/json",
        }
        with trap_jobs() as trap:
            response = self.url_open(
                f"/o2c/webhook/{self.stripe.webhook_key}", data=body, headers=headers
            )
            trap.assert_jobs_count(0)
        self.assertEqual(response.status_code, 400, response.text)
        self.assertIn(
            f"stripe: JSON nested deeper than {DEFAULT_MAX_DEPTH} levels",
            response.json()["detail"],
        )
        event = self.events(self.stripe)
        self.assertEqual(len(event), 1)
        self.assertEqual(event.sudo().payload.encode(), body)
        self.assertEqual(event.state, "failed")
        self.assertIn("nested deeper than", event.last_error)
        self.assertTrue(event.exception_ids)
        self.assertTrue(event.payload_masked)

    def test_stripe_ordinary_event_still_accepted(self):
        body = json.dumps(
            {"id": "evt_flat", "object": "event", "type": "charge.updated", "data": {}}
        ).encode()
        response = self.url_open(
            f"/o2c/webhook/{self.stripe.webhook_key}",
            data=body,
            headers={
                "Stripe-Signature": stripe_header(body),
                "Content-Type": "application/json",
            },
        )
        self.assertEqual(response.status_code, 200, response.text)
