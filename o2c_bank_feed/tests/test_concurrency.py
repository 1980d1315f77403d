# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Two real transactions import the same file at the same time.

The test transaction cannot see what other cursors commit, so this test
works on its own committed data (a journal with a unique account number)
and removes it afterwards.
"""

import threading
import uuid
from unittest.mock import patch

from odoo import SUPERUSER_ID, api
from odoo.orm.environments import Transaction
from odoo.tests import TransactionCase, tagged

from .common import camt_document

LINES = 40


@tagged("post_install", "-at_install")
class TestConcurrentImport(TransactionCase):
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
        self.addCleanup(self._cleanup)

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
            lines.unlink()
            statements.unlink()
            imports.unlink()
            events.unlink()
            bank_account = journal.bank_account_id
            accounts = journal.default_account_id
            journal.unlink()
            bank_account.unlink()
            accounts.unlink()
            if self.connection_id:
                env["o2c.connection"].browse(self.connection_id).unlink()

    def _import(self, data, barrier, results, errors):
        try:
            with self.registry.cursor() as cr:
                # Give the cursor its transaction directly: building it from the
                # database name would wait for the registry lock, which the
                # main thread holds while odoo-bin runs the tests.
                cr.transaction = Transaction(self.registry)
                env = api.Environment(cr, SUPERUSER_ID, {"o2c_no_reconcile": True})
                cr.execute("SELECT 1")  # both snapshots start before either commits
                barrier.wait(timeout=30)
                imp = env["o2c.bank.statement.import"]._o2c_import_file(
                    data, "race.xml"
                )
                results.append((imp.created_count, imp.duplicate_count))
        except Exception as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

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
        barrier = threading.Barrier(2)
        results, errors, refilters = [], [], []
        writer_class = type(self.env["o2c.bank.line.writer"])
        original = writer_class._o2c_committed_import_ids

        def counting(writer, journal, import_ids):
            refilters.append(journal.id)
            return original(writer, journal, import_ids)

        threads = [
            threading.Thread(target=self._import, args=(data, barrier, results, errors))
            for _i in range(2)
        ]
        audit_class = type(self.env["o2c.audit.log"])
        # The audit log is append-only (a trigger refuses DELETE): this test,
        # which must leave the database as it found it, does not write to it.
        with (
            patch.object(writer_class, "_o2c_committed_import_ids", counting),
            patch.object(audit_class, "_log", lambda *args, **kwargs: None),
        ):
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
        self.assertFalse(errors, errors)
        # the loser's snapshot could not see the winner's lines: it hit the
        # unique index, re-read what was committed and inserted nothing
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
