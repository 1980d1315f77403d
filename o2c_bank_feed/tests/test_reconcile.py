# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date

from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tests import tagged

from .common import CUSTOMER_IBAN, VENDOR_IBAN, BankFeedCommon


@tagged("post_install", "-at_install")
class TestReconcile(BankFeedCommon):
    def _pay(self, amount, reconcile=True, **entry):
        entry.setdefault(
            "ref",
            f"B-{amount}-{entry.get('remittance', '')}-{entry.get('structured', '')}",
        )
        entry.setdefault("date", "2026-03-05")
        imp = self.import_camt(
            [dict(entry, amount=amount)],
            reconcile=reconcile,
            stmt_id=f"S-{entry['ref']}",
        )
        return imp.line_ids

    def _open_exception(self, line):
        return self.env["o2c.exception"].search(
            [
                ("res_model", "=", "account.bank.statement.line"),
                ("res_id", "=", line.id),
                ("state", "in", ("new", "in_progress")),
            ]
        )

    def test_structured_reference_pays_the_invoice(self):
        invoice = self.make_invoice(500)
        line = self._pay("500.00", structured=invoice.name, name="Someone Else Ltd")
        self.assertEqual(invoice.payment_state, "paid")
        self.assertTrue(line.is_reconciled)
        self.assertRecordValues(
            line,
            [
                {
                    "o2c_match_state": "matched",
                    "o2c_rule_id": self.env.ref("o2c_bank_feed.rule_reference").id,
                    "partner_id": self.customer.id,
                }
            ],
        )
        self.assertGreaterEqual(line.o2c_match_score, 95)
        self.assertIn(invoice.name, line.o2c_match_reason)
        audit = self.env["o2c.audit.log"].search(
            [("action", "=", "bank.reconcile.auto")], limit=1
        )
        self.assertEqual(audit._data_dict()["lines"][0]["line"], line.id)
        self.assertFalse(self._open_exception(line))

    def test_invoice_number_in_free_text_with_a_typo(self):
        invoice = self.make_invoice(321.10)
        number = invoice.name  # e.g. INV/2026/00001
        prefix, year, seq = number.split("/")
        year = year.replace("0", "O")
        typo = f"payment for {prefix.lower()}-{year} {int(seq):03d} thanks"
        line = self._pay("321.10", remittance=typo, name="Unknown payer")
        self.assertEqual(invoice.payment_state, "paid", line.o2c_match_reason)
        self.assertEqual(line.o2c_rule_id, self.env.ref("o2c_bank_feed.rule_free_text"))

    def test_one_line_pays_several_invoices(self):
        first = self.make_invoice(100)
        second = self.make_invoice(250.5)
        line = self._pay("350.50", remittance=f"{first.name} and {second.name}")
        self.assertEqual((first | second).mapped("payment_state"), ["paid", "paid"])
        self.assertTrue(line.is_reconciled)
        # a subset of the partner's open items summing up, without references
        third = self.make_invoice(40)
        fourth = self.make_invoice(60.25)
        self.make_invoice(999)
        line = self._pay("100.25", iban=CUSTOMER_IBAN, remittance="March invoices")
        self.assertEqual(
            (third | fourth).mapped("payment_state"),
            ["paid", "paid"],
            line.o2c_match_reason,
        )

    def test_partial_payment_leaves_the_invoice_partial(self):
        invoice = self.make_invoice(1000)
        line = self._pay("400.00", structured=invoice.name, iban=CUSTOMER_IBAN)
        self.assertEqual(invoice.payment_state, "partial")
        self.assertAlmostEqual(invoice.amount_residual, 600.0)
        self.assertTrue(line.is_reconciled)
        self.assertEqual(line.o2c_match_state, "matched")
        # a partial payment from an unknown payer (a mistyped reference?) is
        # only proposed
        third = self._pay("100.00", structured=invoice.name, ref="B-unknown")
        self.assertEqual(third.o2c_match_state, "proposed")
        self.assertIn("payer not confirmed", third.o2c_match_reason)
        self.assertAlmostEqual(invoice.amount_residual, 600.0)
        second = self._pay("600.00", structured=invoice.name, ref="B-second")
        self.assertEqual(invoice.payment_state, "paid")
        self.assertTrue(second.is_reconciled)

    def test_bank_charges_within_tolerance_are_written_off(self):
        invoice = self.make_invoice(800)
        line = self._pay("797.50", structured=invoice.name)
        self.assertEqual(invoice.payment_state, "paid")
        writeoff = line.move_id.line_ids.filtered(
            lambda aml: aml.account_id == self.fees_account
        )
        self.assertEqual(len(writeoff), 1)
        self.assertAlmostEqual(writeoff.balance, 2.5)
        self.assertTrue(line.is_reconciled)
        # beyond the tolerance: a partial payment, nothing written off
        other = self.make_invoice(300)
        line = self._pay("280.00", structured=other.name, iban=CUSTOMER_IBAN)
        self.assertEqual(other.payment_state, "partial")
        self.assertFalse(
            line.move_id.line_ids.filtered(
                lambda aml: aml.account_id == self.fees_account
            )
        )

    def test_ambiguous_candidates_become_a_proposal_then_accept(self):
        first = self.make_invoice(75)
        second = self.make_invoice(75)
        line = self._pay("75.00", iban=CUSTOMER_IBAN, remittance="thanks")
        self.assertEqual(
            (first | second).mapped("payment_state"), ["not_paid", "not_paid"]
        )
        self.assertFalse(line.is_reconciled)
        self.assertEqual(line.o2c_match_state, "proposed")
        exc = self._open_exception(line)
        self.assertEqual(exc.category, "proposal")
        self.assertEqual(exc.amount, 75.0)
        self.assertEqual(len(exc.details["candidates"]), 2)
        candidates = exc.o2c_candidate_ids.sorted("rank")
        self.assertEqual(len(candidates), 2)
        self.assertEqual(candidates[0].score, candidates[1].score)
        exc.action_accept_proposal()
        self.assertTrue(line.is_reconciled)
        self.assertEqual(line.o2c_match_state, "manual")
        paid = (first | second).filtered(lambda m: m.payment_state == "paid")
        self.assertEqual(len(paid), 1)
        self.assertEqual(exc.state, "resolved")
        self.assertEqual(candidates.mapped("state"), ["accepted", "discarded"])
        with self.assertRaises(UserError):
            candidates[0].action_accept()

    def test_unmatched_line_opens_an_exception_with_the_amount(self):
        line = self._pay("1234.56", remittance="mystery money", name="Nobody")
        self.assertFalse(line.is_reconciled)
        self.assertEqual(line.o2c_match_state, "unmatched")
        exc = self._open_exception(line)
        self.assertRecordValues(exc, [{"category": "unmatched", "amount": 1234.56}])
        self.assertTrue(exc.date_deadline)
        # an invoice appears later: running again reconciles and closes it
        invoice = self.make_invoice(1234.56, ref="mystery money")
        line.action_o2c_reconcile()
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(exc.state, "resolved")

    def test_vendor_bill_paid_by_a_negative_line(self):
        bill = self.make_invoice(
            432.10, partner=self.vendor, move_type="in_invoice", ref="SUP-7781"
        )
        line = self._pay("-432.10", remittance="SUP-7781", iban=VENDOR_IBAN)
        self.assertEqual(bill.payment_state, "paid", line.o2c_match_reason)
        self.assertTrue(line.is_reconciled)

    def test_foreign_currency_line_matches_in_its_currency(self):
        eur = self.setup_other_currency("EUR")
        invoice = self.make_invoice(200, currency=eur)
        # The bank converted 200 EUR into 100 USD (the journal currency).
        line = self._pay(
            "100.00", structured=invoice.name, instructed=("200.00", "EUR")
        )
        self.assertEqual(line.foreign_currency_id, eur)
        self.assertEqual(invoice.payment_state, "paid", line.o2c_match_reason)
        self.assertTrue(line.is_reconciled)

    def test_transit_account_item_is_matched(self):
        """A gateway payout: an open item on a reconcilable clearing account."""
        transit = self.env["account.account"].create(
            {
                "name": "Stripe clearing",
                "code": "580100",
                "account_type": "asset_current",
                "reconcile": True,
            }
        )
        payout = self.env["account.move"].create(
            {
                "move_type": "entry",
                "date": date(2026, 3, 4),
                "ref": "po_1OxYz9Abc",
                "line_ids": [
                    Command.create(
                        {
                            "account_id": transit.id,
                            "debit": 970.0,
                            "name": "po_1OxYz9Abc",
                        }
                    ),
                    Command.create(
                        {
                            "account_id": self.company_data[
                                "default_account_revenue"
                            ].id,
                            "credit": 970.0,
                        }
                    ),
                ],
            }
        )
        payout.action_post()
        line = self._pay(
            "970.00", remittance="STRIPE PAYOUT po_1OxYz9Abc", name="Stripe"
        )
        item = payout.line_ids.filtered(lambda aml: aml.account_id == transit)
        self.assertTrue(item.reconciled, line.o2c_match_reason)

    def test_two_lines_of_a_batch_never_pay_the_same_invoice(self):
        invoice = self.make_invoice(90)
        imp = self.import_camt(
            [
                {"amount": "90.00", "ref": "D1", "structured": invoice.name},
                {"amount": "90.00", "ref": "D2", "structured": invoice.name},
            ],
            reconcile=True,
            stmt_id="DOUBLE",
        )
        self.assertEqual(invoice.payment_state, "paid")
        states = sorted(imp.line_ids.mapped("o2c_match_state"))
        self.assertEqual(states, ["matched", "unmatched"])

    def test_queued_job_reconciles(self):
        invoice = self.make_invoice(64)
        imp = self.import_camt(
            [{"amount": "64.00", "ref": "J1", "structured": invoice.name}],
            reconcile=False,
            stmt_id="JOB",
        )
        imp.line_ids._o2c_job_reconcile()
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(imp.state, "done")
        self.assertEqual(imp.match_rate, 100.0)
        self.assertEqual(imp.statement_ids.o2c_match_rate, 100.0)
