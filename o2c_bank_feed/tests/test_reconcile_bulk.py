# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The bulk booking of plain matches writes exactly what Odoo's reconciliation writes.

One statement whose lines cover every shape of a plain match (one invoice,
a line without partner, several invoices, a partial payment, bank charges
written off, a vendor bill, a clearing-account item) is reconciled twice
from the same database state (a savepoint rolled back in between): once
with ``o2c.reconcile.bulk`` and once with the bulk path switched off, i.e.
through ``account.move.line._reconcile_plan``. Every stored field of the
statement lines, the bank entries and their journal items, the invoices and
their journal items, the partial and full reconciles is then compared, and
the raw SQL rows too. Ids and create/write dates differ by nature; the
records a run creates are compared by position, matching numbers by the
record they name.
"""

from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from unittest.mock import patch

from odoo.tests import tagged

from ..models.o2c_reconcile_bulk import _fits
from .common import (
    CUSTOMER_IBAN,
    VENDOR_IBAN,
    BankFeedCommon,
    raw_rows,
    rolled_back,
    stored_values,
)

VOLATILE = {"id", "create_date", "write_date", "o2c_match_date"}
#: Computed, not stored, but what a person sees: compared as well.
EXTRA = {
    "account.move": ("payment_state", "amount_residual", "status_in_payment"),
    "account.move.line": ("reconciled", "amount_residual"),
    "account.bank.statement.line": ("is_reconciled", "amount_residual"),
}


@tagged("post_install", "-at_install")
class TestReconcileBulkExact(BankFeedCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Bulk = type(cls.env["o2c.reconcile.bulk"])
        cls.transit = cls.make_clearing_account("580199", "Gateway clearing")

    def _scenario(self):
        """Open items and a statement (not reconciled yet) paying them."""
        full = self.make_invoice(500)
        anonymous = self.make_invoice(610.40)
        first, second = self.make_invoice(100), self.make_invoice(250.5)
        partial = self.make_invoice(1000)
        charged = self.make_invoice(800)
        bill = self.make_invoice(
            432.10, partner=self.vendor, move_type="in_invoice", ref="SUP-7781"
        )
        payout = self.make_payout(self.transit, 970.0, "po_1BulkTest", "po")
        entries = [
            {"amount": "500.00", "structured": full.name, "iban": CUSTOMER_IBAN},
            {"amount": "610.40", "structured": anonymous.name, "name": "Someone"},
            {
                "amount": "350.50",
                "remittance": f"{first.name} and {second.name}",
                "iban": CUSTOMER_IBAN,
            },
            {"amount": "400.00", "structured": partial.name, "iban": CUSTOMER_IBAN},
            {"amount": "797.50", "structured": charged.name, "iban": CUSTOMER_IBAN},
            {"amount": "-432.10", "remittance": "SUP-7781", "iban": VENDOR_IBAN},
            {"amount": "970.00", "remittance": "STRIPE PAYOUT po_1BulkTest"},
        ]
        for position, entry in enumerate(entries):
            entry.update(ref=f"BULK-{position}", date="2026-03-05")
        imp = self.import_camt(entries, stmt_id="BULK")
        moves = full | anonymous | first | second | partial | charged | bill | payout
        return imp.line_ids.sorted("o2c_import_id"), moves

    def _statement(self, stmt_id, *entries, reconcile=False):
        """Import one statement of ``entries`` (customer payments by default)."""
        entries = [dict({"iban": CUSTOMER_IBAN}, **entry) for entry in entries]
        return self.import_camt(entries, reconcile=reconcile, stmt_id=stmt_id)

    @contextmanager
    def _bulk_off(self):
        """The administrator's switch: everything through Odoo's reconciliation."""
        Param = self.env["ir.config_parameter"].sudo()
        Param.set_param("o2c_bank_feed.bulk_reconcile", "0")
        try:
            yield
        finally:
            Param.set_param("o2c_bank_feed.bulk_reconcile", "1")

    def _run(self, lines, moves, bulk):
        """Snapshot of the reconciliation of ``lines`` from the current state."""
        booked = []
        book = self.Bulk._book

        def spy(bulk_self, prepared):
            booked.extend(p[0].id for p in prepared)
            return book(bulk_self, prepared)

        def act():
            with patch.object(self.Bulk, "_book", spy):
                if bulk:
                    lines._o2c_job_reconcile()
                else:
                    with self._bulk_off():
                        lines._o2c_job_reconcile()

        snapshot = rolled_back(
            self.env, act, lambda _result: self._snapshot(lines, moves)
        )
        return snapshot, booked

    def _snapshot(self, lines, moves):
        Aml = self.env["account.move.line"]
        bank_items = Aml.concat(
            *[
                line.move_id.line_ids.sorted(lambda a: (-a.balance, a.account_id.id))
                for line in lines
            ]
        )
        open_items = moves.line_ids.sorted("id")
        partials = (bank_items | open_items).matched_debit_ids | (
            bank_items | open_items
        ).matched_credit_ids
        partials = partials.sorted(
            lambda p: (
                open_items.ids.index(p.debit_move_id.id)
                if p.debit_move_id in open_items
                else open_items.ids.index(p.credit_move_id.id)
            )
        )
        fulls = partials.full_reconcile_id.sorted(
            lambda f: partials.ids.index(f.partial_reconcile_ids[:1].id)
        )
        records = {
            "account.bank.statement.line": lines,
            "account.move": lines.move_id | moves,
            "account.move.line": bank_items | open_items,
            "account.partial.reconcile": partials,
            "account.full.reconcile": fulls,
        }
        # records both runs share keep their id; those a run creates get a position
        created = {
            "account.move.line": bank_items,
            "account.partial.reconcile": partials,
            "account.full.reconcile": fulls,
        }
        tokens = {
            (model, record.id): f"{model}#{position}"
            for model, recs in created.items()
            for position, record in enumerate(recs)
        }
        full_tokens = {str(f.id): tokens[(f._name, f.id)] for f in fulls}
        partial_tokens = {f"P{p.id}": "P" + tokens[(p._name, p.id)] for p in partials}

        def token(record):
            if record._name in ("mail.message", "mail.tracking.value"):
                return record._name
            return tokens.get((record._name, record.id), record.id)

        def convert(field, raw):
            if field.name == "matching_number":
                return full_tokens.get(raw) or partial_tokens[raw]
            return None

        snapshot = stored_values(records, token, EXTRA, VOLATILE, convert)
        snapshot["sql"] = self._sql_rows(records)
        return snapshot

    def _sql_rows(self, records):
        """Raw columns, own ids, dates and matching numbers (ids) left out."""
        return {
            model: [
                {
                    column: v
                    for column, v in row.items()
                    if column not in VOLATILE
                    and not column.endswith("_id")
                    and column != "matching_number"
                }
                for row in rows
            ]
            for model, rows in raw_rows(self.env, records).items()
        }

    def _compare(self, bulk, orm):
        """Every difference, all listed in one failure."""
        self.assertTrue(bulk and orm)
        differences = []
        for model, o_records in orm.items():
            self.assertEqual(len(bulk[model]), len(o_records), model)
            if model == "sql":
                continue
            for position, (b_rec, o_rec) in enumerate(
                zip(bulk[model], o_records, strict=True)
            ):
                differences += [
                    f"{model}[{position}].{name}: bulk {b_rec[name]!r} ORM {o_value!r}"
                    for name, o_value in o_rec.items()
                    if b_rec[name] != o_value
                ]
        for model, o_rows in orm["sql"].items():
            for position, (b_row, o_row) in enumerate(
                zip(bulk["sql"][model], o_rows, strict=True)
            ):
                differences += [
                    f"SQL {model}[{position}].{column}: bulk {b_row[column]!r} "
                    f"ORM {o_value!r}"
                    for column, o_value in o_row.items()
                    if b_row[column] != o_value
                ]
        self.assertFalse(differences, "\n".join(differences))

    # --- tests

    def test_bulk_booking_equals_odoo_reconciliation(self):
        lines, moves = self._scenario()
        bulk, booked = self._run(lines, moves, bulk=True)
        orm, booked_orm = self._run(lines, moves, bulk=False)
        self.assertEqual(booked_orm, [])
        # every line of the scenario is a plain match: all booked in bulk
        self.assertEqual(sorted(booked), sorted(lines.ids))
        self._compare(bulk, orm)
        states = [
            line["o2c_match_state"] for line in bulk["account.bank.statement.line"]
        ]
        self.assertEqual(states, ["matched"] * len(lines))
        payment_states = {
            move["name"]: move["payment_state"]
            for move in bulk["account.move"]
            if move["move_type"] != "entry"
        }
        self.assertEqual(
            sorted(payment_states.values()),
            ["paid"] * 6 + ["partial"],
            payment_states,
        )

    def test_foreign_currency_and_partly_paid_items_go_through_odoo(self):
        eur = self.setup_other_currency("EUR")
        foreign = self.make_invoice(200, currency=eur)
        partly = self.make_invoice(900)
        first = self._statement(
            "PART-1",
            {"amount": "300.00", "structured": partly.name, "ref": "PART-1"},
            reconcile=True,
        )
        self.assertEqual(partly.payment_state, "partial")
        imp = self._statement(
            "MIXED",
            {
                "amount": "100.00",
                "structured": foreign.name,
                "instructed": ("200.00", "EUR"),
                "ref": "FX-1",
            },
            {"amount": "600.00", "structured": partly.name, "ref": "PART-2"},
        )
        _snapshot, booked = self._run(imp.line_ids, foreign | partly, bulk=True)
        self.assertEqual(booked, [])
        imp.line_ids._o2c_job_reconcile()
        self.assertEqual((foreign | partly).mapped("payment_state"), ["paid", "paid"])
        self.assertTrue(all(imp.line_ids.mapped("is_reconciled")))
        self.assertTrue(first.line_ids.is_reconciled)

    def test_bulk_booked_line_can_be_undone_by_odoo(self):
        """Odoo's own unreconcile and undo work on what the bulk path wrote."""
        lines, moves = self._scenario()
        lines._o2c_job_reconcile()
        invoice = moves.filtered(lambda m: m.move_type == "out_invoice")[:1]
        self.assertEqual(invoice.payment_state, "paid")
        line = lines[0]
        item = self.open_item(invoice)
        counterpart = line.move_id.line_ids.filtered(
            lambda a: a.account_id == item.account_id
        )
        item.remove_move_reconcile()
        self.assertEqual(invoice.payment_state, "not_paid")
        self.assertFalse(counterpart.reconciled)
        self.assertAlmostEqual(counterpart.amount_residual, -500.0)
        self.assertFalse(item.matching_number or counterpart.matching_number)
        # and it can be reconciled again, by Odoo this time
        (counterpart | item).reconcile()
        self.assertEqual(invoice.payment_state, "paid")
        self.assertTrue(counterpart.full_reconcile_id)
        # Odoo's undo puts the line of two invoices back on suspense
        other = lines[2]
        paid = other.move_id.line_ids.matched_debit_ids.debit_move_id.move_id
        self.assertEqual(len(paid), 2)
        other.action_undo_reconciliation()
        self.assertEqual(set(paid.mapped("payment_state")), {"not_paid"})
        self.assertFalse(other.is_reconciled)
        self.assertEqual(len(other.move_id.line_ids), 2)

    def test_a_locked_period_stops_the_bulk_booking_as_it_stops_odoo(self):
        """The lock date check runs before any row is written; the line waits."""
        locked = self.make_invoice(120)
        open_ = self.make_invoice(130)
        imp = self._statement(
            "LOCK",
            {"amount": "120.00", "structured": locked.name, "ref": "LOCK-1"},
            {
                "amount": "130.00",
                "structured": open_.name,
                "ref": "LOCK-2",
                "date": "2026-04-02",
            },
        )
        by_ref = {line.o2c_bank_reference: line for line in imp.line_ids}
        before = by_ref["LOCK-1"].move_id.line_ids.read(["account_id", "balance"])
        # Odoo refuses to lock a period with lines still to reconcile; the
        # lock is set behind its back (as a migration or a second company
        # user could leave it) to see what the booking does.
        self.env.cr.execute(
            "UPDATE res_company SET fiscalyear_lock_date = %s WHERE id = %s",
            [date(2026, 3, 31), self.company.id],
        )
        self.company.invalidate_recordset(["fiscalyear_lock_date"])
        stats = imp.line_ids._o2c_job_reconcile()
        self.assertEqual((stats["auto"], stats["proposed"]), (1, 1))
        self.assertEqual(open_.payment_state, "paid")
        self.assertEqual(locked.payment_state, "not_paid")
        refused = by_ref["LOCK-1"]
        self.assertEqual(refused.o2c_match_state, "proposed")
        self.assertEqual(
            refused.move_id.line_ids.read(["account_id", "balance"]), before
        )
        self.assertFalse(self.open_item(locked).matched_debit_ids)
        exc = self.env["o2c.exception"].search(
            [("res_model", "=", refused._name), ("res_id", "=", refused.id)]
        )
        self.assertEqual(exc.severity, "high")
        self.assertIn("lock", exc.details["error"].lower())

    def test_analytic_distribution_models_send_matches_through_odoo(self):
        """A model could give a counterpart a distribution: Odoo computes it."""
        plan = self.env["account.analytic.plan"].create({"name": "Regions"})
        region = self.env["account.analytic.account"].create(
            {"name": "North", "plan_id": plan.id}
        )
        self.env["account.analytic.distribution.model"].create(
            {
                "partner_id": self.customer.id,
                "analytic_distribution": {str(region.id): 100},
            }
        )
        invoice = self.make_invoice(275)
        imp = self._statement(
            "ANA", {"amount": "275.00", "structured": invoice.name, "ref": "ANA-1"}
        )
        _snapshot, booked = self._run(imp.line_ids, invoice, bulk=True)
        self.assertEqual(booked, [])
        imp.line_ids._o2c_job_reconcile()
        self.assertEqual(invoice.payment_state, "paid")

    def test_two_instalments_of_one_invoice_in_one_batch_go_through_odoo(self):
        """Odoo reconciles an item paid twice in a batch step by step."""
        invoice = self.make_invoice(1000)
        clean = self.make_invoice(210)
        imp = self._statement(
            "TWICE",
            {"amount": "400.00", "structured": invoice.name, "ref": "TW-1"},
            {"amount": "600.00", "structured": invoice.name, "ref": "TW-2"},
            {"amount": "210.00", "structured": clean.name, "ref": "TW-3"},
        )
        _snapshot, booked = self._run(imp.line_ids, invoice | clean, bulk=True)
        by_ref = {line.o2c_bank_reference: line for line in imp.line_ids}
        self.assertEqual(booked, [by_ref["TW-3"].id])
        imp.line_ids._o2c_job_reconcile()
        self.assertEqual((invoice | clean).mapped("payment_state"), ["paid", "paid"])
        self.assertTrue(all(imp.line_ids.mapped("is_reconciled")))
        item = self.open_item(invoice)
        self.assertTrue(item.full_reconcile_id)
        self.assertEqual(len(item.matched_credit_ids), 2)

    def test_an_allocation_beyond_the_residual_is_left_to_odoo(self):
        """The bulk path books a counterpart whole: only within the residual."""
        self.assertTrue(_fits(Decimal("100.00"), 100.0, 2))
        self.assertTrue(_fits(Decimal("-40.00"), -432.1, 2))
        self.assertTrue(_fits(Decimal("456.78"), 456.779999999, 2))
        self.assertFalse(_fits(Decimal("100.01"), 100.0, 2))
        self.assertFalse(_fits(Decimal("10.00"), -432.1, 2))
        self.assertFalse(_fits(Decimal("0"), 5.0, 2))

    def test_netting_with_credit_notes_bulk_equals_odoo(self):
        """Invoices net of credit notes (found by amount; named, with a fee)."""
        self.env.ref("o2c_bank_feed.rule_netting").writeoff_account_id = (
            self.fees_account
        )
        invoice = self.make_invoice(1000)
        named = self.make_invoice(200, move_type="out_refund")
        found = self.make_invoice(50.25, move_type="out_refund")
        other = self.make_invoice(640)
        other_note = self.make_invoice(40, move_type="out_refund")
        imp = self._statement(
            "NETTING",
            {
                "amount": "749.75",
                "remittance": f"{invoice.name} less {named.name} thanks",
                "ref": "NT-1",
            },
            {
                "amount": "597.00",
                "remittance": f"Invoice {other.name} - {other_note.name}",
                "ref": "NT-2",
            },
        )
        lines = imp.line_ids.sorted("o2c_import_id")
        moves = invoice | named | found | other | other_note
        bulk, booked = self._run(lines, moves, bulk=True)
        orm, booked_orm = self._run(lines, moves, bulk=False)
        self.assertEqual(booked_orm, [])
        self.assertEqual(sorted(booked), sorted(lines.ids))
        self._compare(bulk, orm)
        states = {
            move["name"]: move["payment_state"]
            for move in bulk["account.move"]
            if move["move_type"] != "entry"
        }
        self.assertEqual(set(states.values()), {"paid"}, states)
