# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Approve and reject journal batches in a real browser."""

import json

from odoo.tests import HttpCase, tagged

from odoo.addons.o2c_integration.tests.common import O2cTestMixin

from ..models.o2c_connection import BATCH_EVENT, batch_external_id


@tagged("post_install", "-at_install")
class TestJournalBatchTour(O2cTestMixin, HttpCase):
    def test_approve_and_reject_in_the_browser(self):
        self._o2c_setup_keys()
        env = self.env
        journal = env["account.journal"].search(
            [("type", "=", "general"), ("company_id", "=", env.company.id)], limit=1
        )
        for code, kind in (("TOUR6410", "expense"), ("TOUR4210", "liability_current")):
            env["account.account"].create(
                {"name": code, "code": code, "account_type": kind}
            )
        source = env["o2c.connection"].create(
            {
                "name": "Tour payroll",
                "connection_type": "journal",
                "jb_journal_id": journal.id,
                "jb_auto_post_limit": 0,
            }
        )
        batches = {}
        for ref in ("TOUR-APPROVE", "TOUR-REJECT"):
            document = {
                "format_version": "1.0",
                "source_system": "payroll",
                "batch_id": ref,
                "date": "2026-11-30",
                "currency": env.company.currency_id.name,
                "lines": [
                    {"account": "TOUR6410", "label": "wages", "debit": "150.00"},
                    {"account": "TOUR4210", "label": "net", "credit": "150.00"},
                ],
            }
            event, _created = env["o2c.event"]._store_inbound(
                source,
                BATCH_EVENT,
                batch_external_id(document),
                json.dumps(document),
                enqueue=False,
            )
            event._job_process()
            batches[ref] = env["o2c.journal.batch"].search(
                [("event_id", "=", event.id)]
            )
            self.assertEqual(batches[ref].state, "to_approve")
        self.start_tour(
            "/odoo/action-o2c_journal_batch.o2c_journal_batch_action",
            "o2c_journal_batch_tour",
            login="admin",
        )
        admin = env.ref("base.user_admin")
        approved, rejected = batches["TOUR-APPROVE"], batches["TOUR-REJECT"]
        self.assertEqual(approved.state, "posted")
        self.assertEqual(approved.approved_by_id, admin)
        self.assertEqual(approved.move_id.state, "posted")
        self.assertEqual(rejected.state, "rejected")
        self.assertEqual(rejected.rejection_reason, "Wrong cost centres")
        self.assertFalse(rejected.move_id)
