# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import json
from datetime import date

from odoo.tests import tagged

from odoo.addons.o2c_integration.tests.common import run_jobs
from odoo.addons.o2c_integration.tests.fake_http import FakeHTTPServer, FakeResponse
from odoo.addons.queue_job.tests.common import trap_jobs

from .common import CUSTOMER_IBAN, BankFeedCommon

MAPPING = {
    "path": "/v2/accounts/transactions",
    "transactions": "data.items",
    "id": "txId",
    "date": "booked",
    "amount": "amount.value",
    "currency": "amount.currency",
    "counterparty_name": "party.name",
    "counterparty_account": "party.iban",
    "remittance": "info",
    "next_cursor": "meta.next",
    "cursor_param": "after",
    "since_param": "from",
    "page_size": 2,
}


def _tx(tx_id, amount, info, day=3):
    return {
        "txId": tx_id,
        "booked": f"2026-03-{day:02d}T10:00:00Z",
        "amount": {"value": amount, "currency": "USD"},
        "party": {"name": "Azure Interior", "iban": CUSTOMER_IBAN},
        "info": info,
    }


@tagged("post_install", "-at_install")
class TestBankApi(BankFeedCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.invoice = cls.make_invoice(120)

    def setUp(self):
        super().setUp()
        self.server = FakeHTTPServer().start()
        self.addCleanup(self.server.stop)
        self.conn = self.env["o2c.connection"].create(
            {
                "name": "Demo Bank API",
                "connection_type": "bank_api",
                "base_url": self.server.url,
                "auth_method": "oauth2",
                "token_url": self.server.url + "/oauth/token",
                "client_id": "odoo-client",
                "client_secret": "s3cret",
                "retry_max_attempts": 3,
                "o2c_bank_journal_id": self.bank_journal.id,
                "o2c_bank_mapping": MAPPING,
                "o2c_bank_sync_from": date(2026, 3, 1),
            }
        )
        self.server.add(
            "POST",
            "/oauth/token",
            FakeResponse(200, json={"access_token": "tok-123", "expires_in": 3600}),
        )
        self.pages = {
            None: {
                "data": {
                    "items": [
                        _tx("T1", "120.00", self.invoice.name),
                        _tx("T2", "-15.00", "card fee"),
                    ]
                },
                "meta": {"next": "c2"},
            },
            "c2": {
                "data": {
                    "items": [
                        _tx("T3", "33.00", "unknown", 4),
                        _tx("T4", "44.00", "unknown too", 5),
                    ]
                },
                "meta": {"next": "c3"},
            },
            "c3": {
                "data": {"items": [_tx("T5", "55.00", "last one", 6)]},
                "meta": {"next": None},
            },
        }
        self.throttled = []

        def transactions(request):
            cursor = request.query.get("after")
            if cursor == "c2" and not self.throttled:
                self.throttled.append(request)
                return FakeResponse(
                    429, json={"error": "slow down"}, headers={"Retry-After": "0"}
                )
            return FakeResponse(200, json=self.pages[cursor])

        self.server.add("GET", MAPPING["path"], transactions)

    def _lines(self):
        return self.env["account.bank.statement.line"].search(
            [("journal_id", "=", self.bank_journal.id)]
        )

    def _pull(self):
        with trap_jobs() as trap:
            events = self.conn._o2c_bank_pull()
            run_jobs(trap)  # page events -> lines
            run_jobs(trap)  # reconciliation chunks
        return events

    def test_pull_paginates_through_429_and_dedupes_on_repull(self):
        events = self._pull()
        self.assertEqual(len(events), 3)
        self.assertEqual(set(events.mapped("event_type")), {"bank.transactions"})
        self.assertEqual(set(events.mapped("state")), {"done"})
        gets = self.server.requests_for("GET", MAPPING["path"])
        self.assertEqual([r.query.get("after") for r in gets], [None, "c2", "c2", "c3"])
        self.assertEqual(len(self.throttled), 1)
        self.assertTrue(
            all(r.headers.get("Authorization") == "Bearer tok-123" for r in gets)
        )
        self.assertEqual(gets[0].query.get("from"), "2026-03-01")
        self.assertEqual(gets[0].query.get("limit"), "2")
        lines = self._lines()
        self.assertEqual(
            sorted(lines.mapped("o2c_bank_reference")), ["T1", "T2", "T3", "T4", "T5"]
        )
        self.assertEqual(lines.partner_id, self.customer)
        self.assertEqual(self.invoice.payment_state, "paid")
        # bookmark: last cursor and last booking date
        self.assertEqual(self.conn.o2c_bank_cursor, "c3")
        self.assertEqual(self.conn.o2c_bank_last_date, date(2026, 3, 6))
        imports = self.env["o2c.bank.statement.import"].search(
            [("connection_id", "=", self.conn.id)]
        )
        self.assertEqual(len(imports), 3)
        self.assertEqual(set(imports.mapped("source")), {"api"})

        # A re-pull from scratch fetches the same pages: nothing is created twice.
        self.conn.action_o2c_bank_reset_bookmark()
        again = self._pull()
        self.assertEqual(again, events, "same pages, same events")
        self.assertEqual(len(self._lines()), 5)

        # A page that changed (one more transaction) creates only the new line.
        self.pages["c3"]["data"]["items"].append(_tx("T6", "66.00", "new", 7))
        self._pull()
        lines = self._lines()
        self.assertEqual(len(lines), 6)
        self.assertEqual(
            lines.filtered(lambda line: line.o2c_bank_reference == "T6").amount, 66.0
        )

    def test_cron_reports_a_failing_feed_and_keeps_stored_pages(self):
        self.server.add(
            "GET",
            MAPPING["path"],
            [
                FakeResponse(200, json=self.pages[None]),
                FakeResponse(503, json={"error": "maintenance"}),
            ],
        )
        with trap_jobs() as trap:
            self.env["o2c.connection"]._cron_o2c_bank_pull()
            trap.assert_jobs_count(1)  # the first page is stored and queued
        exc = self.env["o2c.exception"].search(
            [("dedup_key", "=", f"o2c.bank.pull:{self.conn.id}")]
        )
        self.assertEqual(exc.category, "connection_down")
        self.assertEqual(exc.state, "new")
        self.assertIn("503", exc.description)
        # the bookmark points after the stored page: the next run resumes there
        self.assertEqual(self.conn.o2c_bank_cursor, "c2")
        self.server.add(
            "GET",
            MAPPING["path"],
            lambda request: FakeResponse(
                200, json=self.pages[request.query.get("after")]
            ),
        )
        with trap_jobs():
            self.env["o2c.connection"]._cron_o2c_bank_pull()
        self.assertEqual(self.conn.o2c_bank_cursor, "c3")
        self.assertEqual(exc.state, "resolved")

    def test_unreadable_transaction_fails_the_event_with_a_mapping_exception(self):
        broken = {
            "data": {
                "items": [
                    {
                        "txId": "X1",
                        "booked": "2026-03-03",
                        "amount": {"value": "twelve"},
                    }
                ]
            },
            "meta": {"next": None},
        }
        event, _created = self.env["o2c.event"]._store_inbound(
            self.conn,
            "bank.transactions",
            "page:broken",
            json.dumps(broken),
            enqueue=False,
        )
        self.assertEqual(event._job_process(), "failed")
        self.assertIn("twelve", event.last_error)
        exc = event.exception_ids
        self.assertEqual(exc.category, "mapping")
