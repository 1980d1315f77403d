# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""What finance sees of an import: one exception per file, honest states, clear refusals."""

import json

from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.o2c_integration.tests.common import run_jobs
from odoo.addons.queue_job.tests.common import trap_jobs

from .common import BankFeedCommon, camt_document


def _unknown(count, start=1, amount="10.00"):
    """Lines no rule can match: no partner, reference or amount in the books."""
    return [
        {
            "amount": f"{float(amount) + i:.2f}",
            "ref": f"UNK-{i}",
            "date": "2026-03-05",
            "remittance": f"mystery {i}",
            "name": "Nobody Known",
        }
        for i in range(start, start + count)
    ]


@tagged("post_install", "-at_install")
class TestBankScreens(BankFeedCommon):
    def _group(self, imp):
        return self.env["o2c.exception"].search(
            [("res_model", "=", imp._name), ("res_id", "=", imp.id)]
        )

    def test_unmatched_lines_of_an_import_are_one_exception(self):
        invoice = self.make_invoice(77.0)
        entries = _unknown(4) + [
            {
                "amount": "77.00",
                "ref": "PAY-1",
                "date": "2026-03-05",
                "structured": invoice.name,
                "name": "Azure Interior",
            }
        ]
        imp = self.import_camt(entries, reconcile=True, stmt_id="S-GROUP")
        exc = self._group(imp)
        self.assertEqual(len(exc), 1)
        unmatched = imp.line_ids.filtered(lambda line: not line.is_reconciled)
        self.assertEqual(len(unmatched), 4)
        self.assertEqual(exc.o2c_line_ids, unmatched)
        self.assertRecordValues(
            exc,
            [
                {
                    "category": "unmatched",
                    "state": "new",
                    # 11 + 12 + 13 + 14
                    "amount": 50.0,
                    "connection_id": imp.connection_id.id,
                }
            ],
        )
        self.assertTrue(exc.connection_id)
        self.assertIn("4 unmatched bank line(s) in S-GROUP.xml", exc.name)
        self.assertIn("reconcile it by hand", exc.description)
        # no exception per line any more
        self.assertFalse(
            self.env["o2c.exception"].search(
                [
                    ("res_model", "=", "account.bank.statement.line"),
                    ("res_id", "in", imp.line_ids.ids),
                ]
            )
        )
        # the source event (the file) was processed: retrying it does not apply
        self.assertFalse(exc.event_retryable)
        # a second file opens its own exception
        other = self.import_camt(_unknown(2, start=10), reconcile=True, stmt_id="S-2")
        self.assertEqual(len(self._group(other)), 1)
        self.assertEqual(self._group(other).amount, 20.0 + 21.0)

    def test_lines_leave_the_list_when_matched_and_it_resolves_itself(self):
        imp = self.import_camt(_unknown(2), reconcile=True, stmt_id="S-LEAVE")
        exc = self._group(imp)
        first, second = imp.line_ids.sorted("id")
        # the invoices arrive, matching runs again from the exception
        self.make_invoice(float(first.amount), ref="mystery 1")
        self.make_invoice(float(second.amount), ref="mystery 2")
        self.env["o2c.reconcile.engine"]._reconcile_lines(first)
        if first.is_reconciled:
            self.assertEqual(exc.o2c_line_ids, second)
            self.assertEqual(exc.amount, abs(second.amount))
            self.assertIn("1 unmatched", exc.name)
        # the last line: the exception is resolved with a note
        self.env["o2c.reconcile.poster"]._close_line_exceptions(
            imp.line_ids, "Reconciled by hand."
        )
        self.assertEqual(exc.state, "resolved")
        self.assertEqual(exc.resolution_note, "Reconciled by hand.")

    def test_lines_the_rules_never_ran_on_are_not_yet_matched(self):
        imp = self.import_camt(_unknown(2), reconcile=False, stmt_id="S-PEND")
        self.assertEqual(set(imp.line_ids.mapped("o2c_match_status")), {"pending"})
        self.assertEqual(
            dict(
                imp.line_ids._fields["o2c_match_status"]._description_selection(
                    self.env
                )
            )["pending"],
            "Not Yet Matched",
        )
        self.env["o2c.reconcile.engine"]._reconcile_lines(imp.line_ids)
        # the engine writes in SQL: a new request (here: the cache dropped) reads it
        imp.line_ids.invalidate_recordset(["o2c_match_status"])
        self.assertEqual(set(imp.line_ids.mapped("o2c_match_status")), {"unmatched"})

    def test_balance_refusal_names_the_journal_setting(self):
        data = camt_document(
            _unknown(2), currency=self.currency.name, opening="100.00", closing="150.00"
        )
        with self.assertRaises(UserError) as caught:
            self.Import._o2c_import_file(data, "bad.xml")
        message = str(caught.exception)
        self.assertIn("nothing was imported", message)
        self.assertIn('"Statement Balance Mismatch"', message)
        self.assertIn('"Import and open a balance exception"', message)
        self.assertIn(self.bank_journal.display_name, message)

    def test_unknown_format_says_nothing_was_imported_once(self):
        with self.assertRaises(UserError) as caught:
            self.Import._o2c_import_file(b"hello, this is not a bank file", "notes.txt")
        message = str(caught.exception)
        self.assertEqual(message.count("notes.txt"), 1, message)
        self.assertIn("nothing was created", message)
        self.assertIn("CAMT", message)

    def test_finished_matching_job_tells_the_import_form_to_reload(self):
        with trap_jobs() as trap:
            imp = self.Import._o2c_import_file(
                camt_document(_unknown(2), currency=self.currency.name), "live.xml"
            )
            self.env.cr.precommit.run()
            Bus = self.env["bus.bus"].sudo()
            before = Bus.search([]).ids
            run_jobs(trap)
        self.env.cr.precommit.run()
        sent = Bus.search([("id", "not in", before)]).filtered(
            lambda b: json.loads(b.message)["type"] == "o2c.bank.import/updated"
        )
        self.assertTrue(sent)
        channel = json.loads(sent[0].channel)
        self.assertIn(self.env.user.partner_id.id, channel)
        self.assertEqual(
            json.loads(sent[0].message)["payload"], {"import_ids": [imp.id]}
        )
