# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Journal batches end to end: intake, validation, approval, versions."""

import base64
import json
from datetime import date

from odoo.exceptions import AccessError, UserError

from .common import JournalBatchCommon


class TestJournalBatch(JournalBatchCommon):
    def test_payroll_batch_posted_with_analytic_distribution(self):
        event = self.deliver(self.batch_doc())
        self.assertEqual(event.state, "done", event.last_error)
        batch = self.batch_of(event)
        self.assertEqual(batch.state, "posted")
        move = batch.move_id
        self.assertEqual(move.state, "posted")
        self.assertEqual(move.journal_id, self.journal)
        self.assertEqual(move.date, date(2026, 11, 30))
        self.assertEqual(len(move.line_ids), 5)
        self.assertAlmostEqual(sum(move.line_ids.mapped("debit")), 4800.0)
        ops_line = move.line_ids.filtered(
            lambda line: line.name == "Gross wages operations"
        )
        self.assertEqual(
            ops_line.analytic_distribution,
            {str(self.ops.id): 60.0, str(self.adm.id): 40.0},
        )
        self.assertEqual(
            move.line_ids.filtered(
                lambda line: line.name == "Net wages payable"
            ).credit,
            3200.0,
        )
        audit = self.env["o2c.audit.log"].search(
            [("action", "=", "journal.batch.autopost"), ("res_id", "=", batch.id)]
        )
        self.assertEqual(json.loads(audit.data)["content_hash"], batch.content_hash)

    def test_same_batch_five_times_posts_once(self):
        events = [self.deliver(self.batch_doc()) for _ in range(5)]
        self.assertEqual(len(set(events)), 1)
        batches = self.env["o2c.journal.batch"].search(
            [("batch_ref", "=", "PAY-2026-11")]
        )
        self.assertEqual(len(batches), 1)
        self.assertEqual(len(batches.move_id), 1)
        # a replay of the processed event creates nothing either
        events[0].sudo().action_replay()
        events[0]._job_process()
        self.assertEqual(
            self.env["o2c.journal.batch"].search_count(
                [("batch_ref", "=", "PAY-2026-11")]
            ),
            1,
        )

    def _held(self, document, *expected):
        event = self.deliver(document)
        self.assertEqual(event.state, "done", event.last_error)
        batch = self.batch_of(event)
        self.assertEqual(batch.state, "held")
        self.assertFalse(batch.move_id)
        self.assertFalse(
            self.env["account.move"].search([("ref", "=", document.get("reference"))])
        )
        for text in expected:
            self.assertIn(text, batch.violations)
        exception = self.env["o2c.exception"].search(
            [("res_model", "=", batch._name), ("res_id", "=", batch.id)]
        )
        self.assertEqual(exception.state, "new")
        for text in expected:
            self.assertIn(text, exception.description)
        return batch, exception

    def test_unbalanced_batch_held(self):
        document = self.batch_doc()
        document["lines"][3]["credit"] = "3199.99"
        self._held(
            document,
            "balance: 2026-11-30 USD debit 4800.00 does not equal credit 4799.99",
        )

    def test_unknown_account_held_then_mapped_and_posted(self):
        document = self.batch_doc()
        document["lines"][2]["account"] = "PX-SOC"
        batch, exception = self._held(
            document, "line 3, account: unknown account code PX-SOC"
        )
        self.assertEqual(exception.category, "mapping")
        self.env["o2c.journal.code.map"].with_user(self.controller).create(
            {
                "connection_id": self.source.id,
                "kind": "account",
                "code": "PX-SOC",
                "account_id": self.acc_social.id,
            }
        )
        batch.with_user(self.controller).action_revalidate()
        self.assertEqual(batch.state, "posted")
        self.assertEqual(exception.state, "resolved")

    def test_locked_period_held(self):
        self.company.sudo().fiscalyear_lock_date = date(2026, 11, 30)
        self._held(self.batch_doc(), "date: 2026-11-30 is in a locked period")

    def test_missing_analytic_dimension_held(self):
        self.env["o2c.journal.account.rule"].sudo().create(
            {
                "account_id": self.acc_social.id,
                "required_plan_ids": [(6, 0, self.plan.ids)],
            }
        )
        document = self.batch_doc()
        del document["lines"][2]["analytic"]
        self._held(document, "line 3, analytic: account JB6450 requires a Departments")

    def test_line_limit_and_reconcilable_account_held(self):
        self.env["o2c.journal.account.rule"].sudo().create(
            {"account_id": self.acc_wages.id, "max_line_amount": 2000}
        )
        document = self.batch_doc()
        receivable = self.company_data["default_account_receivable"]
        document["lines"][3]["account"] = receivable.code
        self._held(
            document,
            "line 1, amount: 2500.00 on JB6410 is over the limit of 2000.00",
            f"line 4, account: {receivable.code} is reconcilable",
        )

    def test_format_errors_fail_the_event_with_paths(self):
        document = self.batch_doc()
        document["lines"][1]["debit"] = "fifteen"
        event = self.deliver(document)
        self.assertEqual(event.state, "failed")
        self.assertIn("lines[1].debit", event.last_error)
        self.assertFalse(self.batch_of(event))

    def test_over_the_limit_waits_for_four_eyes_approval(self):
        self.source.sudo().jb_auto_post_limit = 1000
        upload = (
            self.env["o2c.journal.batch.upload"]
            .with_user(self.controller)
            .create(
                {
                    "connection_id": self.source.id,
                    "file": base64.b64encode(json.dumps(self.batch_doc()).encode()),
                    "filename": "payroll.json",
                }
            )
        )
        action = upload.action_upload()
        event = self.env["o2c.event"].sudo().browse(action["res_id"])
        event._job_process()
        batch = self.batch_of(event)
        self.assertEqual(batch.state, "to_approve")
        self.assertEqual(batch.imported_by_id, self.controller)
        self.assertIn(self.approver, batch.activity_ids.user_id)
        self.assertNotIn(self.controller, batch.activity_ids.user_id)
        with self.assertRaisesRegex(AccessError, "Four eyes"):
            batch.with_user(self.controller).action_approve()
        refused = self.env["o2c.audit.log"].search(
            [("action", "=", "journal.batch.approval_refused")]
        )
        self.assertTrue(refused)
        self.assertEqual(batch.state, "to_approve")
        plain = (
            self.env["res.users"]
            .sudo()
            .create(
                {
                    "name": "Clerk",
                    "login": "jb_clerk",
                    "group_ids": [
                        (6, 0, [self.env.ref("o2c_integration.group_o2c_user").id])
                    ],
                }
            )
        )
        with self.assertRaises(AccessError):
            batch.with_user(plain).action_approve()
        batch.with_user(self.approver).action_approve()
        self.assertEqual(batch.state, "posted")
        self.assertEqual(batch.approved_by_id, self.approver)
        self.assertFalse(batch.activity_ids)
        audit = self.env["o2c.audit.log"].search(
            [("action", "=", "journal.batch.approve"), ("res_id", "=", batch.id)]
        )
        self.assertEqual(json.loads(audit.data)["content_hash"], batch.content_hash)

    def test_reject_with_reason(self):
        self.source.sudo().jb_auto_post_limit = 0
        batch = self.batch_of(self.deliver(self.batch_doc()))
        self.assertEqual(batch.state, "to_approve")
        wizard_action = batch.with_user(self.approver).action_reject()
        wizard = (
            self.env[wizard_action["res_model"]]
            .with_user(self.approver)
            .create({"batch_ids": [(6, 0, batch.ids)], "reason": "wrong period"})
        )
        wizard.action_reject()
        self.assertEqual(batch.state, "rejected")
        self.assertEqual(batch.rejection_reason, "wrong period")
        self.assertFalse(batch.move_id)

    def test_corrected_version_reverses_the_posted_one(self):
        first = self.batch_of(self.deliver(self.batch_doc()))
        self.assertEqual(first.state, "posted")
        corrected = self.batch_doc(version=2)
        corrected["lines"][0]["debit"] = "2600.00"
        corrected["lines"][3]["credit"] = "3300.00"
        second = self.batch_of(self.deliver(corrected))
        self.assertEqual(second.state, "posted")
        self.assertEqual(first.state, "reversed")
        self.assertEqual(first.superseded_by_id, second)
        self.assertEqual(first.reversal_move_id.reversed_entry_id, first.move_id)
        self.assertEqual(first.reversal_move_id.state, "posted")
        self.assertIn(first, second.previous_ids)
        # the reversal cancels the first entry: wages are the corrected figures only
        wages = self.env["account.move.line"].search(
            [("account_id", "=", self.acc_wages.id), ("parent_state", "=", "posted")]
        )
        self.assertAlmostEqual(sum(wages.mapped("balance")), 4100.0)
        # an outdated version arriving late is superseded, never posted
        late = self.batch_of(
            self.deliver(
                self.batch_doc(version=1, batch_id="PAY-2026-11", reference="late")
            )
        )
        self.assertEqual(late, first)  # v1 is already stored: nothing new

    def test_corrected_version_replaces_a_waiting_one(self):
        self.source.sudo().jb_auto_post_limit = 0
        first = self.batch_of(self.deliver(self.batch_doc()))
        self.assertEqual(first.state, "to_approve")
        second = self.batch_of(self.deliver(self.batch_doc(version=2)))
        self.assertEqual(first.state, "superseded")
        self.assertFalse(first.activity_ids)
        self.assertEqual(second.state, "to_approve")

    def test_spreadsheet_upload_with_the_payroll_layout(self):
        self.source.sudo().jb_mapping = "infor_payroll"
        csv_text = (
            "Account Number,Check Date,Credit Amount,Debit Amount,Employee Number,"
            "Company,SRO Number,Unit Code 1,Unit Code 2,Unit Code 3,Unit Code 4\n"
            "JB6410,11/30/2026,,2500.00,E100,C1,,ADM,,,\n"
            "JB4210,11/30/2026,2500.00,,,C1,,,,,\n"
        )
        upload = (
            self.env["o2c.journal.batch.upload"]
            .with_user(self.controller)
            .create(
                {
                    "connection_id": self.source.id,
                    "file": base64.b64encode(csv_text.encode()),
                    "filename": "payroll.csv",
                    "batch_ref": "INF-11",
                    "date": "2026-11-30",
                }
            )
        )
        event = self.env["o2c.event"].sudo().browse(upload.action_upload()["res_id"])
        event._job_process()
        batch = self.batch_of(event)
        self.assertEqual(batch.state, "posted", batch.violations)
        self.assertEqual(
            batch.line_ids[0].analytic_distribution, {str(self.adm.id): 100.0}
        )
        broken = csv_text.replace("2500.00,E100", "25OO,E100")
        upload = (
            self.env["o2c.journal.batch.upload"]
            .with_user(self.controller)
            .create(
                {
                    "connection_id": self.source.id,
                    "file": base64.b64encode(broken.encode()),
                    "filename": "payroll.csv",
                    "batch_ref": "INF-12",
                    "date": "2026-11-30",
                }
            )
        )
        with self.assertRaisesRegex(
            UserError, r"Nothing was imported.*row 2 \(Debit Amount\)"
        ):
            upload.action_upload()

    def test_spreadsheet_upload_with_the_source_own_columns(self):
        self.source.sudo().write(
            {
                "jb_mapping": "custom",
                "jb_col_account": "Konto",
                "jb_col_label": "Text",
                "jb_col_debit": "Soll",
                "jb_col_credit": "Haben",
                "jb_col_date": "Datum",
                "jb_col_analytic": "Kostenstelle",
            }
        )
        csv_text = (
            "Konto;Text;Soll;Haben;Datum;Kostenstelle\n"
            "JB6410;Gehalt Verwaltung;1200,50;;2026-11-30;ADM\n"
            "JB4210;Nettolohn;;1200,50;2026-11-30;\n"
        )
        upload = (
            self.env["o2c.journal.batch.upload"]
            .with_user(self.controller)
            .create(
                {
                    "connection_id": self.source.id,
                    "file": base64.b64encode(csv_text.encode("cp1252")),
                    "filename": "lohn.csv",
                    "batch_ref": "LOHN-11",
                    "date": "2026-11-30",
                }
            )
        )
        event = self.env["o2c.event"].sudo().browse(upload.action_upload()["res_id"])
        event._job_process()
        batch = self.batch_of(event)
        self.assertEqual(batch.state, "posted", batch.violations)
        self.assertEqual(
            batch.line_ids.mapped("label"), ["Gehalt Verwaltung", "Nettolohn"]
        )
        self.assertAlmostEqual(batch.total_debit, 1200.50)
        self.assertEqual(
            batch.line_ids[0].analytic_distribution, {str(self.adm.id): 100.0}
        )
        # a layout that names no amount column is refused before anything is stored
        self.source.sudo().write({"jb_col_debit": False, "jb_col_credit": False})
        upload = (
            self.env["o2c.journal.batch.upload"]
            .with_user(self.controller)
            .create(
                {
                    "connection_id": self.source.id,
                    "file": base64.b64encode(csv_text.encode()),
                    "filename": "lohn.csv",
                    "batch_ref": "LOHN-12",
                    "date": "2026-11-30",
                }
            )
        )
        with self.assertRaisesRegex(UserError, "amount"):
            upload.action_upload()
