# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Real transactions racing: two imports of one file, two jobs paying one invoice.

The test transaction cannot see what other cursors commit, so these tests
work on their own committed data (a journal with a unique account number)
and remove it afterwards.
"""

import threading
import uuid
from datetime import date
from unittest.mock import patch

from odoo import SUPERUSER_ID, api
from odoo.fields import Command
from odoo.orm.environments import Transaction
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tests import TransactionCase, tagged

from .common import camt_document

LINES = 40


class CommittedJournalCase(TransactionCase):
    """A bank journal (and what tests add) committed for real, removed after."""

    def setUp(self):
        super().setUp()
        self.account = f"CONC{uuid.uuid4().hex[:12].upper()}"
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            company = env.ref("base.main_company")
            journal = env["account.journal"].create(
                {
                    "name": f"Race {self.account}",
                    "code": self.account[-5:],
                    "type": "bank",
                    "company_id": company.id,
                }
            )
            journal.bank_account_id = env["res.partner.bank"].create(
                {
                    "acc_number": self.account,
                    "partner_id": company.partner_id.id,
                }
            )
            existing = (
                env["o2c.connection"]
                .with_context(active_test=False)
                .search(
                    [
                        ("connection_type", "=", "bank_file"),
                        ("company_id", "=", company.id),
                    ]
                )
            )
            connection = env["o2c.connection"]._o2c_bank_file_connection(company)
            self.connection_id = False if existing else connection.id
            self.journal_id = journal.id
            self.currency = (journal.currency_id or company.currency_id).name
        self.invoice_ids, self.partner_ids = [], []
        self.addCleanup(self._cleanup)
        # The audit log is append-only (a trigger refuses DELETE): these tests,
        # which must leave the database as they found it, do not write to it.
        audit_class = type(self.env["o2c.audit.log"])
        no_audit = patch.object(audit_class, "_log", lambda *args, **kwargs: None)
        no_audit.start()
        self.addCleanup(no_audit.stop)

    def _cleanup(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"force_delete": True})
            journal = env["account.journal"].browse(self.journal_id)
            imports = env["o2c.bank.statement.import"].search(
                [("journal_id", "=", journal.id)]
            )
            events = imports.event_id
            lines = env["account.bank.statement.line"].search(
                [("journal_id", "=", journal.id)]
            )
            statements = lines.statement_id | imports.statement_ids
            for line in lines.filtered("is_reconciled"):
                line.action_undo_reconciliation()
            env["o2c.exception"].search(
                [("res_model", "=", lines._name), ("res_id", "in", lines.ids)]
            ).unlink()
            # a line of a complete statement cannot go first
            statements.unlink()
            lines.unlink()
            imports.unlink()
            events.unlink()
            bank_account = journal.bank_account_id
            accounts = journal.default_account_id
            journal.unlink()
            bank_account.unlink()
            accounts.unlink()
            if self.connection_id:
                env["o2c.connection"].browse(self.connection_id).unlink()
            invoices = env["account.move"].browse(self.invoice_ids)
            invoices.button_draft()
            invoices.unlink()
            env["res.partner"].browse(self.partner_ids).unlink()

    def _in_transaction(self, barrier, work, context=None):
        """Run ``work(env)`` in a transaction of its own, from a thread.

        Waits at ``barrier`` after its snapshot is taken, so that no racer
        sees what another commits. A PostgreSQL concurrency error is retried
        on a fresh transaction, as queue_job does with a job; returns how
        many retries it took.
        """
        retries = 0
        while True:
            try:
                with self.registry.cursor() as cr:
                    # Give the cursor its transaction directly: building it from
                    # the database name would wait for the registry lock, which
                    # the main thread holds while odoo-bin runs the tests.
                    cr.transaction = Transaction(self.registry)
                    env = api.Environment(cr, SUPERUSER_ID, context or {})
                    cr.execute("SELECT 1")  # the snapshot starts here
                    if barrier is not None:
                        barrier.wait(timeout=30)
                        barrier = None
                    work(env)
                return retries
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                retries += 1
                if retries > 3:
                    raise

    def _race(self, *works, context=None):
        """Run each work in its own thread and transaction, at the same time."""
        barrier = threading.Barrier(len(works))
        results, errors = [], []

        def target(work):
            try:
                results.append(self._in_transaction(barrier, work, context))
            except Exception as exc:
                errors.append(exc)

        threads = [threading.Thread(target=target, args=(w,)) for w in works]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        self.assertFalse(errors, errors)
        return results


@tagged("post_install", "-at_install")
class TestConcurrentImport(CommittedJournalCase):
    def test_same_file_imported_twice_concurrently_creates_once(self):
        entries = [
            {
                "amount": f"{i}.00",
                "ref": f"R{i}",
                "date": "2026-03-10",
                "remittance": f"p {i}",
            }
            for i in range(1, LINES + 1)
        ]
        data = camt_document(
            entries,
            account=self.account,
            currency=self.currency,
            stmt_id=f"RACE-{self.account}",
        )
        results, refilters = [], []
        writer_class = type(self.env["o2c.bank.line.writer"])
        original = writer_class._o2c_committed_import_ids

        def counting(writer, journal, import_ids):
            refilters.append(journal.id)
            return original(writer, journal, import_ids)

        def work(env):
            imp = env["o2c.bank.statement.import"]._o2c_import_file(data, "race.xml")
            results.append((imp.created_count, imp.duplicate_count))

        with patch.object(writer_class, "_o2c_committed_import_ids", counting):
            retries = self._race(work, work, context={"o2c_no_reconcile": True})
        # no retry needed: the loser's snapshot could not see the winner's
        # lines, it hit the unique index, re-read what was committed and
        # inserted nothing
        self.assertEqual(retries, [0, 0])
        self.assertEqual(refilters, [self.journal_id])
        self.assertEqual(sorted(results), [(0, LINES), (LINES, 0)])
        with self.registry.cursor() as cr:
            cr.execute(
                """SELECT count(*), count(DISTINCT o2c_import_id),
                          count(DISTINCT statement_id)
                     FROM account_bank_statement_line WHERE journal_id = %s""",
                [self.journal_id],
            )
            self.assertEqual(cr.fetchone(), (LINES, LINES, 1))


@tagged("post_install", "-at_install")
class TestConcurrentReconcile(CommittedJournalCase):
    """Two reconciliation jobs at once, each with a line paying the same invoice."""

    def _commit_invoice_and_lines(self, entries_of):
        """A posted invoice of 90.00 and the bank lines ``entries_of(invoice)``."""
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"o2c_no_reconcile": True})
            partner = env["res.partner"].create({"name": f"Payer {self.account}"})
            self.partner_ids.append(partner.id)
            invoice = env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "invoice_date": date(2026, 3, 1),
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": "Service",
                                "quantity": 1,
                                "price_unit": 90.0,
                                "tax_ids": [Command.clear()],
                            }
                        )
                    ],
                }
            )
            invoice.action_post()
            self.invoice_ids.append(invoice.id)
            data = camt_document(
                entries_of(invoice),
                account=self.account,
                currency=self.currency,
                stmt_id=f"PAY-{self.account}",
            )
            imp = env["o2c.bank.statement.import"]._o2c_import_file(data, "pay.xml")
            return invoice.id, imp.line_ids.sorted("id").ids

    def _job(self, line_ids):
        def work(env):
            env["account.bank.statement.line"].browse(line_ids)._o2c_job_reconcile()

        return work

    def _final_state(self, invoice_id, line_ids):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            invoice = env["account.move"].browse(invoice_id)
            lines = env["account.bank.statement.line"].browse(line_ids)
            exceptions = env["o2c.exception"].search(
                [
                    "|",
                    "&",
                    ("res_model", "=", lines._name),
                    ("res_id", "in", lines.ids),
                    ("o2c_line_ids", "in", lines.ids),
                    ("state", "in", ("new", "in_progress")),
                ]
            )
            return (
                invoice.payment_state,
                invoice.amount_residual,
                sorted(lines.mapped("o2c_match_state")),
                sum(lines.mapped("is_reconciled")),
                exceptions.mapped("category"),
            )

    def test_two_jobs_two_lines_one_invoice_paid_once(self):
        invoice_id, line_ids = self._commit_invoice_and_lines(
            lambda invoice: [
                {"amount": "90.00", "ref": f"P{i}", "structured": invoice.name}
                for i in (1, 2)
            ]
        )
        retries = self._race(self._job(line_ids[:1]), self._job(line_ids[1:]))
        # both saw the invoice open; the second to lock it had to start again
        # (as queue_job retries a job), saw it paid and left its line open
        self.assertEqual(sorted(retries), [0, 1])
        self.assertEqual(
            self._final_state(invoice_id, line_ids),
            ("paid", 0.0, ["matched", "unmatched"], 1, ["unmatched"]),
        )

    def test_two_jobs_on_the_same_line_reconcile_it_once(self):
        invoice_id, line_ids = self._commit_invoice_and_lines(
            lambda invoice: [
                {"amount": "90.00", "ref": "P1", "structured": invoice.name}
            ]
        )
        job = self._job(line_ids)
        self._race(job, job)
        self.assertEqual(
            self._final_state(invoice_id, line_ids), ("paid", 0.0, ["matched"], 1, [])
        )
        with self.registry.cursor() as cr:
            # one counterpart on the receivable, one reconciliation
            cr.execute(
                """SELECT count(*) FROM account_partial_reconcile partial
                     JOIN account_move_line aml ON aml.id = partial.debit_move_id
                    WHERE aml.move_id = %s""",
                [invoice_id],
            )
            self.assertEqual(cr.fetchone()[0], 1)
