# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Status back to the source (a fake CRM): success, retries, dead letter, replay."""

import json
import re
from pathlib import Path

from odoo.addons.queue_job.tests.common import trap_jobs

from .common import run_jobs
from .fake_http import FakeResponse
from .test_order_common import O2cOrderCase, make_order

STATUS_PATH = "/crm/orders/shop-1001/status"


class TestOrderStatus(O2cOrderCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.crm = cls._o2c_fake_source(
            order_status_path="/crm/orders/{external_id}/status"
        )

    def setUp(self):
        super().setUp()
        self.crm.reset()

    def status_events(self, external_id="shop-1001"):
        return self.env["o2c.event"].search(
            [
                ("event_type", "=", "status.out"),
                ("external_id", "=like", f"status:{external_id}:%"),
            ],
            order="id",
        )

    def statuses(self, events):
        return [event.external_id.split(":")[2] for event in events]

    def test_status_updates_reach_the_crm_including_payments(self):
        self.crm.add("POST", STATUS_PATH, FakeResponse(200, json={"ok": True}))
        with trap_jobs() as trap:
            self.process(make_order())
            events = self.status_events()
            self.assertEqual(self.statuses(events), ["confirmed", "invoiced"])
            trap.assert_jobs_count(2)
            run_jobs(trap)
        self.assertEqual(events.mapped("state"), ["done", "done"])
        sent = self.crm.requests_for("POST", STATUS_PATH)
        self.assertEqual([r.json()["status"] for r in sent], ["confirmed", "invoiced"])
        self.assertEqual([r.json()["sequence"] for r in sent], [1, 2])
        self.assertEqual(sent[1].headers["Idempotency-Key"], "shop-1001:invoiced:2")
        invoice = self.sale_orders().invoice_ids
        self.assertEqual(sent[1].json()["invoice"]["number"], invoice.name)
        self.assertEqual(sent[1].json()["invoice"]["amount_total"], "64.38")
        outbound = self.env["o2c.event"].search(
            [("direction", "=", "out"), ("event_type", "=", "status.out")]
        )
        self.assertEqual(outbound.mapped("http_status"), [200, 200])
        # payments: the transitions are queued when the transaction commits (precommit)
        self._register_payment(invoice, amount=30.0)
        self.env.cr.flush()
        self._register_payment(invoice, amount=34.38)
        self.env.cr.flush()
        self.assertEqual(invoice.payment_state, "paid")
        events = self.status_events()
        self.assertEqual(
            self.statuses(events), ["confirmed", "invoiced", "partially_paid", "paid"]
        )
        for event in events[2:]:
            event._job_process()
        bodies = [r.json() for r in self.crm.requests_for("POST", STATUS_PATH)]
        self.assertEqual([b["status"] for b in bodies[2:]], ["partially_paid", "paid"])
        self.assertEqual(
            [b["invoice"]["amount_residual"] for b in bodies[2:]], ["34.38", "0.00"]
        )
        # nothing changed: nothing more to send, even for the safety-net cron
        self.env["account.move"]._cron_o2c_status_drift()
        self.env.cr.flush()
        self.assertEqual(len(self.status_events()), 4)
        # payments unreconciled: back to "invoiced"; then a full credit note: "reversed"
        invoice.line_ids.remove_move_reconcile()
        self.env.cr.flush()
        self.assertEqual(self.statuses(self.status_events())[-1], "invoiced")
        invoice._reverse_moves(cancel=True)
        self.env.cr.flush()
        self.assertEqual(invoice.payment_state, "reversed")
        self.assertEqual(
            self.statuses(self.status_events())[-2:], ["invoiced", "reversed"]
        )
        for event in self.status_events()[4:]:
            event._job_process()
            self.assertEqual(event.state, "done", event.last_error)
        bodies = [r.json() for r in self.crm.requests_for("POST", STATUS_PATH)]
        self.assertEqual(
            [b["status"] for b in bodies],
            ["confirmed", "invoiced", "partially_paid", "paid", "invoiced", "reversed"],
        )
        self.assertEqual([b["sequence"] for b in bodies], [1, 2, 3, 4, 5, 6])
        self.assertEqual(bodies[-1]["invoice"]["payment_state"], "reversed")

    def test_status_body_is_the_documented_format(self):
        readme = Path(__file__).resolve().parents[1] / "readme" / "ORDER_FORMAT.md"
        examples = re.findall(r"```json\n(.*?)```", readme.read_text(), re.S)
        [documented] = [json.loads(e) for e in examples if '"order_external_id"' in e]
        self.crm.add("POST", STATUS_PATH, FakeResponse(200, json={}))
        self.process(make_order())
        for event in self.status_events():
            event._job_process()
        sent = self.crm.requests_for("POST", STATUS_PATH)[-1].json()
        self.assertEqual(sent["status"], "invoiced")
        self.assertEqual(set(sent), set(documented))
        self.assertEqual(set(sent["invoice"]), set(documented["invoice"]))
        self.assertEqual(sent["schema_version"], documented["schema_version"])

    def test_retry_on_500_then_done(self):
        self.crm.add(
            "POST",
            STATUS_PATH,
            [FakeResponse(500), FakeResponse(500), FakeResponse(200, json={})],
        )
        self.process(make_order())
        event = self.status_events()[0]
        with trap_jobs() as trap:
            event._job_process()
            self.assertRecordValues(
                event, [{"state": "queued", "attempts": 1, "error_kind": "transient"}]
            )
            event._job_process()
            self.assertEqual(event.state, "queued")
            event._job_process()
            trap.assert_jobs_count(2)  # the two retries were scheduled
        self.assertRecordValues(event, [{"state": "done", "attempts": 3}])
        sent = self.crm.requests_for("POST", STATUS_PATH)
        self.assertEqual(len(sent), 3)
        self.assertEqual(
            {r.headers["Idempotency-Key"] for r in sent}, {"shop-1001:confirmed:1"}
        )

    def test_dead_letter_when_crm_stays_down_then_replay(self):
        self.crm.add("POST", STATUS_PATH, FakeResponse(500))
        self.process(make_order())
        event = self.status_events()[0]
        with trap_jobs():
            for _attempt in range(3):  # retry_max_attempts of the test connection
                event._job_process()
        self.assertEqual(event.state, "dead")
        exc = event.exception_ids
        self.assertEqual(exc.category, "dead_letter")
        self.assertEqual(exc.severity, "high")
        self.assertEqual(len(self.crm.requests_for("POST", STATUS_PATH)), 3)
        # the CRM is back: a manager retries the dead letter
        self.crm.add("POST", STATUS_PATH, FakeResponse(200, json={}))
        with trap_jobs() as trap:
            event.action_retry()
            run_jobs(trap)
        self.assertEqual(event.state, "done")
        self.assertEqual(exc.state, "resolved")
        self.assertEqual(len(self.crm.requests_for("POST", STATUS_PATH)), 4)

    def test_held_and_released_are_sent(self):
        self.crm.add("POST", STATUS_PATH, FakeResponse(200, json={}))
        partner = self.env["res.partner"].create(
            {"name": "Acme", "vat": "BE0477472701"}
        )
        partner.credit_limit = 10.0
        self.process(make_order())
        sale = self.sale_orders()
        self.assertEqual(self.statuses(self.status_events()), ["held"])
        sale._o2c_release_credit_hold("paid upfront")
        self.assertEqual(
            self.statuses(self.status_events()), ["held", "released", "invoiced"]
        )
        for event in self.status_events():
            event._job_process()
        bodies = [r.json() for r in self.crm.requests_for("POST", STATUS_PATH)]
        self.assertTrue(bodies[0]["credit_hold"])
        self.assertIn("credit limit", bodies[0]["reason"])
        self.assertEqual(bodies[1]["reason"], "paid upfront")
        self.assertEqual(bodies[1]["order_state"], "sale")
