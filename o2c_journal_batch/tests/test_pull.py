# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Scheduled pull of journal batches from a source's API (local fake server)."""

from odoo.addons.o2c_integration.tests.common import run_jobs
from odoo.addons.o2c_integration.tests.fake_http import FakeHTTPServer, FakeResponse
from odoo.addons.queue_job.tests.common import trap_jobs

from .common import JournalBatchCommon


class TestJournalPull(JournalBatchCommon):
    def setUp(self):
        super().setUp()
        self.server = FakeHTTPServer().start()
        self.addCleanup(self.server.stop)
        self.source.sudo().write(
            {
                "base_url": self.server.url,
                "retry_max_attempts": 4,
                "retry_backoff_base": 0,
                "retry_backoff_cap": 0,
            }
        )
        self.p2_calls = []

        def batches(request):
            cursor = request.query.get("cursor")
            if cursor is None:
                return FakeResponse(
                    200,
                    json={
                        "batches": [
                            dict(
                                self.batch_doc(batch_id="PAY-A"),
                                updated_at="2026-12-01T08:00:00Z",
                            ),
                            dict(
                                self.batch_doc(batch_id="PAY-B"),
                                updated_at="2026-12-01T09:00:00Z",
                            ),
                        ],
                        "next": "/journal-batches?cursor=p2",
                    },
                )
            self.p2_calls.append(request)
            if len(self.p2_calls) == 1:
                return FakeResponse(
                    429, json={"error": "slow down"}, headers={"Retry-After": "0"}
                )
            if len(self.p2_calls) == 2:
                return FakeResponse(500, json={"error": "boom"})
            return FakeResponse(
                200,
                json={
                    "batches": [
                        dict(
                            self.batch_doc(batch_id="PAY-C"),
                            updated_at="2026-12-02T07:00:00Z",
                        )
                    ],
                    "next": None,
                },
            )

        self.server.add("GET", "/journal-batches", batches)

    def test_pull_paginates_through_429_and_500(self):
        with trap_jobs() as trap:
            events = self.source._jb_pull()
            run_jobs(trap)
        self.assertEqual(len(events), 3)
        self.assertEqual(set(events.mapped("state")), {"done"})
        batches = self.env["o2c.journal.batch"].search(
            [("connection_id", "=", self.source.id)]
        )
        self.assertEqual(
            sorted(batches.mapped("batch_ref")), ["PAY-A", "PAY-B", "PAY-C"]
        )
        self.assertEqual(set(batches.mapped("state")), {"posted"})
        self.assertEqual(len(self.p2_calls), 3)  # 429, 500, then the page
        self.assertEqual(self.source.jb_pull_bookmark, "2026-12-02T07:00:00Z")
        # the next pull asks for what changed after the bookmark; nothing twice
        self.server.add(
            "GET",
            "/journal-batches",
            [
                FakeResponse(
                    200,
                    json={
                        "batches": [
                            dict(
                                self.batch_doc(batch_id="PAY-C"),
                                updated_at="2026-12-02T07:00:00Z",
                            )
                        ],
                        "next": None,
                    },
                )
            ],
        )
        self.server.clear_requests()
        with trap_jobs() as trap:
            self.source._jb_pull()
            run_jobs(trap)
        (request,) = self.server.requests
        self.assertEqual(request.query.get("updated_after"), "2026-12-02T07:00:00Z")
        self.assertEqual(
            self.env["o2c.journal.batch"].search_count([("batch_ref", "=", "PAY-C")]), 1
        )

    def test_next_page_on_another_host_is_refused(self):
        self.server.add(
            "GET",
            "/journal-batches",
            [
                FakeResponse(
                    200,
                    json={
                        "batches": [self.batch_doc(batch_id="PAY-X")],
                        "next": "https://attacker.example/steal",
                    },
                )
            ],
        )
        with trap_jobs():
            self.env["o2c.connection"]._cron_jb_pull()
        exc = self.env["o2c.exception"].search(
            [("dedup_key", "=", f"o2c.journal.pull:{self.source.id}")]
        )
        self.assertEqual(exc.category, "connection_down")
        self.assertIn("another host", exc.description)
        self.assertEqual(len(self.server.requests), 1)


class TestJournalNeutralized(JournalBatchCommon):
    def test_neutralized_copy_never_pulls(self):
        from odoo.modules.neutralize import neutralize_database

        server = FakeHTTPServer().start()
        self.addCleanup(server.stop)
        server.add("GET", "/journal-batches", [FakeResponse(200, json={"batches": []})])
        self.source.sudo().base_url = server.url
        cron = self.env.ref("o2c_journal_batch.ir_cron_o2c_journal_pull")
        self.assertTrue(cron.active)
        neutralize_database(self.env.cr)
        self.env.invalidate_all()
        self.assertFalse(cron.active)
        with trap_jobs():
            self.env["o2c.connection"]._cron_jb_pull()
        self.assertEqual(server.requests, [])
