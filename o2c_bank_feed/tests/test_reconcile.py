# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date

from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tests import tagged

from odoo.addons.o2c_integration.tests.common import run_jobs
from odoo.addons.queue_job.tests.common import trap_jobs

from ..models.account_move_line import _INDEXES
from ..models.o2c_reconcile_engine import _CANDIDATES_SQL
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
        """The open exception about ``line``: its own, or its import's unmatched list."""
        return self.env["o2c.exception"].search(
            [
                "|",
                "&",
                ("res_model", "=", "account.bank.statement.line"),
                ("res_id", "=", line.id),
                ("o2c_line_ids", "in", line.ids),
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

    def test_rule_limited_to_partners_leaves_the_others_alone(self):
        """A rule for some partners matches theirs only, line after line of a batch."""
        self.env["o2c.reconcile.rule"].search([]).active = False
        rule = self.env["o2c.reconcile.rule"].create(
            {
                "name": "Vendor references only",
                "strategy": "reference",
                "partner_ids": [Command.set(self.vendor.ids)],
            }
        )
        theirs = self.make_invoice(300, partner=self.vendor)
        others = self.make_invoice(300)
        imp = self.import_camt(
            [
                {"ref": "P-1", "amount": "300.00", "structured": others.name},
                {"ref": "P-2", "amount": "300.00", "structured": theirs.name},
                {"ref": "P-3", "amount": "300.00", "structured": others.name},
            ],
            reconcile=True,
            stmt_id="S-PARTNERS",
        )
        lines = imp.line_ids.sorted("id")
        self.assertEqual(
            lines.mapped("o2c_match_state"), ["unmatched", "matched", "unmatched"]
        )
        self.assertEqual(lines[1].o2c_rule_id, rule)
        self.assertEqual(theirs.payment_state, "paid")
        self.assertEqual(others.payment_state, "not_paid")

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
        transit = self.make_clearing_account("580100", "Stripe clearing")
        payout = self.make_payout(transit, 970.0, "po_1OxYz9Abc", "po_1OxYz9Abc")
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

    # --- each strategy of the design, end to end

    def test_rf_creditor_reference_generated_by_odoo_pays_the_invoice(self):
        """Strategy 1: the ISO 11649 reference Odoo prints on the invoice."""
        self.company_data["default_journal_sale"].invoice_reference_model = "euro"
        invoice = self.make_invoice(150)
        self.assertTrue(invoice.payment_reference.startswith("RF"))
        line = self._pay(
            "150.00", structured=invoice.payment_reference, name="Someone Else"
        )
        self.assertEqual(invoice.payment_state, "paid", line.o2c_match_reason)
        self.assertEqual(line.o2c_rule_id, self.env.ref("o2c_bank_feed.rule_reference"))

    def test_end_to_end_id_of_a_direct_debit_pays_the_invoice(self):
        """Strategy 1: a collection whose EndToEndId is the invoice number."""
        invoice = self.make_invoice(88.8)
        line = self._pay("88.80", e2e=invoice.name, name="Debtor")
        self.assertEqual(line.o2c_end_to_end_id, invoice.name)
        self.assertEqual(invoice.payment_state, "paid", line.o2c_match_reason)

    def test_counterparty_iban_picks_the_partner_among_equal_amounts(self):
        """Strategy 3: two open invoices of 612.40, the payer's IBAN decides."""
        mine = self.make_invoice(612.40)
        other = self.make_invoice(612.40, partner=self.vendor)
        line = self._pay("612.40", iban=CUSTOMER_IBAN, remittance="thanks")
        self.assertEqual(line.partner_id, self.customer)
        self.assertEqual(mine.payment_state, "paid", line.o2c_match_reason)
        self.assertEqual(other.payment_state, "not_paid")
        self.assertEqual(
            line.o2c_rule_id, self.env.ref("o2c_bank_feed.rule_iban_amount")
        )
        # without the IBAN the same payment is ambiguous: a person chooses
        third = self.make_invoice(612.40)
        line = self._pay("612.40", remittance="thanks", name="?", ref="B-noiban")
        self.assertEqual(line.o2c_match_state, "proposed")
        self.assertEqual(third.payment_state, "not_paid")

    def test_amount_within_the_date_window_is_proposed(self):
        """Strategy 4: exact amount, invoice 3 days before, payer unknown."""
        near = self.make_invoice(456.78, invoice_date=date(2026, 3, 2))
        far = self.make_invoice(456.78, invoice_date=date(2025, 6, 1))
        line = self._pay(
            "456.78", remittance="payment", name="Nobody", date="2026-03-05"
        )
        self.assertEqual(line.o2c_match_state, "proposed")
        exc = self._open_exception(line)
        self.assertEqual(exc.o2c_candidate_ids.strategy, "amount_date")
        # the invoice outside the window is no candidate
        self.assertEqual(exc.o2c_candidate_ids.move_line_ids, self.open_item(near))
        self.assertEqual(far.payment_state, "not_paid")
        exc.action_accept_proposal()
        self.assertEqual(near.payment_state, "paid")

    def test_fuzzy_counterparty_name_is_only_a_suggestion(self):
        """Strategy 7: the bank's spelling of the name points to the partner."""
        Partner = self.env["res.partner"]
        bright = Partner.create(
            {"name": "Brightwater Logistics GmbH", "is_company": True}
        )
        north = Partner.create({"name": "Northwind Traders", "is_company": True})
        old = date(2025, 6, 1)  # far outside any date window
        mine = self.make_invoice(777.70, partner=bright, invoice_date=old)
        self.make_invoice(777.70, partner=north, invoice_date=old)
        line = self._pay("777.70", name="BRIGHTWATER LOGISTICS", remittance="x")
        self.assertEqual(line.o2c_match_state, "proposed", line.o2c_match_reason)
        self.assertEqual(
            line.o2c_rule_id, self.env.ref("o2c_bank_feed.rule_fuzzy_name")
        )
        exc = self._open_exception(line)
        self.assertEqual(exc.o2c_candidate_ids.move_line_ids, self.open_item(mine))
        exc.action_accept_proposal()
        self.assertEqual(mine.payment_state, "paid")

    def test_candidate_lookup_never_scans_the_journal_items(self):
        """Every branch of the batch query is served by an index.

        With sequential scans priced out, a branch the partial indexes do not
        cover (a predicate that does not imply the index's, an expression that
        differs from the indexed one) would show a Seq Scan, or a scan of
        another index over every open item. 300 open items and fresh
        statistics give the planner real selectivities to choose from.
        """
        receivable = self.company_data["default_account_receivable"]
        entry = self.env["account.move"].create(
            {
                "move_type": "entry",
                "line_ids": [
                    Command.create(
                        {
                            "account_id": receivable.id,
                            "partner_id": self.customer.id,
                            "debit": i,
                            "name": f"BULK-{i}",
                        }
                    )
                    for i in range(1, 301)
                ]
                + [
                    Command.create(
                        {
                            "account_id": self.company_data[
                                "default_account_revenue"
                            ].id,
                            "credit": sum(range(1, 301)),
                        }
                    )
                ],
            }
        )
        entry.action_post()
        self.env.flush_all()
        cr = self.env.cr
        cr.execute("ANALYZE account_move_line")
        cr.execute("ANALYZE account_move")
        cr.execute("SET LOCAL enable_seqscan = off")
        cr.execute(
            "EXPLAIN " + _CANDIDATES_SQL,
            {
                "company": self.company.id,
                "keys": ["INV202600001", "INV2026#1"],
                "partners": [self.vendor.id],
                "amounts": [12.34],
            },
        )
        plan = "\n".join(row[0] for row in cr.fetchall())
        cr.execute("SET LOCAL enable_seqscan = on")
        self.assertNotIn("Seq Scan", plan)
        for index in (
            "o2c_aml_open_move_name_key_idx",
            "o2c_aml_open_move_name_canon_idx",
            "o2c_aml_open_name_key_idx",
            "o2c_aml_open_partner_idx",
            "o2c_aml_open_amount_idx",
        ):
            self.assertIn(index, _INDEXES)
            self.assertIn(index, plan)

    # --- failures surface, and spare the rest of the batch

    def test_a_line_odoo_refuses_to_book_does_not_block_the_batch(self):
        """An archived write-off account: that line waits, the others are booked."""
        fees = self.make_invoice(800)
        clean = self.make_invoice(500)
        imp = self.import_camt(
            [
                {"amount": "797.50", "ref": "F1", "structured": fees.name},
                {"amount": "500.00", "ref": "C1", "structured": clean.name},
            ],
            stmt_id="REFUSED",
        )
        self.fees_account.active = False
        stats = imp.line_ids._o2c_job_reconcile()
        self.assertEqual((stats["auto"], stats["proposed"]), (1, 1))
        by_ref = {line.o2c_bank_reference: line for line in imp.line_ids}
        self.assertEqual(clean.payment_state, "paid")
        self.assertTrue(by_ref["C1"].is_reconciled)
        refused = by_ref["F1"]
        self.assertFalse(refused.is_reconciled)
        self.assertEqual(fees.payment_state, "not_paid")
        self.assertEqual(refused.o2c_match_state, "proposed")
        self.assertIn("archived", refused.o2c_match_reason)
        exc = self._open_exception(refused)
        self.assertRecordValues(
            exc, [{"category": "proposal", "severity": "high", "amount": 797.5}]
        )
        self.assertIn("archived", exc.details["error"])
        # the cause fixed, one click books the match the engine had found
        self.fees_account.active = True
        exc.action_accept_proposal()
        self.assertEqual(fees.payment_state, "paid")
        self.assertEqual(exc.state, "resolved")

    def test_a_line_edited_by_hand_meanwhile_is_left_to_the_person(self):
        invoice = self.make_invoice(330)
        imp = self.import_camt(
            [{"amount": "330.00", "ref": "E1", "structured": invoice.name}],
            stmt_id="EDITED",
        )
        line = imp.line_ids
        # someone starts working on the entry before the job runs
        line.move_id.with_context(skip_readonly_check=True).write(
            {
                "line_ids": [
                    Command.create(
                        {
                            "name": "by hand",
                            "account_id": self.fees_account.id,
                            "balance": 1.0,
                        }
                    ),
                    Command.create(
                        {
                            "name": "by hand",
                            "account_id": self.company_data[
                                "default_account_revenue"
                            ].id,
                            "balance": -1.0,
                        }
                    ),
                ]
            }
        )
        stats = line._o2c_job_reconcile()
        self.assertEqual((stats["auto"], stats["proposed"]), (0, 1))
        self.assertEqual(invoice.payment_state, "not_paid")
        self.assertEqual(line.o2c_match_state, "proposed")
        self.assertTrue(line.o2c_match_date)
        exc = self._open_exception(line)
        self.assertEqual(exc.severity, "high")
        self.assertIn("changed by hand", exc.details["error"])

    def test_lines_the_rules_never_ran_on_surface_after_a_while(self):
        """A reconciliation job that died must not leave plain "unmatched" lines."""
        invoice = self.make_invoice(64)
        imp = self.import_camt(
            [
                {"amount": "64.00", "ref": "W1", "structured": invoice.name},
                {"amount": "-10.00", "ref": "W2", "remittance": "card fee"},
            ],
            stmt_id="WAIT",
        )
        Line = self.env["account.bank.statement.line"]

        def backlog():
            return self.env["o2c.exception"].search(
                [
                    (
                        "dedup_key",
                        "=like",
                        f"o2c.bank.matching_backlog:{self.company.id}:%",
                    ),
                    ("state", "in", ("new", "in_progress")),
                ]
            )

        # just imported: the jobs are queued, nothing to say yet
        Line._cron_o2c_matching_backlog()
        self.assertFalse(backlog())
        self.env.flush_all()
        self.env.cr.execute(
            """UPDATE account_bank_statement_line
                  SET create_date = now() - interval '2 hours'
                WHERE id = ANY(%s)""",
            [imp.line_ids.ids],
        )
        Line._cron_o2c_matching_backlog()
        exc = backlog()
        self.assertRecordValues(
            exc,
            [
                {
                    "category": "dead_letter",
                    "severity": "high",
                    "amount": 74.0,
                    "currency_id": self.currency.id,
                    "company_id": self.company.id,
                }
            ],
        )
        self.assertIn("2 imported bank lines", exc.name)
        # the rules ran (one matched, one unmatched with its own exception)
        imp.line_ids._o2c_job_reconcile()
        Line._cron_o2c_matching_backlog()
        self.assertEqual(exc.state, "resolved")
        self.assertEqual(invoice.payment_state, "paid")

    def test_replaying_the_file_event_creates_and_pays_nothing_twice(self):
        invoice = self.make_invoice(210)
        line = self._pay("210.00", structured=invoice.name, ref="RPL1")
        self.assertEqual(invoice.payment_state, "paid")
        event = line.o2c_statement_import_id.event_id
        self.assertEqual(event.state, "done")
        with trap_jobs() as trap:
            event.action_replay()
            run_jobs(trap)
            run_jobs(trap)  # whatever the replay queued in turn
        self.assertEqual(event.replay_count, 1)
        self.assertEqual(event.state, "done")
        lines = self.env["account.bank.statement.line"].search(
            [
                ("journal_id", "=", self.bank_journal.id),
                ("o2c_bank_reference", "=", "RPL1"),
            ]
        )
        self.assertEqual(lines, line)
        replayed = self.Import.search(
            [("event_id", "=", event.id)], order="id desc", limit=1
        )
        self.assertEqual((replayed.created_count, replayed.duplicate_count), (0, 1))
        self.assertEqual(len(self.open_item(invoice).matched_debit_ids), 0)
        self.assertEqual(len(self.open_item(invoice).matched_credit_ids), 1)
        self.assertEqual(invoice.amount_residual, 0.0)
