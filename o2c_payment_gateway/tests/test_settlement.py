# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Payouts: balance transactions pulled from a fake Stripe API, Adyen reports."""

import base64

from odoo import Command
from odoo.tests import tagged

from odoo.addons.o2c_integration.tests.common import run_jobs
from odoo.addons.o2c_integration.tests.fake_http import FakeResponse
from odoo.addons.queue_job.tests.common import trap_jobs

from .common import (
    STRIPE_API_KEY,
    GatewayCommon,
    adyen_body,
    adyen_item,
    serve_balance_transactions,
    stripe_busy_payout,
    stripe_payout,
)

PAYOUT = "po_test_1PTb0aLkdIwHu7ix"
PAGE_SIZE = 30


@tagged("post_install", "-at_install")
class TestGatewaySettlement(GatewayCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._pg_start_fake_stripe_api()

    def setUp(self):
        super().setUp()
        self.server.reset()

    def _busy_payout(self, first=100, charges=50, refunds=3):
        payout = stripe_busy_payout(PAYOUT, first, charges, refunds)
        return (
            payout["amounts"],
            payout["fees"],
            payout["refunded"],
            payout["net"],
            payout["txns"],
        )

    def _serve_pages(self, txns, payout_id=PAYOUT):
        return serve_balance_transactions(self.server, txns, payout_id, PAGE_SIZE)

    # --- tests

    def test_payout_with_50_charges_3_refunds_and_fees(self):
        amounts, fees, refunded, net, txns = self._busy_payout()
        self.book_stripe_charges(100, amounts)
        for i, amount in enumerate(refunded):
            self.book_stripe_refund(100 + i, amount)
        clearing = self.stripe.pg_journal_id.default_account_id
        transit = self.stripe.pg_transit_account_id
        self.assertAlmostEqual(
            self.account_balance(clearing), (sum(amounts) - sum(refunded)) / 100
        )
        pages = self._serve_pages(txns)
        self.assertEqual(len(pages), 2)

        event = self.process(self.stripe, stripe_payout(PAYOUT, net))
        self.assertEqual(event.state, "done", event.last_error)
        # two pages pulled through the connection (auth, cursor, expansion)
        calls = self.server.requests
        self.assertEqual(len(calls), 2)
        self.assertEqual(calls[0].headers["Authorization"], f"Bearer {STRIPE_API_KEY}")
        self.assertEqual(calls[0].query_lists["expand[]"], ["data.source"])
        self.assertEqual(calls[0].query["limit"], "100")
        self.assertNotIn("starting_after", calls[0].query)
        self.assertEqual(calls[1].query["starting_after"], pages[0][-1]["id"])

        settlement = self.env["o2c.gateway.settlement"].search(
            [("payout_id", "=", PAYOUT)]
        )
        total_fees = (sum(fees) + 200) / 100
        self.assertRecordValues(
            settlement,
            [
                {
                    "state": "booked",
                    "connection_id": self.stripe.id,
                    "gross": sum(amounts) / 100,
                    "fees": total_fees,
                    "refunds": sum(refunded) / 100,
                    "disputes": 0.0,
                    "adjustments": 0.0,
                    "net": net / 100,
                    "difference": 0.0,
                    "bank_reference": PAYOUT,
                }
            ],
        )
        self.assertEqual(len(settlement.line_ids), 54)
        self.assertEqual(len(settlement.line_ids.filtered("transaction_id")), 53)
        self.assertEqual(len(settlement.transaction_ids), 53)
        self.assertEqual(set(settlement.transaction_ids.mapped("state")), {"settled"})

        move = settlement.move_id
        self.assertRecordValues(
            move,
            [
                {
                    "state": "posted",
                    "ref": PAYOUT,
                    "journal_id": self.stripe.pg_journal_id.id,
                }
            ],
        )
        by_account = {line.account_id: line for line in move.line_ids}
        self.assertAlmostEqual(
            by_account[self.stripe.pg_fee_account_id].balance, total_fees
        )
        self.assertAlmostEqual(by_account[transit].balance, net / 100)
        self.assertEqual(by_account[transit].name, PAYOUT)
        self.assertAlmostEqual(by_account[clearing].balance, -(total_fees + net / 100))
        # ONE open item on the transit account: the payout, for the bank feed
        open_items = self.env["account.move.line"].search(
            [
                ("account_id", "=", transit.id),
                ("reconciled", "=", False),
                ("parent_state", "=", "posted"),
            ]
        )
        self.assertEqual(len(open_items), 1)
        self.assertEqual(open_items.name, PAYOUT)
        self.assertAlmostEqual(open_items.amount_residual, net / 100)
        # the gateway holds nothing more for these transactions
        self.assertAlmostEqual(self.account_balance(clearing), 0.0)

        # replayed / redelivered: nothing pulled, nothing booked again
        with trap_jobs() as trap:
            event.action_replay()
            run_jobs(trap)
        self.process(self.stripe, stripe_payout(PAYOUT, net))
        self.assertEqual(event.state, "done")
        self.assertEqual(len(self.server.requests), 2)
        self.assertEqual(
            self.env["account.move"].search_count([("ref", "=", PAYOUT)]), 1
        )

        # the bank feed reconciles the transit item: the payout is matched
        bank = self.company_data["default_journal_bank"]
        receipt = self.env["account.move"].create(
            {
                "move_type": "entry",
                "journal_id": bank.id,
                "ref": PAYOUT,
                "line_ids": [
                    Command.create(
                        {
                            "account_id": bank.default_account_id.id,
                            "balance": net / 100,
                            "name": PAYOUT,
                        }
                    ),
                    Command.create(
                        {
                            "account_id": transit.id,
                            "balance": -net / 100,
                            "name": PAYOUT,
                        }
                    ),
                ],
            }
        )
        receipt.action_post()
        (
            open_items
            | receipt.line_ids.filtered(lambda line: line.account_id == transit)
        ).reconcile()
        self.assertEqual(settlement.state, "matched")

    def test_payout_waits_for_unknown_charges(self):
        amounts, _fees, _refunded, net, txns = self._busy_payout(
            first=200, charges=3, refunds=0
        )
        self.book_stripe_charges(200, amounts[:2])
        self._serve_pages(txns)
        with trap_jobs() as trap:
            event = self.process(self.stripe, stripe_payout(PAYOUT, net))
            self.assertEqual(event.state, "queued")
            self.assertIn("ch_test_202", event.last_error)
            self.assertFalse(event.exception_ids)
            self.assertFalse(
                self.env["o2c.gateway.settlement"].search([("payout_id", "=", PAYOUT)])
            )
            self.book_stripe_charges(202, amounts[2:])
            run_jobs(trap)
        self.assertEqual(event.state, "done", event.last_error)
        settlement = self.env["o2c.gateway.settlement"].search(
            [("payout_id", "=", PAYOUT)]
        )
        self.assertEqual(settlement.state, "booked")

    def test_payout_that_does_not_add_up(self):
        amounts, _fees, _refunded, net, txns = self._busy_payout(
            first=300, charges=2, refunds=0
        )
        self.book_stripe_charges(300, amounts)
        self._serve_pages(txns)
        event = self.process(self.stripe, stripe_payout(PAYOUT, net + 1))
        self.assertEqual(event.state, "done")
        settlement = self.env["o2c.gateway.settlement"].search(
            [("payout_id", "=", PAYOUT)]
        )
        self.assertRecordValues(
            settlement, [{"state": "pending", "move_id": False, "difference": -0.01}]
        )
        self.assertIn("difference", settlement.check_note)
        exc = self.env["o2c.exception"].search(
            [("res_model", "=", settlement._name), ("res_id", "=", settlement.id)]
        )
        self.assertRecordValues(
            exc, [{"category": "amount_mismatch", "amount": 0.01, "severity": "high"}]
        )
        # nothing in transit for an unchecked payout
        self.assertFalse(
            self.env["account.move.line"].search(
                [("account_id", "=", self.stripe.pg_transit_account_id.id)]
            )
        )

    def test_api_timeout_and_429_then_dead_letter_then_replay(self):
        amounts, _fees, _refunded, net, txns = self._busy_payout(
            first=400, charges=2, refunds=0
        )
        self.book_stripe_charges(400, amounts)
        self.stripe.retry_max_attempts = 2
        self.server.add(
            "GET",
            "/v1/balance_transactions",
            [
                FakeResponse(delay=1.0, json={"object": "list", "data": []}),
                FakeResponse(
                    429,
                    json={"error": {"type": "rate_limit_error"}},
                    headers={"Retry-After": "1"},
                ),
            ],
        )
        with trap_jobs() as trap:
            event = self.process(self.stripe, stripe_payout(PAYOUT, net))
            self.assertEqual(event.state, "queued")  # first attempt: retried later
            self.assertEqual(event.error_kind, "transient")
            self.assertIn("429", event.last_error)
            run_jobs(trap)
        self.assertEqual(event.state, "dead")
        self.assertEqual(event.attempts, 2)
        dead = event.exception_ids
        self.assertEqual(dead.category, "dead_letter")
        # 2 attempts of the event x 2 inline tries of the client: timeout, then 429s
        # (their outbound log rows commit on their own cursor in production; in a
        # test they are savepoints rolled back with the failed handler)
        self.assertEqual(len(self.server.requests), 4)
        self.assertFalse(
            self.env["o2c.gateway.settlement"].search([("payout_id", "=", PAYOUT)])
        )
        # the API is back: replay from the dead-letter queue
        self._serve_pages(txns)
        with trap_jobs() as trap:
            event.action_retry()
            run_jobs(trap)
        self.assertEqual(event.state, "done", event.last_error)
        self.assertEqual(dead.state, "resolved")
        settlement = self.env["o2c.gateway.settlement"].search(
            [("payout_id", "=", PAYOUT)]
        )
        self.assertEqual(settlement.state, "booked")


ADYEN_REPORT = """\
Company Account,Merchant Account,Psp Reference,Merchant Reference,Payment Method,\
Creation Date,TimeZone,Type,Modification Reference,Gross Currency,Gross Debit (GC),\
Gross Credit (GC),Exchange Rate,Net Currency,Net Debit (NC),Net Credit (NC),\
Commission (NC),Markup (NC),Scheme Fees (NC),Interchange (NC),Payment Method Variant,\
Modification Merchant Reference,Batch Number
O2CSuite,O2CShopEUR,QFQTPCQ8HXSKGK82,{inv1},visa,2024-06-17 14:10:02,CEST,Settled,\
T4XG8P2MZ5QWKR82,USD,,100.00,1,USD,,98.05,,0.45,0.20,1.30,visacredit,,41
O2CSuite,O2CShopEUR,R2KD7P4XQ8MZTW82,{inv2},mc,2024-06-17 15:20:44,CEST,Settled,\
B6NQ3W9LK2XJRT82,USD,,250.00,1,USD,,245.60,,1.10,0.50,2.80,mccredit,,41
O2CSuite,O2CShopEUR,R2KD7P4XQ8MZTW82,{inv2},mc,2024-06-18 09:15:00,CEST,Refunded,\
E5TQ2W8MK3XZRP82,USD,30.00,,1,USD,30.00,,,,,,mccredit,,41
O2CSuite,O2CShopEUR,,,,2024-06-19 04:55:40,CEST,Fee,Transaction Fees June 2024,,,,,\
USD,1.20,,,,,,,,41
O2CSuite,O2CShopEUR,,,,2024-06-19 05:00:00,CEST,MerchantPayout,\
"TX4263872641XT O2CShopEUR batch 41, 2024-06-19",,,,,USD,312.45,,,,,,,,41
"""


@tagged("post_install", "-at_install")
class TestAdyenSettlementReport(GatewayCommon):
    def test_import_report_books_the_batch(self):
        inv1, inv2 = self.make_invoice(100.0), self.make_invoice(250.0)
        self.process(
            self.adyen,
            adyen_body(
                adyen_item(
                    "AUTHORISATION", "QFQTPCQ8HXSKGK82", 10000, merchant_ref=inv1.name
                ),
                adyen_item(
                    "AUTHORISATION", "R2KD7P4XQ8MZTW82", 25000, merchant_ref=inv2.name
                ),
            ),
        )
        self.process(
            self.adyen,
            adyen_body(
                adyen_item(
                    "REFUND",
                    "E5TQ2W8MK3XZRP82",
                    3000,
                    original="R2KD7P4XQ8MZTW82",
                    merchant_ref=inv2.name,
                )
            ),
        )
        report = ADYEN_REPORT.format(inv1=inv1.name, inv2=inv2.name).encode()
        wizard = self.env["o2c.gateway.adyen.report.import"].create(
            {
                "connection_id": self.adyen.id,
                "report_file": base64.b64encode(report),
                "filename": "settlement_detail_report_batch_41.csv",
            }
        )
        with trap_jobs() as trap:
            action = wizard.action_import()
            trap.assert_jobs_count(1)
            run_jobs(trap)
        event = self.env["o2c.event"].browse(action["res_id"])
        self.assertEqual(event.event_type, "settlement_report")
        self.assertEqual(event.state, "done", event.last_error)
        settlement = self.env["o2c.gateway.settlement"].search(
            [("connection_id", "=", self.adyen.id)]
        )
        self.assertRecordValues(
            settlement,
            [
                {
                    "payout_id": "O2CShopEUR:41",
                    "state": "booked",
                    "gross": 350.0,
                    "refunds": 30.0,
                    "net": 312.45,
                    "bank_reference": "TX4263872641XT",
                }
            ],
        )
        self.assertAlmostEqual(settlement.fees, 7.55)
        transit = settlement.transit_line_id
        self.assertRecordValues(
            transit, [{"name": "O2CShopEUR:41", "balance": 312.45, "reconciled": False}]
        )
        self.assertEqual(transit.move_id.ref, "TX4263872641XT")
        # the same file again: already imported, nothing booked twice
        again = (
            self.env["o2c.gateway.adyen.report.import"]
            .create(
                {
                    "connection_id": self.adyen.id,
                    "report_file": base64.b64encode(report),
                    "filename": "settlement_detail_report_batch_41.csv",
                }
            )
            .action_import()
        )
        self.assertEqual(again["res_id"], event.id)
        self.assertEqual(
            len(
                self.env["o2c.gateway.settlement"].search(
                    [("connection_id", "=", self.adyen.id)]
                )
            ),
            1,
        )
