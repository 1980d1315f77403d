# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import base64
from datetime import date

from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.queue_job.tests.common import trap_jobs

from ..models import o2c_bank_line_writer, o2c_bank_statement_import
from .common import COMPANY_IBAN, CUSTOMER_IBAN, BankFeedCommon, camt_document


def _entries(count, start=1, amount="10.00"):
    return [
        {
            "amount": amount,
            "ref": f"BANKREF-{i}",
            "date": f"2026-03-{(i % 28) + 1:02d}",
            "remittance": f"Payment {i}",
            "name": "Azure Interior",
            "iban": CUSTOMER_IBAN,
        }
        for i in range(start, start + count)
    ]


@tagged("post_install", "-at_install")
class TestStatementImport(BankFeedCommon):
    def _line_count(self):
        return self.env["account.bank.statement.line"].search_count(
            [("journal_id", "=", self.bank_journal.id)]
        )

    def test_import_camt_creates_lines_on_the_journal_of_the_account(self):
        imp = self.import_camt(_entries(3), opening="100.00")
        self.assertRecordValues(
            imp,
            [
                {
                    "journal_id": self.bank_journal.id,
                    "file_format": "camt",
                    "line_count": 3,
                    "created_count": 3,
                    "duplicate_count": 0,
                    "statement_count": 1,
                }
            ],
        )
        self.assertEqual(len(imp.sha256), 64)
        lines = imp.line_ids.sorted("o2c_bank_reference")
        self.assertEqual(len(lines), 3)
        self.assertEqual(
            lines.mapped("o2c_bank_reference"), ["BANKREF-1", "BANKREF-2", "BANKREF-3"]
        )
        self.assertEqual(lines[0].o2c_import_id, f"{COMPANY_IBAN}|BANKREF-1")
        self.assertEqual(lines.partner_id, self.customer, "partner found by IBAN")
        self.assertEqual(set(lines.mapped("o2c_match_state")), {"unmatched"})
        statement = imp.statement_ids
        self.assertRecordValues(
            statement,
            [
                {
                    "name": "STMT-1",
                    "balance_start": 100.0,
                    "balance_end_real": 130.0,
                    "balance_end": 130.0,
                    "is_complete": True,
                }
            ],
        )
        # traced: the file is an inbound event linked to what it created
        audit = self.env["o2c.audit.log"].search(
            [("action", "=", "bank.import"), ("res_id", "=", imp.id)]
        )
        self.assertEqual(audit._data_dict()["created"], 3)
        self.assertEqual(imp.event_id.external_id, imp.sha256)
        self.assertEqual(imp.event_id.state, "done")
        self.assertIn(
            statement.id,
            imp.event_id.link_ids.filtered(
                lambda link: link.res_model == "account.bank.statement"
            ).mapped("res_id"),
        )

    def test_reimport_creates_nothing_and_counts_duplicates(self):
        first = self.import_camt(_entries(4), opening="0.00")
        before = self._line_count()
        second = self.import_camt(_entries(4), opening="0.00")
        self.assertEqual(self._line_count(), before)
        self.assertRecordValues(
            second,
            [
                {
                    "line_count": 4,
                    "created_count": 0,
                    "duplicate_count": 4,
                    "statement_count": 0,
                }
            ],
        )
        self.assertEqual(second.event_id, first.event_id, "same file, same event")

    def test_overlapping_file_creates_only_new_lines(self):
        self.import_camt(_entries(3), opening="0.00")
        before = self._line_count()
        imp = self.import_camt(_entries(4, start=2), opening="10.00", stmt_id="STMT-2")
        self.assertEqual(self._line_count(), before + 2)
        self.assertRecordValues(imp, [{"created_count": 2, "duplicate_count": 2}])
        self.assertEqual(
            sorted(imp.line_ids.mapped("o2c_bank_reference")),
            ["BANKREF-4", "BANKREF-5"],
        )
        # the statement holds only the new lines and still balances
        self.assertTrue(imp.statement_ids.is_complete)
        self.assertEqual(imp.statement_ids.balance_end_real, 50.0)

    def test_lines_without_bank_reference_dedupe_by_content(self):
        entries = [dict(e, ref=None) for e in _entries(2)]
        entries.append(dict(entries[0]))  # a genuine twin payment the same day
        self.import_camt(entries)
        before = self._line_count()
        self.assertEqual(before, 3)
        again = self.import_camt(entries)
        self.assertEqual(again.created_count, 0)
        self.assertEqual(self._line_count(), before)

    def test_balance_mismatch_is_refused_with_the_figures(self):
        data = camt_document(
            _entries(2), currency=self.currency.name, opening="100.00", closing="150.00"
        )
        with self.assertRaises(UserError) as caught:
            self.Import._o2c_import_file(data, "bad.xml")
        message = str(caught.exception)
        for figure in ("100", "20", "120", "150", "30"):
            self.assertIn(figure, message)
        self.assertEqual(self._line_count(), 0)

    def test_balance_mismatch_imported_with_exception_by_journal_setting(self):
        self.bank_journal.o2c_balance_policy = "exception"
        data = camt_document(
            _entries(2), currency=self.currency.name, opening="100.00", closing="150.00"
        )
        imp = self.Import.with_context(o2c_no_reconcile=True)._o2c_import_file(
            data, "b.xml"
        )
        self.assertEqual(imp.created_count, 2)
        self.assertIn("difference", imp.error)
        exc = self.env["o2c.exception"].search([("category", "=", "balance")])
        self.assertEqual(len(exc), 1)
        self.assertEqual(exc.amount, 30.0)
        self.assertEqual(exc.details["closing"], "150.00")

    def test_malformed_file_is_refused_naming_the_place_and_creates_nothing(self):
        data = camt_document(_entries(3), currency=self.currency.name)
        broken = data.replace(
            b'<Amt Ccy="%s">10.00</Amt>' % self.currency.name.encode(),
            b'<Amt Ccy="%s">1O.00</Amt>' % self.currency.name.encode(),
            2,
        )
        events_before = self.env["o2c.event"].search_count([])
        with self.assertRaises(UserError) as caught:
            self.Import._o2c_import_file(broken, "broken.xml")
        self.assertIn("Ntry[", str(caught.exception))
        self.assertIn("nothing was imported", str(caught.exception))
        self.assertEqual(self._line_count(), 0)
        self.assertFalse(self.Import.search([]))
        self.assertEqual(self.env["o2c.event"].search_count([]), events_before)
        with self.assertRaises(UserError):
            self.Import._o2c_import_file(b"<Document><oops", "truncated.xml")

    def test_no_journal_for_the_account_is_a_clear_error(self):
        data = camt_document(
            _entries(1), account="NL91ABNA0417164300", currency=self.currency.name
        )
        with self.assertRaises(UserError) as caught:
            self.Import._o2c_import_file(data, "other.xml")
        self.assertIn("NL91ABNA0417164300", str(caught.exception))
        self.assertIn("No bank journal", str(caught.exception))
        # an explicit journal with another account is refused too
        with self.assertRaises(UserError):
            self.Import._o2c_import_file(data, "other.xml", journal=self.bank_journal)

    def test_wizard_imports_and_queues_reconciliation_in_chunks(self):
        data = camt_document(_entries(7), currency=self.currency.name)
        wizard = self.env["o2c.bank.statement.import.wizard"].create(
            {
                "data_file": base64.b64encode(data),
                "filename": "march.xml",
            }
        )
        self.patch(o2c_bank_statement_import, "RECONCILE_CHUNK", 3)
        with trap_jobs() as trap:
            action = wizard.action_import()
            trap.assert_jobs_count(3)
        imp = self.Import.browse(action["res_id"])
        self.assertEqual(imp.created_count, 7)
        self.assertEqual(imp.state, "imported")
        self.assertEqual(imp.pending_count, 7)

    def test_csv_with_the_journal_mapping(self):
        self.bank_journal.o2c_csv_mapping = {
            "date_column": "Date",
            "amount_column": "Amount",
            "remittance_column": "Text",
            "bank_reference_column": "Id",
            "counterparty_name_column": "Payer",
            "date_format": "%Y-%m-%d",
            "currency": self.currency.name,
        }
        data = (
            b"Date;Amount;Text;Id;Payer\n"
            b"2026-03-02;100.50;INV 1;T-1;ACME\n"
            b"2026-03-03;-20.00;fee;T-2;Bank\n"
        )
        imp = self.Import.with_context(o2c_no_reconcile=True)._o2c_import_file(
            data, "export.csv", journal=self.bank_journal
        )
        self.assertEqual(imp.file_format, "csv")
        self.assertEqual(sorted(imp.line_ids.mapped("amount")), [-20.0, 100.5])
        self.assertEqual(imp.line_ids[0].o2c_import_id.split("|")[0], COMPANY_IBAN)
        again = self.Import.with_context(o2c_no_reconcile=True)._o2c_import_file(
            data, "export.csv", journal=self.bank_journal
        )
        self.assertEqual(again.duplicate_count, 2)
        with self.assertRaises(UserError):  # no mapping anywhere
            self.bank_journal.o2c_csv_mapping = False
            self.Import._o2c_import_file(data, "export.csv", journal=self.bank_journal)

    def test_bulk_lines_equal_orm_lines(self):
        """The prototype bulk insert writes exactly what the ORM writes."""
        self.patch(o2c_bank_line_writer, "FAST_PATH_MIN_LINES", 2)
        foreign = self.setup_other_currency("EUR")
        entries = _entries(3, amount="25.50")
        entries[2].update(amount="-12.30", instructed=("-11.00", "EUR"))
        entries[1]["iban"] = None  # no partner on this one
        bulk = self.import_camt(entries)
        # the same file on a second journal, through the ORM only
        journal = self.bank_journal.copy({"name": "Bank ORM", "code": "BORM"})
        journal.bank_account_id = False
        orm = self.Import.with_context(o2c_import_orm=True, o2c_no_reconcile=True)
        orm_imp = orm._o2c_import_file(
            camt_document(entries, currency=self.currency.name),
            "orm.xml",
            journal=journal,
        )
        self.assertEqual(bulk.created_count, 3)
        self.assertEqual(orm_imp.created_count, 3)
        # money at stake counts both directions: 25.50 + 25.50 + 12.30
        self.assertAlmostEqual(bulk.amount_unmatched, 63.30)
        bulk_lines = bulk.line_ids.sorted("o2c_bank_reference")
        orm_lines = orm_imp.line_ids.sorted("o2c_bank_reference")
        self.assertEqual(bulk_lines[2].foreign_currency_id, foreign)
        volatile = {
            "id",
            "move_id",
            "statement_id",
            "statement_line_id",
            "journal_id",
            "name",
            "move_name",
            "sequence_number",
            "sequence_prefix",
            "internal_index",
            "create_date",
            "write_date",
            "o2c_statement_import_id",
            "o2c_import_id",
            "account_id",
            "write_uid",
            "create_uid",
        }
        for bulk_line, orm_line in zip(bulk_lines, orm_lines, strict=True):
            for table, key, bulk_id, orm_id in (
                ("account_bank_statement_line", "id", bulk_line.id, orm_line.id),
                ("account_move", "id", bulk_line.move_id.id, orm_line.move_id.id),
                (
                    "account_move_line",
                    "move_id",
                    bulk_line.move_id.id,
                    orm_line.move_id.id,
                ),
            ):
                bulk_rows = self._rows(table, key, bulk_id)
                orm_rows = self._rows(table, key, orm_id)
                self.assertEqual(len(bulk_rows), len(orm_rows))
                for bulk_row, orm_row in zip(bulk_rows, orm_rows, strict=True):
                    for column, value in orm_row.items():
                        if column in volatile:
                            continue
                        self.assertEqual(
                            bulk_row[column],
                            value,
                            f"{table}.{column} of {bulk_line.payment_ref}",
                        )
        self.assertEqual(
            bulk_lines[1].move_id.name[:-1], bulk_lines[0].move_id.name[:-1]
        )
        self.assertTrue(all(bulk_lines.move_id.mapped(lambda m: m.state == "posted")))

    def _rows(self, table, key, value):
        self.env.flush_all()
        self.env.cr.execute(
            f"SELECT * FROM {table} WHERE {key} = %s ORDER BY balance DESC, id"
            if table == "account_move_line"
            else f"SELECT * FROM {table} WHERE {key} = %s",
            [value],
        )
        names = [d[0] for d in self.env.cr.description]
        return [dict(zip(names, row, strict=True)) for row in self.env.cr.fetchall()]

    def test_import_speed(self):
        """The bulk path keeps a 600-line file fast (a floor, not the aim)."""
        entries = _entries(600)
        data = camt_document(entries, currency=self.currency.name)
        import time

        started = time.monotonic()
        imp = self.Import.with_context(o2c_no_reconcile=True)._o2c_import_file(
            data, "big.xml"
        )
        elapsed = time.monotonic() - started
        self.assertEqual(imp.created_count, 600)
        self.assertLess(elapsed, 6.0, f"600 lines took {elapsed:.1f}s")
        self.assertEqual(len(set(imp.line_ids.move_id.mapped("name"))), 600)
        self.assertEqual(imp.statement_ids.balance_end, 6000.0)
        self.assertEqual(imp.line_ids[:1].date.year, date(2026, 1, 1).year)
