# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""A validly signed body nested thousands of levels deep, over real HTTP."""

import re

from odoo.tests import HttpCase, tagged
from odoo.tools import config

from odoo.addons.queue_job.tests.common import trap_jobs

from ..lib.json_depth import DEFAULT_MAX_DEPTH
from .common import O2cTestMixin


def deep_object(levels):
    """``{"id": "evt_deep", "type": "x", "a": {"a": ... 1 ...}}``, ``levels`` deep."""
    return (
        b'{"id": "evt_deep", "type": "order.created", "a": '
        + b'{"a": ' * (levels - 1)
        + b"1"
        + b"}" * levels
    )


@tagged("post_install", "-at_install")
class TestWebhookDepth(O2cTestMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._o2c_setup()
        cls.url = f"/o2c/webhook/{cls.connection.webhook_key}"

    def setUp(self):
        super().setUp()
        previous = config["dbfilter"]
        config["dbfilter"] = f"^{re.escape(self.env.cr.dbname)}$"
        self.addCleanup(config.__setitem__, "dbfilter", previous)

    def _post(self, body):
        return self.url_open(
            self.url,
            data=body,
            headers=self.signed_headers(body),
            method="POST",
            timeout=30,
        )

    def _events(self):
        return self.env["o2c.event"].search(
            [("connection_id", "=", self.connection.id)]
        )

    def test_signed_body_nested_5000_deep_is_stored_failed_and_400(self):
        body = deep_object(5000)
        with trap_jobs() as trap:
            response = self._post(body)
            trap.assert_jobs_count(0)
        self.assertEqual(response.status_code, 400, response.text)
        answer = response.json()
        self.assertEqual(answer["error"], "malformed payload")
        self.assertIn(
            f"nested deeper than {DEFAULT_MAX_DEPTH} levels", answer["detail"]
        )
        event = self._events()
        self.assertEqual(len(event), 1)
        # nothing lost: the authenticated body is kept byte for byte, marked failed
        self.assertEqual(event.sudo().payload, body.decode())
        self.assertEqual(event.state, "failed")
        self.assertIn("nested deeper than", event.last_error)
        self.assertEqual(event.exception_ids.category, "validation")
        # the stored event can be opened: its masked view does not recurse either
        self.assertTrue(event.payload_masked)
        # a redelivery is acknowledged as the same failed event, not stored twice
        self.assertEqual(self._post(body).status_code, 400)
        self.assertEqual(len(self._events()), 1)

    def test_depth_at_the_bound_is_accepted(self):
        body = deep_object(DEFAULT_MAX_DEPTH - 1)  # plus the envelope: the bound
        with trap_jobs() as trap:
            response = self._post(body)
            trap.assert_jobs_count(1)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(self._events().state, "queued")
