# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Payments and refunds end to end: stored webhook -> job -> accounting."""

import json

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from odoo.addons.o2c_integration.tests.common import run_jobs
from odoo.addons.queue_job.tests.common import trap_jobs

from .common import (
    GatewayCommon,
    adyen_body,
    adyen_item,
    stripe_charge_succeeded,
    stripe_payment_intent,
    stripe_refund,
)


@tagged("post_install", "-at_install")
class TestGatewayPayments(GatewayCommon):
    def test_stripe_payment_pays_invoice(self):
        invoice = self.make_invoice(125.0)
        events = self.process(
            self.stripe, stripe_payment_intent(1, 12500, invoice_ref=invoice.name)
        )
        self.assertEqual(events.state, "done")
        self.assertEqual(invoice.payment_state, "paid")
        payment = self.payments_of(invoice)
        self.assertRecordValues(
            payment,
            [
                {
                    "amount": 125.0,
                    "payment_type": "inbound",
                    "state": "paid",
                    "journal_id": self.stripe.pg_journal_id.id,
                    "is_reconciled": True,
                    "partner_id": self.partner_a.id,
                }
            ],
        )
        # the money is on the gateway's clearing account, not a shared outstanding one
        self.assertEqual(
            payment.outstanding_account_id, self.stripe.pg_journal_id.default_account_id
        )
        tx = self.gateway_tx(self.stripe, "payment_succeeded", "ch_test_1")
        self.assertRecordValues(
            tx,
            [
                {
                    "state": "posted",
                    "payment_id": payment.id,
                    "invoice_id": invoice.id,
                    "partner_id": self.partner_a.id,
                    "amount": 125.0,
                    "charge_ref": "ch_test_1",
                    "payment_ref": "pi_test_1",
                    "event_id": events.id,
                }
            ],
        )
        linked = {(link.res_model, link.res_id) for link in events.link_ids}
        self.assertIn(("account.payment", payment.id), linked)
        self.assertIn(("o2c.gateway.transaction", tx.id), linked)
        audit = self.env["o2c.audit.log"].search([("event_id", "=", events.id)])
        self.assertIn("gateway.payment", audit.mapped("action"))

    def test_duplicates_and_replays_post_one_payment(self):
        invoice = self.make_invoice(80.0)
        body = stripe_payment_intent(2, 8000, invoice_ref=invoice.name)
        first = self.process(self.stripe, body)
        for _i in range(4):  # the same delivery 4 more times: stored once
            self.assertEqual(self.process(self.stripe, body), first)
        # the same charge reported by another event type (other event id)
        other = self.process(
            self.stripe, stripe_charge_succeeded(2, 8000, invoice_ref=invoice.name)
        )
        self.assertNotEqual(other, first)
        self.assertEqual(other.state, "done")
        # replaying both by a manager
        with trap_jobs() as trap:
            (first | other).action_replay()
            trap.assert_jobs_count(2)
            run_jobs(trap)
        self.assertEqual((first | other).mapped("state"), ["done", "done"])
        self.assertEqual(len(self.payments_of(invoice)), 1)
        self.assertEqual(
            self.env["account.payment"].search_count([("memo", "like", "ch_test_2")]), 1
        )
        self.assertEqual(
            len(self.gateway_tx(self.stripe, "payment_succeeded", "ch_test_2")), 1
        )
        self.assertEqual(invoice.payment_state, "paid")

    def test_unknown_invoice_is_mapping_exception_then_retry(self):
        event = self.process(
            self.stripe, stripe_payment_intent(3, 4200, invoice_ref="INV/2099/99999")
        )
        self.assertEqual(event.state, "failed")
        exc = event.exception_ids
        self.assertRecordValues(
            exc,
            [
                {
                    "category": "mapping",
                    "amount": 42.0,
                    "currency_id": self.env.ref("base.USD").id,
                }
            ],
        )
        self.assertFalse(self.gateway_tx(self.stripe, "payment_succeeded", "ch_test_3"))
        # finance posts the invoice under that number's payment reference, retries
        invoice = self.make_invoice(42.0)
        invoice.payment_reference = "INV/2099/99999"
        with trap_jobs() as trap:
            event.action_retry()
            run_jobs(trap)
        self.assertEqual(event.state, "done")
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(exc.state, "resolved")

    def test_amount_mismatch_and_already_paid(self):
        invoice = self.make_invoice(100.0)
        event = self.process(
            self.stripe, stripe_payment_intent(4, 9999, invoice_ref=invoice.name)
        )
        self.assertEqual(event.state, "failed")
        self.assertRecordValues(
            event.exception_ids,
            [
                {
                    "category": "amount_mismatch",
                    "amount": 99.99,
                    "partner_id": self.partner_a.id,
                }
            ],
        )
        self.assertEqual(invoice.payment_state, "not_paid")
        paid = self.process(
            self.stripe, stripe_payment_intent(5, 10000, invoice_ref=invoice.name)
        )
        self.assertEqual(paid.state, "done")
        # a second, different charge for the paid invoice: the customer paid twice
        twice = self.process(
            self.stripe, stripe_payment_intent(6, 10000, invoice_ref=invoice.name)
        )
        self.assertEqual(twice.state, "failed")
        self.assertRecordValues(
            twice.exception_ids,
            [
                {
                    "category": "duplicate",
                    "amount": 100.0,
                    "partner_id": self.partner_a.id,
                }
            ],
        )
        self.assertEqual(len(self.payments_of(invoice)), 1)

    def test_currency_mismatch(self):
        invoice = self.make_invoice(50.0)
        event = self.process(
            self.stripe,
            stripe_payment_intent(7, 5000, currency="jpy", invoice_ref=invoice.name),
        )
        self.assertEqual(event.state, "failed")
        self.assertEqual(event.exception_ids.category, "amount_mismatch")
        self.assertFalse(self.payments_of(invoice))

    def test_partial_payment_when_allowed(self):
        invoice = self.make_invoice(300.0)
        self.stripe.pg_allow_partial = True
        event = self.process(
            self.stripe, stripe_payment_intent(8, 10000, invoice_ref=invoice.name)
        )
        self.assertEqual(event.state, "done")
        self.assertEqual(invoice.payment_state, "partial")
        self.assertAlmostEqual(invoice.amount_residual, 200.0)

    def test_order_reference_finds_the_order_invoice(self):
        order = (
            self.env["sale.order"]
            .sudo()
            .create(
                {
                    "partner_id": self.partner_a.id,
                    "order_line": [
                        self._prepare_order_line(
                            product_id=self.product_a,
                            price_unit=60.0,
                            tax_ids=self.no_tax,
                        )
                    ],
                }
            )
        )
        order.action_confirm()
        invoice = order._create_invoices()
        invoice.action_post()
        event = self.process(
            self.stripe, stripe_payment_intent(9, 6000, order_ref=order.name)
        )
        self.assertEqual(event.state, "done")
        self.assertEqual(invoice.payment_state, "paid")

    def test_adyen_authorisation_batch(self):
        invoice = self.make_invoice(100.0)
        other = self.make_invoice(49.99)
        body = adyen_body(
            adyen_item(
                "AUTHORISATION",
                "QFQTPCQ8HXSKGK82",
                10000,
                merchant_ref=invoice.name,
                additional={"shopperReference": "odoo-partner-14"},
            ),
            adyen_item(
                "AUTHORISATION",
                "NC6HT9CRT65ZGN82",
                4999,
                success="false",
                merchant_ref=other.name,
            ),
            adyen_item("REPORT_AVAILABLE", "settlement_detail_report_batch_37.csv", 0),
        )
        events = self.process(self.adyen, body)
        self.assertEqual(len(events), 3)
        self.assertEqual(set(events.mapped("state")), {"done"})
        self.assertEqual(
            set(events.mapped("external_id")),
            {
                "QFQTPCQ8HXSKGK82:AUTHORISATION:true",
                "NC6HT9CRT65ZGN82:AUTHORISATION:false",
                "settlement_detail_report_batch_37.csv:REPORT_AVAILABLE:true",
            },
        )
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(other.payment_state, "not_paid")  # refused authorisation
        stored = json.loads(events[0].payload)
        self.assertEqual(len(stored["notificationItems"]), 1)
        # Adyen re-sends the whole batch: nothing new
        self.assertEqual(self.process(self.adyen, body), events)
        self.assertEqual(len(self.payments_of(invoice)), 1)

    def test_accounting_setup(self):
        journal = self.stripe.pg_journal_id
        self.assertEqual(journal.type, "bank")
        self.assertTrue(self.stripe.pg_transit_account_id.reconcile)
        self.assertEqual(self.stripe.base_url, "https://api.stripe.com")
        self.assertEqual(self.stripe.auth_method, "api_key")
        lines = (
            journal.inbound_payment_method_line_ids
            | journal.outbound_payment_method_line_ids
        )
        self.assertEqual(lines.payment_account_id, journal.default_account_id)
        accounts = (
            self.stripe.pg_transit_account_id
            | self.stripe.pg_fee_account_id
            | self.stripe.pg_dispute_loss_account_id
        )
        self.stripe.action_pg_setup_accounting()  # nothing missing: nothing created
        self.assertEqual(self.stripe.pg_journal_id, journal)
        self.assertEqual(
            self.stripe.pg_transit_account_id
            | self.stripe.pg_fee_account_id
            | self.stripe.pg_dispute_loss_account_id,
            accounts,
        )
        self.assertNotEqual(self.adyen.pg_journal_id, journal)
        with self.assertRaises(ValidationError):
            self.stripe.pg_transit_account_id = self.stripe.pg_fee_account_id


@tagged("post_install", "-at_install")
class TestGatewayRefunds(GatewayCommon):
    def _paid_invoice(self, n, amount, taxes=None):
        invoice = self.make_invoice(amount, taxes=taxes)
        total = round(invoice.amount_total * 100)
        self.process(
            self.stripe, stripe_payment_intent(n, total, invoice_ref=invoice.name)
        )
        self.assertEqual(invoice.payment_state, "paid")
        return invoice

    def test_refund_reopens_receivable_without_credit_note(self):
        self._paid_invoice(20, 125.0)
        event = self.process(self.stripe, stripe_refund(20, "re_test_20", 3000))
        self.assertEqual(event.state, "done")
        tx = self.gateway_tx(self.stripe, "refund_succeeded", "re_test_20")
        original = self.gateway_tx(self.stripe, "payment_succeeded", "ch_test_20")
        self.assertRecordValues(
            tx,
            [
                {
                    "state": "posted",
                    "original_id": original.id,
                    "amount": 30.0,
                    "partner_id": self.partner_a.id,
                    "credit_note_id": False,
                }
            ],
        )
        self.assertRecordValues(
            tx.payment_id,
            [
                {
                    "payment_type": "outbound",
                    "amount": 30.0,
                    "partner_id": self.partner_a.id,
                    "journal_id": self.stripe.pg_journal_id.id,
                }
            ],
        )
        self.assertEqual(original.refunded_amount, 30.0)
        # the refunded 30 is owed by the customer again until finance settles it
        receivable = tx.payment_id.move_id.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )
        self.assertAlmostEqual(receivable.amount_residual, 30.0)
        # redelivered / replayed: one refund payment
        self.process(self.stripe, stripe_refund(20, "re_test_20", 3000))
        with trap_jobs() as trap:
            event.action_replay()
            run_jobs(trap)
        self.assertEqual(
            len(self.gateway_tx(self.stripe, "refund_succeeded", "re_test_20")), 1
        )
        self.assertEqual(
            self.env["account.payment"].search_count([("memo", "like", "re_test_20")]),
            1,
        )

    def test_full_refund_with_credit_note(self):
        self.stripe.pg_refund_credit_note = True
        invoice = self._paid_invoice(21, 100.0, taxes=self.tax_sale_a)
        total = round(invoice.amount_total * 100)
        event = self.process(self.stripe, stripe_refund(21, "re_test_21", total))
        self.assertEqual(event.state, "done")
        tx = self.gateway_tx(self.stripe, "refund_succeeded", "re_test_21")
        credit_note = tx.credit_note_id
        self.assertRecordValues(
            credit_note,
            [
                {
                    "move_type": "out_refund",
                    "state": "posted",
                    "payment_state": "paid",
                    "reversed_entry_id": invoice.id,
                    "amount_total": invoice.amount_total,
                }
            ],
        )
        self.assertEqual(tx.payment_id.reconciled_invoice_ids, credit_note)

    def test_partial_refund_with_credit_note(self):
        self.stripe.pg_refund_credit_note = True
        invoice = self._paid_invoice(22, 200.0)
        self.process(self.stripe, stripe_refund(22, "re_test_22", 5000))
        credit_note = self.gateway_tx(
            self.stripe, "refund_succeeded", "re_test_22"
        ).credit_note_id
        self.assertRecordValues(
            credit_note,
            [{"state": "posted", "amount_total": 50.0, "payment_state": "paid"}],
        )
        self.assertEqual(invoice.payment_state, "paid")

    def test_refund_before_its_payment_waits_then_succeeds(self):
        invoice = self.make_invoice(70.0)
        with trap_jobs() as trap:
            refund = self.process(self.stripe, stripe_refund(23, "re_test_23", 2000))
            # not a failure: queued again for later, no exception
            self.assertEqual(refund.state, "queued")
            self.assertEqual(refund.error_kind, "transient")
            self.assertIn("not booked yet", refund.last_error)
            self.assertFalse(refund.exception_ids)
            trap.assert_jobs_count(1)
            payment = self.process(
                self.stripe, stripe_payment_intent(23, 7000, invoice_ref=invoice.name)
            )
            self.assertEqual(payment.state, "done")
            run_jobs(trap)  # the refund's retry
        self.assertEqual(refund.state, "done")
        self.assertEqual(refund.attempts, 2)
        tx = self.gateway_tx(self.stripe, "refund_succeeded", "re_test_23")
        self.assertEqual(tx.state, "posted")
        self.assertEqual(tx.payment_id.amount, 20.0)

    def test_refund_over_the_paid_amount(self):
        self._paid_invoice(24, 40.0)
        self.process(self.stripe, stripe_refund(24, "re_test_24a", 3000))
        event = self.process(self.stripe, stripe_refund(24, "re_test_24b", 2000))
        self.assertEqual(event.state, "failed")
        self.assertRecordValues(
            event.exception_ids,
            [
                {
                    "category": "amount_mismatch",
                    "amount": 20.0,
                    "partner_id": self.partner_a.id,
                }
            ],
        )
        self.assertFalse(
            self.gateway_tx(self.stripe, "refund_succeeded", "re_test_24b")
        )

    def test_failed_refund_after_booking_opens_exception(self):
        self._paid_invoice(25, 60.0)
        self.process(self.stripe, stripe_refund(25, "re_test_25", 6000))
        event = self.process(
            self.stripe,
            stripe_refund(
                25, "re_test_25", 6000, status="failed", event_type="refund.updated"
            ),
        )
        self.assertEqual(event.state, "done")
        exc = self.env["o2c.exception"].search(
            [("dedup_key", "=", f"o2c.pg.refund_failed:{self.stripe.id}:re_test_25")]
        )
        self.assertRecordValues(exc, [{"severity": "high", "amount": 60.0}])

    def test_adyen_refund(self):
        invoice = self.make_invoice(25.0)
        self.process(
            self.adyen,
            adyen_body(
                adyen_item(
                    "AUTHORISATION", "M7QJ3X5PZK9RWT82", 2500, merchant_ref=invoice.name
                )
            ),
        )
        self.assertEqual(invoice.payment_state, "paid")
        events = self.process(
            self.adyen,
            adyen_body(
                adyen_item(
                    "CANCEL_OR_REFUND",
                    "H2LW6N9QX4TKBM82",
                    2500,
                    original="M7QJ3X5PZK9RWT82",
                    merchant_ref=invoice.name,
                    additional={"modification.action": "refund"},
                )
            ),
        )
        self.assertEqual(events.state, "done")
        tx = self.gateway_tx(self.adyen, "refund_succeeded", "H2LW6N9QX4TKBM82")
        self.assertEqual(tx.original_id.charge_ref, "M7QJ3X5PZK9RWT82")
        self.assertEqual(tx.payment_id.amount, 25.0)
