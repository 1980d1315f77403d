# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Disputes: worklist, credit hold, won / lost outcomes, ordering and replays."""

from datetime import date, datetime

from odoo.tests import tagged

from odoo.addons.o2c_integration.tests.common import run_jobs
from odoo.addons.queue_job.tests.common import trap_jobs

from .common import (
    GatewayCommon,
    adyen_body,
    adyen_item,
    stripe_dispute,
    stripe_payment_intent,
)


@tagged("post_install", "-at_install")
class TestGatewayDisputes(GatewayCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create({"name": "Deco Addict"})

    def _paid(self, n, amount):
        invoice = self.make_invoice(amount, partner=self.customer)
        self.process(
            self.stripe,
            stripe_payment_intent(n, round(amount * 100), invoice_ref=invoice.name),
        )
        self.assertEqual(invoice.payment_state, "paid")
        return invoice

    def _dispute(self, ref):
        return self.env["o2c.gateway.dispute"].search([("dispute_ref", "=", ref)])

    def test_dispute_opened_then_lost(self):
        invoice = self._paid(30, 125.0)
        opened = self.process(self.stripe, stripe_dispute(30, "du_test_30", 12500))
        self.assertEqual(opened.state, "done")
        dispute = self._dispute("du_test_30")
        self.assertRecordValues(
            dispute,
            [
                {
                    "state": "open",
                    "amount": 125.0,
                    "partner_id": self.customer.id,
                    "invoice_id": invoice.id,
                    "reason": "fraudulent",
                    "is_inquiry": False,
                    "charge_ref": "ch_test_30",
                    "fee": 15.0,
                }
            ],
        )
        exc = dispute.exception_id
        self.assertRecordValues(
            exc,
            [
                {
                    "category": "dispute",
                    "state": "new",
                    "amount": 125.0,
                    "severity": "high",
                    "partner_id": self.customer.id,
                    "res_model": "o2c.gateway.dispute",
                    "res_id": dispute.id,
                    "date_deadline": date(2024, 7, 1),
                }
            ],
        )
        self.assertTrue(self.customer.o2c_credit_hold)
        self.assertIn("du_test_30", self.customer.o2c_credit_hold_reason)
        # redelivery of the opening: nothing new
        self.process(self.stripe, stripe_dispute(30, "du_test_30", 12500))
        self.assertEqual(len(self._dispute("du_test_30")), 1)
        self.assertEqual(exc.occurrence_count, 1)

        clearing = self.stripe.pg_journal_id.default_account_id
        before = self.account_balance(clearing)
        lost = self.process(
            self.stripe,
            stripe_dispute(
                30,
                "du_test_30",
                12500,
                status="lost",
                event_type="charge.dispute.closed",
            ),
        )
        self.assertEqual(lost.state, "done")
        self.assertEqual(dispute.state, "lost")
        self.assertEqual(exc.state, "resolved")
        move = dispute.move_id
        self.assertEqual(move.state, "posted")
        self.assertRecordValues(
            move.line_ids.sorted("balance"),
            [
                {"account_id": clearing.id, "balance": -125.0},
                {
                    "account_id": self.stripe.pg_dispute_loss_account_id.id,
                    "balance": 125.0,
                },
            ],
        )
        self.assertAlmostEqual(self.account_balance(clearing), before - 125.0)
        # the customer stays on hold; finance is asked to review it
        self.assertTrue(self.customer.o2c_credit_hold)
        review = self.env["o2c.exception"].search(
            [("category", "=", "credit_hold"), ("partner_id", "=", self.customer.id)]
        )
        self.assertEqual(len(review), 1)
        # replaying the lost event books nothing twice
        with trap_jobs() as trap:
            lost.action_replay()
            run_jobs(trap)
        self.assertEqual(lost.state, "done")
        self.assertEqual(
            self.env["account.move"].search_count(
                [("ref", "like", "Dispute lost du_test_30")]
            ),
            1,
        )

    def test_dispute_won_releases_hold(self):
        self._paid(31, 80.0)
        self.process(self.stripe, stripe_dispute(31, "du_test_31", 8000))
        dispute = self._dispute("du_test_31")
        self.assertTrue(self.customer.o2c_credit_hold)
        won = self.process(
            self.stripe,
            stripe_dispute(
                31, "du_test_31", 8000, status="won", event_type="charge.dispute.closed"
            ),
        )
        self.assertEqual(won.state, "done")
        self.assertEqual(dispute.state, "won")
        self.assertEqual(dispute.exception_id.state, "resolved")
        self.assertFalse(dispute.move_id)
        self.assertFalse(self.customer.o2c_credit_hold)

    def test_hold_set_by_a_person_is_not_lifted(self):
        self._paid(32, 50.0)
        self.process(self.stripe, stripe_dispute(32, "du_test_32", 5000))
        self.customer.write({"o2c_credit_hold_reason": "Overdue since May"})
        self.process(
            self.stripe,
            stripe_dispute(
                32, "du_test_32", 5000, status="won", event_type="charge.dispute.closed"
            ),
        )
        self.assertEqual(self._dispute("du_test_32").state, "won")
        self.assertTrue(self.customer.o2c_credit_hold)

    def test_outcome_before_opening_waits(self):
        self._paid(33, 40.0)
        with trap_jobs() as trap:
            won = self.process(
                self.stripe,
                stripe_dispute(
                    33,
                    "du_test_33",
                    4000,
                    status="won",
                    event_type="charge.dispute.closed",
                ),
            )
            self.assertEqual(won.state, "queued")
            self.assertFalse(won.exception_ids)
            self.process(self.stripe, stripe_dispute(33, "du_test_33", 4000))
            run_jobs(trap)
        self.assertEqual(won.state, "done")
        self.assertEqual(self._dispute("du_test_33").state, "won")

    def test_inquiry_has_no_hold(self):
        self._paid(34, 30.0)
        self.process(
            self.stripe,
            stripe_dispute(34, "du_test_34", 3000, status="warning_needs_response"),
        )
        dispute = self._dispute("du_test_34")
        self.assertTrue(dispute.is_inquiry)
        self.assertEqual(dispute.exception_id.severity, "medium")
        self.assertFalse(self.customer.o2c_credit_hold)

    def test_adyen_chargeback_notifications_book_one_dispute(self):
        invoice = self.make_invoice(100.0, partner=self.customer)
        self.process(
            self.adyen,
            adyen_body(
                adyen_item(
                    "AUTHORISATION",
                    "QFQTPCQ8HXSKGK82",
                    10000,
                    merchant_ref=invoice.name,
                )
            ),
        )
        extra = {
            "chargebackReasonCode": "10.4",
            "defensePeriodEndsAt": "2024-07-08T10:15:30+02:00",
        }
        body = adyen_body(
            adyen_item(
                "NOTIFICATION_OF_CHARGEBACK",
                "FV8N3K2LQ9XZTR82",
                10000,
                original="QFQTPCQ8HXSKGK82",
                merchant_ref=invoice.name,
                additional=dict(extra, disputeStatus="Undefended"),
            ),
            adyen_item(
                "CHARGEBACK",
                "FV8N3K2LQ9XZTR82",
                10000,
                original="QFQTPCQ8HXSKGK82",
                merchant_ref=invoice.name,
                additional=dict(extra, disputeStatus="Pending"),
            ),
        )
        events = self.process(self.adyen, body)
        self.assertEqual(events.mapped("state"), ["done", "done"])
        dispute = self._dispute("FV8N3K2LQ9XZTR82")
        self.assertRecordValues(
            dispute,
            [
                {
                    "state": "open",
                    "amount": 100.0,
                    "partner_id": self.customer.id,
                    "due_by": datetime(2024, 7, 8, 8, 15, 30),
                }
            ],
        )
        lost = self.process(
            self.adyen,
            adyen_body(
                adyen_item(
                    "SECOND_CHARGEBACK",
                    "FV8N3K2LQ9XZTR82",
                    10000,
                    original="QFQTPCQ8HXSKGK82",
                    merchant_ref=invoice.name,
                    additional={"disputeStatus": "Lost"},
                )
            ),
        )
        self.assertEqual(lost.state, "done")
        self.assertEqual(dispute.state, "lost")
        self.assertTrue(dispute.move_id)

    def test_lost_without_loss_account_is_a_configuration_error(self):
        self._paid(35, 20.0)
        self.process(self.stripe, stripe_dispute(35, "du_test_35", 2000))
        self.stripe.pg_dispute_loss_account_id = False
        lost = self.process(
            self.stripe,
            stripe_dispute(
                35,
                "du_test_35",
                2000,
                status="lost",
                event_type="charge.dispute.closed",
            ),
        )
        self.assertEqual(lost.state, "failed")
        self.assertIn("lost disputes account", lost.last_error)
        self.assertEqual(self._dispute("du_test_35").state, "open")
