# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Orders pushed to the real signed webhook endpoint, down to the posted invoice."""

import json
import re

from odoo.tests import HttpCase, tagged
from odoo.tools import config

from odoo.addons.queue_job.tests.common import trap_jobs

from .test_order_common import O2cOrderCase, make_order


@tagged("post_install", "-at_install")
class TestOrderWebhook(O2cOrderCase, HttpCase):
    def setUp(self):
        super().setUp()
        # senders carry no session: the database is selected by the dbfilter
        previous = config["dbfilter"]
        config["dbfilter"] = f"^{re.escape(self.env.cr.dbname)}$"
        self.addCleanup(config.__setitem__, "dbfilter", previous)
        self.url = f"/o2c/webhook/{self.connection.webhook_key}"

    def push(self, doc, headers=None):
        body = json.dumps(doc).encode()
        return self.url_open(
            self.url,
            data=body,
            headers=headers if headers is not None else self.signed_headers(body),
            method="POST",
            timeout=30,
        )

    def order_events(self):
        return self.env["o2c.event"].search(
            [("connection_id", "=", self.connection.id), ("direction", "=", "in")]
        )

    def test_signed_order_pushed_five_times_gives_one_posted_invoice(self):
        doc = make_order("push-1")
        with trap_jobs() as trap:
            answers = [self.push(doc) for _i in range(5)]
            self.assertEqual([a.status_code for a in answers], [200] * 5)
            self.assertEqual(sum(a.json()["duplicates"] for a in answers), 4)
            trap.assert_jobs_count(1)
            event = self.order_events()
            self.assertEqual(len(event), 1)
            self.assertEqual(event.event_type, "order.created")
            self.assertTrue(event.external_id.startswith("order:push-1:"))
            # the trapped job holds the request's (closed) cursor: run it here
            event._job_process()
        self.assertEqual(event.state, "done", event.last_error)
        sale = self.sale_orders("push-1")
        self.assertEqual(len(sale), 1)
        self.assertRecordValues(
            sale.invoice_ids,
            [{"state": "posted", "amount_untaxed": 55.98, "amount_total": 64.38}],
        )
        self.assertEqual(
            self.env["res.partner"].search_count([("vat", "=", "BE0477472701")]), 1
        )

    def test_unsigned_order_is_refused_and_nothing_stored(self):
        with trap_jobs() as trap:
            answer = self.push(make_order("push-2"), headers={})
            trap.assert_jobs_count(0)
        self.assertEqual(answer.status_code, 401, answer.text)
        self.assertFalse(self.order_events())
        self.assertFalse(self.sale_orders("push-2"))

    def test_invalid_order_is_stored_and_fails_with_its_violations(self):
        doc = make_order("push-3")
        doc["lines"][0]["unit_price"] = "-1"
        doc["customer"]["email"] = "not-an-email"
        with trap_jobs() as trap:
            answer = self.push(doc)
            self.assertEqual(answer.status_code, 200, answer.text)
            trap.assert_jobs_count(1)
        event = self.order_events()
        event._job_process()
        self.assertEqual(event.state, "failed")
        paths = {v[0] for v in event.exception_ids.details["violations"]}
        self.assertEqual(paths, {"lines[0].unit_price", "customer.email"})
        self.assertFalse(self.sale_orders("push-3"))
