# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The bulk statement line writer writes exactly what the ORM writes.

Each scenario is run twice from the same database state (a savepoint rolled
back in between): once through ``o2c.bank.line.writer`` (prototype + SQL
copies) and once through ``account.bank.statement.line.create``. Every stored
field of the statement, its lines, their moves and journal items is then
compared. Ids and create/write dates differ by nature; references between
the records of a run (move <-> line <-> items <-> statement) are compared as
positions. Sequence numbers and names are compared too: from the same state
the ORM gives the same numbers, which proves the bulk numbers follow the
journal's sequence format without gaps; uniqueness is checked with both
runs' lines in one journal.
"""

from datetime import date
from xmlrpc.client import MAXINT

from odoo.fields import Command
from odoo.tests import tagged

from ..models import o2c_bank_line_writer
from .common import (
    CUSTOMER_IBAN,
    VENDOR_IBAN,
    BankFeedCommon,
    raw_rows,
    rolled_back,
    stored_values,
)

#: Differ between two runs by nature (never compared).
VOLATILE = {"id", "create_date", "write_date"}
#: Computed, not stored, but what a person sees: compared as well.
EXTRA = {
    "account.bank.statement": ("is_valid", "problem_description"),
    "account.bank.statement.line": (
        "running_balance",
        "statement_complete",
        "statement_valid",
        "statement_balance_end_real",
        "statement_name",
    ),
    "account.move": ("payment_state", "amount_residual"),
    "account.move.line": ("reconciled", "amount_residual"),
}
#: Must differ between the runs (checked separately).
DIFFERENT = {"o2c_import_id"}
#: Date + sequence + line id: compared with the id replaced by its position.
INDEX_FIELDS = ("internal_index", "first_line_index")
MODELS = (
    "account.bank.statement",
    "account.bank.statement.line",
    "account.move",
    "account.move.line",
)


@tagged("post_install", "-at_install")
class TestBulkWriterExact(BankFeedCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.setup_other_currency(
            "EUR", rates=[("2026-01-01", 1.0834), ("2026-03-15", 1.1057)]
        )
        cls.gbp = cls.setup_other_currency(
            "GBP", rates=[("2026-01-01", 0.8533), ("2026-03-10", 0.8471)]
        )
        cls.eur_journal = cls.env["account.journal"].create(
            {
                "name": "Bank EUR",
                "code": "BEUR",
                "type": "bank",
                "currency_id": cls.eur.id,
            }
        )
        cls.contact = cls.env["res.partner"].create(
            {"name": "Accounting Contact", "parent_id": cls.customer.id}
        )
        # partner-dependent values of the journal entry (fiscal position,
        # payment term, salesperson) that differ from the prototype's: every
        # copied line of the vendor must carry the vendor's
        cls.vendor.write(
            {
                "property_account_position_id": cls.env["account.fiscal.position"]
                .create({"name": "Vendor Position"})
                .id,
                "property_supplier_payment_term_id": cls.pay_terms_a.id,
                "property_payment_term_id": cls.pay_terms_a.id,
                "user_id": cls.env.user.id,
            }
        )
        cls.Writer = cls.env["o2c.bank.line.writer"]
        cls.Line = cls.env["account.bank.statement.line"]

    def setUp(self):
        super().setUp()
        # every line of these small batches goes through the bulk path
        self.patch(o2c_bank_line_writer, "FAST_PATH_MIN_LINES", 2)

    # --- data

    def _vals(self, journal, foreign):
        """Lines in two sequence periods, with and without partner and currency."""
        specs = [
            ("2026-03-02", 120.00, CUSTOMER_IBAN, None, None),
            ("2026-03-02", -45.10, None, None, None),
            ("2026-03-05", 999.99, VENDOR_IBAN, None, None),
            ("2026-03-09", -0.01, CUSTOMER_IBAN, None, None),
            ("2026-03-12", 250.37, CUSTOMER_IBAN, foreign, 231.11),
            ("2026-03-16", -80.00, None, foreign, -73.33),
            ("2026-03-16", 1234567.89, VENDOR_IBAN, None, None),
            ("2026-03-31", 17.17, None, None, None),
            ("2027-01-04", 42.00, CUSTOMER_IBAN, None, None),
            ("2027-01-05", -42.00, VENDOR_IBAN, foreign, -39.87),
            ("2027-01-29", 3.33, None, None, None),
        ]
        partners = {CUSTOMER_IBAN: self.customer, VENDOR_IBAN: self.vendor}
        vals_list = []
        for index, (day, amount, iban, currency, original) in enumerate(specs):
            vals = {
                "journal_id": journal.id,
                "date": date.fromisoformat(day),
                "amount": amount,
                "payment_ref": f"Payment {index} / INV-{index:04d}",
                "partner_name": "Somebody" if iban else False,
                "account_number": iban or False,
                "transaction_type": "PMNT/RCDT/ESCT",
                "sequence": (index % 3) + 1,
                "o2c_import_id": f"IMPORT-{index}",
                "o2c_end_to_end_id": f"E2E-{index}" if index % 2 else False,
                "o2c_structured_ref": f"RF18{index:04d}" if index % 3 else False,
                "o2c_counterparty_account": iban or False,
                "o2c_bank_reference": f"BANKREF-{index}",
                "transaction_details": {"bank_reference": f"BANKREF-{index}"},
            }
            if iban:
                vals["partner_id"] = partners[iban].id
            if currency:
                vals["foreign_currency_id"] = currency.id
                vals["amount_currency"] = original
            vals_list.append(vals)
        # the odd ones: a contact of a company, no label, no details, sequence
        # 0, a "foreign" currency that is the journal's own
        vals_list[7]["partner_id"] = self.contact.id
        vals_list[3]["payment_ref"] = False
        vals_list[2].pop("transaction_details")
        vals_list[1]["sequence"] = 0
        vals_list[6].update(
            foreign_currency_id=(journal.currency_id or self.currency).id,
            amount_currency=1234567.89,
        )
        return vals_list

    # --- the two runs

    def _bulk(self, journal, vals_list, opening, closing):
        """The writer's path; asserts the lines past each prototype were copied by SQL."""
        inserted = []
        insert_linked_rows = o2c_bank_line_writer.insert_linked_rows

        def spy(cr, first, second):
            if second[0] == "account_bank_statement_line":
                inserted.extend(second[1])
            return insert_linked_rows(cr, first, second)

        self.patch(o2c_bank_line_writer, "insert_linked_rows", spy)
        result = self.Writer._o2c_write_lines(
            journal,
            [dict(v) for v in vals_list],
            statement_vals={"name": "STMT-X", "journal_id": journal.id},
            balances=(opening, closing),
        )
        prototypes = len(set(result.lines.move_id.mapped("sequence_prefix")))
        self.assertEqual(len(inserted), len(vals_list) - prototypes)
        self.assertEqual(len(result.lines), len(vals_list))
        return result.statement, result.lines

    def _orm(self, journal, vals_list, opening, closing):
        statement = self.env["account.bank.statement"].create(
            {
                "name": "STMT-X",
                "journal_id": journal.id,
                "balance_start": opening,
                "balance_end_real": closing,
            }
        )
        lines = self.Line.with_context(
            tracking_disable=True, mail_create_nolog=True, mail_notrack=True
        ).create([dict(v, statement_id=statement.id) for v in vals_list])
        return statement, lines.with_env(self.env)

    def _isolated(self, run, *args):
        """Snapshot of ``run(*args)`` from the current state, then rolled back."""
        snapshot = rolled_back(
            self.env, lambda: run(*args), lambda result: self._snapshot(*result)
        )
        self.env.cr.precommit.data.get("sequence.mixin", {}).clear()
        return snapshot

    def _snapshot(self, statement, lines):
        """Stored values of the run's records, own ids replaced by positions."""
        lines = lines.sorted(lambda line: line.o2c_import_id)
        records = {
            "account.bank.statement": statement,
            "account.bank.statement.line": lines,
            "account.move": lines.move_id,
            "account.move.line": self.env["account.move.line"].concat(
                *[
                    line.move_id.line_ids.sorted(
                        lambda a: (-a.balance, a.account_id.id)
                    )
                    for line in lines
                ]
            ),
        }
        tokens = {
            (model, record.id): f"{model}#{position}"
            for model, recs in records.items()
            for position, record in enumerate(recs)
        }

        def token(record):
            return tokens.get((record._name, record.id), record.id)

        def convert(field, raw):
            if field.name in INDEX_FIELDS:
                line = self.Line.browse(int(raw[-10:]))
                return raw[:-10] + token(line)
            return None

        snapshot = stored_values(records, token, EXTRA, VOLATILE, convert)
        snapshot["internal_index"] = [
            line.internal_index
            == f"{line.date:%Y%m%d}{MAXINT - line.sequence:0>10}{line.id:0>10}"
            for line in lines
        ]
        snapshot["sql"] = self._sql_rows(records)
        return snapshot

    def _sql_rows(self, records):
        """Raw columns, own ids and dates left out, import ids by type only."""
        return {
            model: [
                {
                    column: type(v).__name__
                    if column in DIFFERENT
                    else (v[:-10] if column in INDEX_FIELDS and v else v)
                    for column, v in row.items()
                    if column not in ("id", "create_date", "write_date")
                    and not column.endswith("_id")
                    and column not in ("line_ids",)
                }
                for row in rows
            ]
            for model, rows in raw_rows(self.env, records).items()
        }

    def _compare(self, journal, foreign):
        vals_list = self._vals(journal, foreign)
        total = round(sum(v["amount"] for v in vals_list), 2)
        bulk = self._isolated(self._bulk, journal, vals_list, 1000.0, 1000.0 + total)
        orm = self._isolated(self._orm, journal, vals_list, 1000.0, 1000.0 + total)
        self.assertTrue(bulk and orm)
        for model in MODELS:
            self.assertEqual(len(bulk[model]), len(orm[model]), model)
            for position, (b_rec, o_rec) in enumerate(
                zip(bulk[model], orm[model], strict=True)
            ):
                for name, o_value in o_rec.items():
                    if name in DIFFERENT:
                        continue
                    self.assertEqual(
                        b_rec[name],
                        o_value,
                        f"{model}[{position}].{name} (bulk vs ORM)",
                    )
            for position, (b_row, o_row) in enumerate(
                zip(bulk["sql"][model], orm["sql"][model], strict=True)
            ):
                self.assertEqual(b_row, o_row, f"SQL row of {model}[{position}]")
        self.assertTrue(all(bulk["internal_index"]))
        self.assertTrue(all(orm["internal_index"]))
        return bulk

    # --- tests

    def test_bulk_equals_orm_company_currency_journal(self):
        bulk = self._compare(self.bank_journal, self.eur)
        moves = bulk["account.move"]
        self.assertTrue(all(m["state"] == "posted" for m in moves))
        self.assertFalse(any(m["made_sequence_gap"] for m in moves))
        self.assertFalse(any(m["inalterable_hash"] for m in moves))
        self.assertEqual(len({m["name"] for m in moves}), len(moves))
        statement = bulk["account.bank.statement"][0]
        self.assertTrue(statement["is_complete"])
        self.assertTrue(statement["is_valid"])

    def test_bulk_equals_orm_foreign_currency_journal(self):
        self._compare(self.eur_journal, self.gbp)

    def test_bulk_equals_orm_foreign_line_in_company_currency(self):
        self._compare(self.eur_journal, self.currency)

    def test_sequence_unique_and_gap_free_next_to_orm_lines(self):
        journal = self.bank_journal
        vals_list = self._vals(journal, self.eur)
        _statement, bulk = self._bulk(journal, vals_list, None, None)
        orm = self.Line.create(
            [
                dict(v, o2c_import_id=f"ORM-{v['o2c_import_id']}")
                for v in self._vals(journal, self.eur)
            ]
        )
        self.env.flush_all()
        moves = self.env["account.move"].search([("journal_id", "=", journal.id)])
        self.assertEqual(len(set(moves.mapped("name"))), len(moves))
        for prefix in set(moves.mapped("sequence_prefix")):
            numbers = sorted(
                moves.filtered(lambda m, p=prefix: m.sequence_prefix == p).mapped(
                    "sequence_number"
                )
            )
            self.assertEqual(numbers, list(range(1, len(numbers) + 1)), prefix)
        for move in (bulk | orm).move_id:
            width = len(move.name) - len(move.sequence_prefix)
            self.assertEqual(
                move.name, f"{move.sequence_prefix}{move.sequence_number:0{width}d}"
            )
            self.assertFalse(move.made_sequence_gap)
        self.assertEqual(len(set(bulk.move_id.mapped("sequence_prefix"))), 2)

    def test_bulk_line_reconciles_undoes_and_unlinks(self):
        journal = self.bank_journal
        invoice = self.make_invoice(120.00, invoice_date=date(2026, 3, 1))
        _statement, lines = self._bulk(
            journal, self._vals(journal, self.eur), None, None
        )
        line = lines.filtered(lambda rec: rec.o2c_import_id == "IMPORT-0")
        self.assertEqual(len(lines), 11)
        # Odoo's own reconciliation: the suspense item becomes a receivable
        # counterpart, reconciled with the invoice's open item.
        _liquidity, suspense, _other = line._seek_for_lines()
        receivable = self.open_item(invoice)
        line.move_id.with_context(skip_readonly_check=True).write(
            {
                "line_ids": [
                    Command.update(
                        suspense.id,
                        {
                            "account_id": receivable.account_id.id,
                            "partner_id": invoice.partner_id.id,
                        },
                    )
                ]
            }
        )
        (suspense | receivable).reconcile()
        self.assertEqual(invoice.payment_state, "paid")
        self.assertTrue(line.is_reconciled)
        self.assertEqual(line.amount_residual, 0.0)
        self.assertTrue(receivable.full_reconcile_id)
        # undo through Odoo's action
        line.action_undo_reconciliation()
        self.assertFalse(line.is_reconciled)
        self.assertEqual(invoice.payment_state, "not_paid")
        self.assertEqual(line.amount_residual, -120.0)
        _liq, suspense, other = line._seek_for_lines()
        self.assertEqual(suspense.account_id, journal.suspense_account_id)
        self.assertFalse(other)
        self.assertEqual(_liq.balance, 120.0)
        # reconcile again through the engine, then remove the reconciliation
        line.invalidate_recordset()
        stats = line._o2c_job_reconcile()
        self.assertEqual(stats["auto"], 1)
        self.assertEqual(invoice.payment_state, "paid")
        line.move_id.line_ids.remove_move_reconcile()
        self.assertEqual(invoice.payment_state, "not_paid")
        # a bulk line (and its entry) can be deleted
        other_line = lines.filtered(lambda rec: rec.o2c_import_id == "IMPORT-5")
        move = other_line.move_id
        items = move.line_ids
        other_line.unlink()
        self.assertFalse(other_line.exists())
        self.assertFalse(move.exists())
        self.assertFalse(items.exists())
        # the statement's balance follows
        remaining = lines.exists()
        self.assertEqual(len(remaining), 10)
        self.assertAlmostEqual(
            remaining.statement_id.balance_end,
            remaining.statement_id.balance_start + sum(remaining.mapped("amount")),
        )
