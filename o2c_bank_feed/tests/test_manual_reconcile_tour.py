# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Browser tours of the manual reconciliation screens, checked in the books.

Each test prepares the data, runs its tour(s) in a headless Chromium as a
finance user, then asserts the accounting result in the database.
Tours: ``static/tests/tours/o2c_manual_reconcile_tour.js`` and
``o2c_bulk_actions_tour.js``.
"""

from odoo.tests import HttpCase, new_test_user, tagged

from .common import CUSTOMER_IBAN, BankFeedCommon


class ManualTourCommon(BankFeedCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the tours' CAMT files are in the company currency
        assert cls.currency.name == "USD", cls.currency.name
        cls.customer.name = "Tour Customer"
        cls.tour_user = new_test_user(
            cls.env,
            "o2c_tour_accountant",
            groups=(
                "o2c_integration.group_o2c_user,account.group_account_user,"
                "base.group_user"
            ),
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )

    def _open_exceptions(self, lines):
        return self.env["o2c.exception"].search(
            [
                "|",
                "&",
                ("res_model", "=", "account.bank.statement.line"),
                ("res_id", "in", lines.ids),
                ("o2c_line_ids", "in", lines.ids),
                ("state", "in", ("new", "in_progress")),
            ]
        )


@tagged("post_install", "-at_install")
class TestManualReconcileTour(ManualTourCommon):
    def test_import_reconcile_by_hand_with_write_off_then_undo(self):
        first = self.make_invoice(600, ref="TOUR-INV-A")
        second = self.make_invoice(410, ref="TOUR-INV-B")
        charges = self.env["account.account"].create(
            {"name": "Tour Bank Charges", "code": "TOURBC", "account_type": "expense"}
        )
        # 1. the file is uploaded through the import wizard
        self.start_tour("/odoo", "o2c_bank_import_tour", login=self.tour_user.login)
        lines = self.env["account.bank.statement.line"].search(
            [("o2c_bank_reference", "in", ("TOUR-B1", "TOUR-B2"))], order="date"
        )
        self.assertEqual(len(lines), 2)
        self.assertEqual(lines.mapped("amount"), [45.0, 1000.0])
        self.assertEqual(lines[1].partner_id, self.customer)
        # the rules run (the import queued them): 10.00 short is beyond tolerance
        lines.action_o2c_reconcile()
        self.assertFalse(any(lines.mapped("is_reconciled")))
        exception = self._open_exceptions(lines[1])
        self.assertEqual(len(exception), 1)

        # 2. reconciled by hand against both invoices with a write-off
        self.start_tour(
            "/odoo/action-o2c_bank_feed.o2c_bank_line_action_open",
            "o2c_manual_reconcile_tour",
            login=self.tour_user.login,
        )
        self.env.invalidate_all()
        line = lines[1]
        self.assertTrue(line.is_reconciled)
        self.assertEqual(line.o2c_match_state, "manual")
        self.assertEqual((first | second).mapped("payment_state"), ["paid", "paid"])
        writeoff = line.move_id.line_ids.filtered(lambda a: a.account_id == charges)
        self.assertRecordValues(
            writeoff, [{"balance": 10.0, "name": "Bank charges March"}]
        )
        # the import's unmatched list keeps only the skipped line
        self.assertNotIn(line, exception.o2c_line_ids)
        self.assertEqual(exception.o2c_line_ids, lines[0])
        self.assertEqual(exception.state, "new")
        self.assertFalse(lines[0].is_reconciled, "the skipped line stays open")
        audit = self.env["o2c.audit.log"].search(
            [("action", "=", "bank.reconcile.manual"), ("res_id", "=", line.id)]
        )
        self.assertEqual(audit.user_id, self.tour_user)
        self.assertEqual(audit._data_dict()["amounts"], ["600.00", "410.00"])

        # 3. undone from the line
        self.start_tour(
            "/odoo/action-o2c_bank_feed.o2c_bank_line_action",
            "o2c_manual_undo_tour",
            login=self.tour_user.login,
        )
        self.env.invalidate_all()
        self.assertFalse(line.is_reconciled)
        self.assertEqual(line.o2c_match_state, "unmatched")
        self.assertEqual(
            (first | second).mapped("payment_state"), ["not_paid", "not_paid"]
        )
        self.assertFalse(
            line.move_id.line_ids.filtered(lambda a: a.account_id == charges)
        )
        self.assertEqual(exception.state, "new")
        self.assertIn(line, exception.o2c_line_ids, "the undone line is listed again")
        self.assertEqual(
            self.env["o2c.audit.log"].search_count(
                [("action", "=", "bank.reconcile.undo"), ("res_id", "=", line.id)]
            ),
            1,
        )


@tagged("post_install", "-at_install")
class TestBulkActionsTour(ManualTourCommon):
    def test_bulk_accept_of_the_top_suggestions(self):
        # two equal invoices per amount: the rules only propose
        pairs = [
            (self.make_invoice(amount), self.make_invoice(amount))
            for amount in (75, 88)
        ]
        imp = self.import_camt(
            [
                {
                    "ref": f"BULK-{amount}",
                    "amount": f"{amount}.00",
                    "iban": CUSTOMER_IBAN,
                    "remittance": f"Bulk payment {amount}",
                    "date": "2026-03-05",
                }
                for amount in (75, 88)
            ],
            reconcile=True,
            stmt_id="BULK",
        )
        lines = imp.line_ids
        self.assertEqual(lines.mapped("o2c_match_state"), ["proposed", "proposed"])
        exceptions = self._open_exceptions(lines)
        self.assertEqual(len(exceptions), 2)
        self.start_tour(
            "/odoo/action-o2c_bank_feed.o2c_bank_line_action_open",
            "o2c_bulk_accept_tour",
            login=self.tour_user.login,
        )
        self.env.invalidate_all()
        self.assertTrue(all(lines.mapped("is_reconciled")))
        self.assertEqual(lines.mapped("o2c_match_state"), ["manual", "manual"])
        for pair in pairs:
            self.assertEqual(
                sorted(move.payment_state for move in pair), ["not_paid", "paid"]
            )
        self.assertEqual(set(exceptions.mapped("state")), {"resolved"})
        self.assertEqual(
            self.env["o2c.audit.log"].search_count(
                [("action", "=", "bank.reconcile.accept"), ("res_id", "in", lines.ids)]
            ),
            2,
        )

    def test_resolve_and_assign_a_selection_of_exceptions(self):
        Exc = self.env["o2c.exception"]
        exceptions = Exc.browse(
            [
                Exc._raise(
                    "other",
                    f"Tour exception {index}",
                    dedup_key=f"tour:{index}",
                    company=self.company,
                ).id
                for index in range(3)
            ]
        )
        assignee = new_test_user(
            self.env,
            "o2c_tour_assignee",
            name="Tour Assignee",
            groups="o2c_integration.group_o2c_user",
            company_id=self.company.id,
            company_ids=[self.company.id],
        )
        self.start_tour(
            "/odoo/action-o2c_integration.o2c_exception_action",
            "o2c_bulk_exceptions_tour",
            login=self.tour_user.login,
        )
        self.env.invalidate_all()
        first, second, third = exceptions
        self.assertEqual((first | second).mapped("user_id"), assignee)
        self.assertFalse(third.user_id)
        self.assertEqual(first.state, "resolved")
        self.assertEqual(second.state, "resolved")
        self.assertEqual(third.state, "new")
        self.assertEqual(first.resolution_note, "Paid twice, refunded by the bank")
        self.assertEqual(first.resolved_by_id, self.tour_user)
        self.assertEqual(
            self.env["o2c.audit.log"].search_count(
                [
                    ("action", "=", "exception.resolved"),
                    ("res_id", "in", exceptions.ids),
                ]
            ),
            2,
        )
