# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The same batch delivered concurrently by committing workers: one entry.

Like the backbone's concurrency tests, these commit on purpose; every code is unique
per run so reruns on the same database stay valid.
"""

import json
import threading
import uuid

import psycopg2

from odoo import SUPERUSER_ID, api
from odoo.tests import TransactionCase

from odoo.addons.o2c_integration.tests.common import O2cTestMixin

from ..models.o2c_connection import BATCH_EVENT, batch_external_id


class TestConcurrentBatches(O2cTestMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._o2c_setup_keys()
        cls.run_id = uuid.uuid4().hex[:8]
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            journal = env["account.journal"].search(
                [("type", "=", "general"), ("company_id", "=", env.company.id)], limit=1
            )
            for code, kind in (("EXP", "expense"), ("PAY", "liability_current")):
                env["account.account"].create(
                    {
                        "name": f"{code} {cls.run_id}",
                        "code": f"C{code}{cls.run_id}",
                        "account_type": kind,
                    }
                )
            cls.source_id = (
                env["o2c.connection"]
                .create(
                    {
                        "name": f"Payroll {cls.run_id}",
                        "connection_type": "journal",
                        "jb_journal_id": journal.id,
                        "jb_auto_post_limit": 1e9,
                    }
                )
                .id
            )

    def test_same_batch_delivered_by_two_workers_posts_once(self):
        document = {
            "format_version": "1.0",
            "source_system": "payroll",
            "batch_id": f"CONC-{self.run_id}",
            "date": "2026-11-30",
            "currency": "USD",
            "lines": [
                {"account": f"CEXP{self.run_id}", "label": "wages", "debit": "100.00"},
                {"account": f"CPAY{self.run_id}", "label": "net", "credit": "100.00"},
            ],
        }
        barrier = threading.Barrier(2)
        results = {}

        def worker(key):
            try:
                with self.registry.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    source = env["o2c.connection"].browse(self.source_id)
                    barrier.wait(10)
                    event, created = env["o2c.event"]._store_inbound(
                        source,
                        BATCH_EVENT,
                        batch_external_id(document),
                        json.dumps(document),
                        enqueue=False,
                    )
                    cr.commit()
                    if created:
                        results[key] = event._job_process()
                    else:
                        results[key] = "duplicate"
            except Exception as exc:  # reported by the assertion below
                results[key] = exc

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        self.assertEqual(sorted(results.values()), ["done", "duplicate"], results)
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            batches = env["o2c.journal.batch"].search(
                [("batch_ref", "=", document["batch_id"])]
            )
            self.assertEqual(len(batches), 1)
            self.assertEqual(batches.state, "posted")
            self.assertEqual(
                env["account.move"].search_count([("ref", "=", batches.name)]), 1
            )

    def test_batch_version_unique_in_the_database(self):
        """Two events for one batch version (a replayed copy): the second is refused."""
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            source = env["o2c.connection"].browse(self.source_id)
            vals = {
                "connection_id": source.id,
                "company_id": source.company_id.id,
                "batch_ref": f"UNIQ-{self.run_id}",
                "version": 1,
                "date": "2026-11-30",
            }
            env["o2c.journal.batch"].create(vals)
            with self.assertRaises(psycopg2.errors.UniqueViolation), cr.savepoint():
                env["o2c.journal.batch"].create(vals)
                env.flush_all()
