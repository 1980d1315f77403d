# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Reconciliation by hand: the service, the wizard, the bulk actions."""

from decimal import Decimal

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged

from .common import CUSTOMER_IBAN, VENDOR_IBAN, BankFeedCommon


@tagged("post_install", "-at_install")
class TestManualReconcile(BankFeedCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Manual = cls.env["o2c.reconcile.manual"]
        cls.charges = cls.env["account.account"].create(
            {"name": "Manual Bank Charges", "code": "MBC01", "account_type": "expense"}
        )
        # partner_b pays in two instalments: one open item per invoice here
        cls.supplier = cls.env["res.partner"].create({"name": "Manual Supplier"})

    def _line(self, amount, reconcile=True, **entry):
        entry.setdefault("ref", f"M-{amount}-{entry.get('remittance', '')}")
        entry.setdefault("date", "2026-03-05")
        imp = self.import_camt(
            [dict(entry, amount=amount)], reconcile=reconcile, stmt_id=entry["ref"]
        )
        return imp.line_ids

    def _exceptions(self, line, states=("new", "in_progress")):
        """The exceptions about ``line``: its own, or its import's unmatched list."""
        return self.env["o2c.exception"].search(
            [
                "|",
                "&",
                ("res_model", "=", "account.bank.statement.line"),
                ("res_id", "=", line.id),
                ("o2c_line_ids", "in", line.ids),
                ("state", "in", states),
            ]
        )

    def test_two_invoices_and_a_write_off_then_undo(self):
        first = self.make_invoice(600)
        second = self.make_invoice(410)
        line = self._line("1000.00", remittance="march", iban=CUSTOMER_IBAN)
        self.assertFalse(line.is_reconciled)
        exc = self._exceptions(line)
        self.assertEqual(len(exc), 1)
        self.Manual._book(
            line,
            [
                (self.open_item(first), Decimal("600")),
                (self.open_item(second), Decimal("410")),
            ],
            writeoff=Decimal("-10"),
            writeoff_account=self.charges,
            writeoff_label="Bank charges March",
        )
        self.assertEqual((first | second).mapped("payment_state"), ["paid", "paid"])
        self.assertTrue(line.is_reconciled)
        self.assertEqual(line.o2c_match_state, "manual")
        writeoff = line.move_id.line_ids.filtered(
            lambda aml: aml.account_id == self.charges
        )
        self.assertRecordValues(
            writeoff, [{"balance": 10.0, "name": "Bank charges March"}]
        )
        self.assertEqual(exc.state, "resolved")
        audit = self.env["o2c.audit.log"].search(
            [("action", "=", "bank.reconcile.manual")], limit=1
        )
        data = audit._data_dict()
        self.assertEqual(data["line"], line.id)
        self.assertEqual(data["amounts"], ["600.00", "410.00"])
        self.assertEqual(data["writeoff"], "-10.00")
        # undo: Odoo unreconciles, the invoices and the exception open again
        line.action_o2c_undo_reconciliation()
        self.assertFalse(line.is_reconciled)
        self.assertEqual(line.o2c_match_state, "unmatched")
        self.assertEqual(
            (first | second).mapped("payment_state"), ["not_paid", "not_paid"]
        )
        self.assertFalse(
            line.move_id.line_ids.filtered(lambda aml: aml.account_id == self.charges)
        )
        self.assertEqual(exc.state, "new")
        self.assertEqual(self._exceptions(line), exc)
        self.assertEqual(exc.category, "unmatched")
        self.assertTrue(
            self.env["o2c.audit.log"].search_count(
                [("action", "=", "bank.reconcile.undo"), ("res_id", "=", line.id)]
            )
        )
        # and it can be reconciled by hand again
        self.Manual._book(
            line,
            [(self.open_item(first), Decimal("600"))],
            writeoff=Decimal("400"),
            writeoff_account=self.company_data["default_account_revenue"],
        )
        self.assertTrue(line.is_reconciled)

    def test_partial_amount_leaves_the_invoice_partially_paid(self):
        first = self.make_invoice(300)
        second = self.make_invoice(500)
        line = self._line(
            "500.00", reconcile=False, remittance="part", iban=CUSTOMER_IBAN
        )
        self.Manual._book(
            line,
            [
                (self.open_item(first), Decimal("300")),
                (self.open_item(second), Decimal("200")),
            ],
        )
        self.assertEqual(first.payment_state, "paid")
        self.assertEqual(second.payment_state, "partial")
        self.assertAlmostEqual(second.amount_residual, 300.0)
        self.assertTrue(line.is_reconciled)

    def test_vendor_bill_and_partner_set_by_hand(self):
        bill = self.make_invoice(250, partner=self.supplier, move_type="in_invoice")
        line = self._line("-250.00", remittance="supplier")
        self.assertFalse(line.partner_id)
        self.Manual._book(
            line, [(self.open_item(bill), Decimal("-250"))], partner=self.supplier
        )
        self.assertEqual(bill.payment_state, "paid")
        self.assertEqual(line.partner_id, self.supplier)
        self.assertEqual(line.move_id.partner_id, self.supplier)

    def test_payout_transit_item_from_the_exception(self):
        clearing = self.make_clearing_account("TRS01", "Manual Stripe Clearing")
        payout = self.make_payout(clearing, 480.0, "po_manual_1", "Payout po_manual_1")
        line = self._line("470.00", remittance="STRIPE TRANSFER")
        exc = self._exceptions(line)
        self.assertEqual(exc.category, "unmatched")
        action = exc.action_o2c_manual_reconcile()
        wizard = self.env["o2c.manual.reconcile.wizard"].browse(action["res_id"])
        self.assertEqual(wizard.statement_line_id, line)
        wizard.filter_reference = "po_manual_1"
        wizard.action_search()
        row = wizard.item_ids.filtered(lambda r: r.move_line_id.move_id == payout)
        self.assertEqual(row.residual, 480.0)
        row.write({"selected": True, "amount": 480.0})
        wizard.write(
            {
                "writeoff_account_id": self.charges.id,
                "writeoff_amount": -10.0,
                "writeoff_label": "Gateway fee",
            }
        )
        self.assertEqual(wizard.remaining_amount, 0.0)
        wizard.action_validate()
        self.assertTrue(line.is_reconciled)
        self.assertTrue(row.move_line_id.reconciled)
        self.assertEqual(exc.state, "resolved")

    def test_foreign_currency_line_in_its_transaction_currency(self):
        eur = self.setup_other_currency("EUR")
        first = self.make_invoice(120, currency=eur)
        second = self.make_invoice(90, currency=eur)
        usd_invoice = self.make_invoice(100)
        # The bank converted 200 EUR into 100 USD (the journal currency).
        line = self._line(
            "100.00", reconcile=False, remittance="eur", instructed=("200.00", "EUR")
        )
        self.assertEqual(self.Manual._line_currency(line), eur)
        self.assertEqual(self.Manual._line_open_amount(line), Decimal("200.00"))
        # only items in the transaction currency are offered
        found = self.Manual._search_items(line)
        self.assertIn(self.open_item(first), found)
        self.assertNotIn(self.open_item(usd_invoice), found)
        self.Manual._book(
            line,
            [
                (self.open_item(first), Decimal("120")),
                (self.open_item(second), Decimal("90")),
            ],
            writeoff=Decimal("-10"),
            writeoff_account=self.charges,
        )
        self.assertEqual((first | second).mapped("payment_state"), ["paid", "paid"])
        self.assertTrue(line.is_reconciled)
        writeoff = line.move_id.line_ids.filtered(
            lambda aml: aml.account_id == self.charges
        )
        self.assertRecordValues(
            writeoff, [{"amount_currency": 10.0, "currency_id": eur.id}]
        )
        self.assertEqual(sum(line.move_id.line_ids.mapped("balance")), 0.0)

    def test_invalid_bookings_are_refused_and_book_nothing(self):
        invoice = self.make_invoice(100)
        line = self._line("90.00", remittance="short")
        item = self.open_item(invoice)
        cases = [
            ([(item, Decimal("90"))], Decimal("5"), self.charges),  # unbalanced
            ([(item, Decimal("120"))], Decimal("-30"), self.charges),  # over residual
            ([(item, Decimal("-90"))], Decimal("180"), self.charges),  # wrong sign
            ([(item, Decimal("100"))], Decimal("-10"), None),  # no account
            ([], Decimal("0"), None),  # nothing
        ]
        for allocations, writeoff, account in cases:
            with self.subTest(writeoff=writeoff), self.assertRaises(UserError):
                self.Manual._book(
                    line, allocations, writeoff=writeoff, writeoff_account=account
                )
        self.assertFalse(line.is_reconciled)
        self.assertEqual(invoice.payment_state, "not_paid")
        self.assertEqual(len(line.move_id.line_ids), 2)

    def test_an_item_paid_meanwhile_is_refused(self):
        invoice = self.make_invoice(100)
        first = self._line("100.00", remittance="one")
        second = self._line("100.00", remittance="two")
        self.Manual._book(first, [(self.open_item(invoice), Decimal("100"))])
        with self.assertRaises(UserError):
            self.Manual._book(second, [(self.open_item(invoice), Decimal("100"))])
        self.assertFalse(second.is_reconciled)

    def test_rights_o2c_user_cannot_book_manager_and_accountant_can(self):
        invoice = self.make_invoice(50)
        line = self._line("50.00", remittance="rights")
        user = new_test_user(
            self.env,
            "o2c_plain_user",
            groups="o2c_integration.group_o2c_user,account.group_account_invoice",
            company_id=self.company.id,
        )
        with self.assertRaises(AccessError):
            self.Manual.with_user(user)._book(
                line, [(self.open_item(invoice), Decimal("50"))]
            )
        with self.assertRaises(AccessError):
            line.with_user(user).action_o2c_manual_reconcile()
        manager = new_test_user(
            self.env,
            "o2c_manager_user",
            groups="o2c_integration.group_o2c_manager,account.group_account_invoice",
            company_id=self.company.id,
        )
        self.Manual.with_user(manager)._book(
            line.with_user(manager), [(self.open_item(invoice), Decimal("50"))]
        )
        self.assertEqual(invoice.payment_state, "paid")
        with self.assertRaises(AccessError):
            line.with_user(user).action_o2c_undo_reconciliation()
        accountant = new_test_user(
            self.env,
            "o2c_accountant_user",
            groups="o2c_integration.group_o2c_user,account.group_account_user",
            company_id=self.company.id,
        )
        line.with_user(accountant).action_o2c_undo_reconciliation()
        self.assertEqual(invoice.payment_state, "not_paid")

    def test_wizard_suggestions_filters_balance_and_next(self):
        first = self.make_invoice(600, ref="WIZ-A")
        second = self.make_invoice(410, ref="WIZ-B")
        other = self.make_invoice(77, partner=self.supplier, ref="WIZ-OTHER")
        exact = self.make_invoice(33.33, ref="WIZ-EXACT")
        skipped = self._line("33.33", remittance="first", date="2026-03-04")
        line = self._line("1000.00", remittance="march", iban=CUSTOMER_IBAN)
        action = (skipped | line).action_o2c_manual_reconcile()
        wizard = self.env["o2c.manual.reconcile.wizard"].browse(action["res_id"])
        self.assertEqual(wizard.statement_line_id, skipped)
        # the engine's candidate for 33.33 (amount) comes first, with its score
        top = wizard.item_ids.sorted("sequence")[:1]
        self.assertEqual(top.move_line_id, self.open_item(exact))
        self.assertTrue(top.is_suggestion)
        self.assertGreater(top.score, 0)
        wizard.action_next()
        self.assertEqual(wizard.statement_line_id, line)
        self.assertEqual(wizard.partner_id, self.customer)
        self.assertEqual(wizard.line_amount, 1000.0)
        with Form(wizard) as form:
            # the partner filter lists the customer's items, not the vendor's
            shown = form.item_ids._records
            names = {row["move_line_id"] for row in shown}
            self.assertIn(self.open_item(first).id, names)
            self.assertNotIn(self.open_item(other).id, names)
            form.filter_reference = "WIZ-"
            form.filter_partner_id = self.env["res.partner"]
            names = {row["move_line_id"] for row in form.item_ids._records}
            self.assertIn(self.open_item(other).id, names)
            form.filter_partner_id = self.customer
            rows = {
                row["move_line_id"]: index
                for index, row in enumerate(form.item_ids._records)
            }
            with form.item_ids.edit(rows[self.open_item(first).id]) as row:
                row.selected = True
            self.assertEqual(form.remaining_amount, 400.0)
            with form.item_ids.edit(rows[self.open_item(second).id]) as row:
                row.selected = True
            # the last item chosen gets what is left: a partial
            with form.item_ids.edit(rows[self.open_item(second).id]) as row:
                self.assertEqual(row.amount, 400.0)
                row.amount = 410.0
            self.assertEqual(form.remaining_amount, -10.0)
            form.writeoff_account_id = self.charges
            self.assertEqual(form.writeoff_amount, -10.0)
            self.assertEqual(form.remaining_amount, 0.0)
            form.writeoff_label = "Charges"
        result = wizard.action_validate()
        self.assertEqual(result["tag"], "display_notification")
        self.assertEqual((first | second).mapped("payment_state"), ["paid", "paid"])
        self.assertFalse(skipped.is_reconciled)

    def test_accept_top_suggestions_of_a_selection(self):
        # two equal invoices per amount: the engine only proposes
        pairs = [(self.make_invoice(a), self.make_invoice(a)) for a in (75, 88)]
        lines = self.env["account.bank.statement.line"]
        for amount in ("75.00", "88.00"):
            lines |= self._line(amount, remittance="thanks", iban=CUSTOMER_IBAN)
        unmatched = self._line("12.34", remittance="nothing", iban=VENDOR_IBAN)
        self.assertEqual(lines.mapped("o2c_match_state"), ["proposed", "proposed"])
        exceptions = self._exceptions(lines[0]) | self._exceptions(lines[1])
        result = (lines | unmatched).action_o2c_accept_top_suggestions()
        self.assertIn("2 line(s) reconciled", result["params"]["message"])
        self.assertIn("no suggestion", result["params"]["message"])
        self.assertTrue(all(lines.mapped("is_reconciled")))
        self.assertEqual(set(exceptions.mapped("state")), {"resolved"})
        # each line paid one of its two equal invoices
        for pair in pairs:
            self.assertEqual(
                sorted(m.payment_state for m in pair), ["not_paid", "paid"]
            )
        self.assertFalse(unmatched.is_reconciled)
        # a suggestion gone stale is reported, the others still go through
        third = self._line("88.00", remittance="again", iban=CUSTOMER_IBAN)
        self.assertEqual(third.o2c_match_state, "matched")

    def test_bulk_resolve_and_assign_exceptions(self):
        Exc = self.env["o2c.exception"]
        excs = Exc.browse(
            [
                Exc._raise("other", f"Problem {i}", dedup_key=f"bulk:{i}").id
                for i in range(3)
            ]
        )
        assignee = new_test_user(
            self.env, "o2c_assignee", groups="o2c_integration.group_o2c_user"
        )
        Wizard = self.env["o2c.exception.bulk.wizard"].with_context(
            active_model="o2c.exception", active_ids=excs[:2].ids
        )
        Wizard.create({"mode": "assign", "user_id": assignee.id}).action_apply()
        self.assertEqual(excs[:2].mapped("user_id"), assignee)
        self.assertEqual(excs.mapped("state"), ["in_progress", "in_progress", "new"])
        with self.assertRaises(UserError):
            Wizard.create({"mode": "resolve"}).action_apply()
        Wizard.create(
            {"mode": "resolve", "note": "Checked with the bank"}
        ).action_apply()
        self.assertEqual(excs.mapped("state"), ["resolved", "resolved", "new"])
        self.assertEqual(excs[0].resolution_note, "Checked with the bank")
        self.assertTrue(
            self.env["o2c.audit.log"].search_count(
                [("action", "=", "exception.assign")]
            )
        )
