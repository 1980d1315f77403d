# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Screens of the exception queue and the bank journal, in a real browser."""

import json

from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestScreensTours(HttpCase):
    def _failed_order_exception(self):
        """An order event that failed validation, as the demo's order #1005."""
        conn = self.env["o2c.connection"].create({"name": "Tour Web Shop"})
        doc = {
            "schema_version": "1.0",
            "external_id": "tour-1005",
            "reference": "#tour-1005",
            "currency": "EUR",
            "customer": {"external_id": "c-1"},
            "lines": [{"sku": "X", "quantity": "0", "unit_price": "12.50"}],
        }
        event = self.env["o2c.event"].create(
            {
                "connection_id": conn.id,
                "event_type": "order.created",
                "external_id": "evt-tour-1005",
                "idempotency_key": "tour:evt-tour-1005",
                "payload": json.dumps(doc),
                "state": "failed",
            }
        )
        return self.env["o2c.exception"]._raise(
            "validation",
            "order.created event evt-tour-1005 failed: technical text",
            dedup_key=event._exception_key(),
            event=event,
            details={
                "error": "2 problems",
                "state": "failed",
                "attempts": 1,
                "violations": [
                    ["customer.name", "required field missing"],
                    ["lines[0].quantity", "must be greater than 0"],
                ],
            },
        )

    def test_exception_tour(self):
        fiona = new_test_user(
            self.env,
            login="fiona",
            name="Fiona Finance",
            groups="base.group_user,o2c_integration.group_o2c_user",
        )
        exc = self._failed_order_exception()
        self.assertEqual(
            exc.name, "Order #tour-1005 from Tour Web Shop: validation failed"
        )
        self.start_tour(
            "/odoo/action-o2c_integration.o2c_exception_action",
            "o2c_screens_exception_tour",
            login="admin",
        )
        exc.invalidate_recordset()
        self.assertRecordValues(
            exc,
            [
                {
                    "state": "resolved",
                    "user_id": fiona.id,
                    "resolution_note": "Customer name added at the source, order sent again.",
                    "resolved_by_id": self.env.ref("base.user_admin").id,
                }
            ],
        )

    def test_csv_mapping_tour(self):
        journal = self.env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", self.env.company.id)], limit=1
        )
        if not journal:
            journal = self.env["account.journal"].create(
                {"name": "Tour Bank", "type": "bank", "code": "TBNK"}
            )
        journal.o2c_csv_mapping = False
        self.start_tour(
            f"/odoo/action-account.action_account_journal_form/{journal.id}",
            "o2c_screens_csv_mapping_tour",
            login="admin",
        )
        journal.invalidate_recordset()
        mapping = journal.o2c_csv_mapping
        self.assertEqual(mapping["date_column"], "Date")
        self.assertEqual(mapping["amount_column"], "Amount")
        self.assertEqual(mapping["counterparty_name_column"], "Zahler")
        self.assertEqual(mapping["reference_column"], "Ref")
        self.assertEqual(mapping["remittance_column"], "Description")

    def test_import_form_live_tour(self):
        Account = self.env["account.account"]
        journal = self.env["account.journal"].create(
            {
                "name": "Live Bank",
                "type": "bank",
                "code": "LIVE",
                "default_account_id": Account.create(
                    {"name": "Live Bank", "code": "LIVE1", "account_type": "asset_cash"}
                ).id,
                "suspense_account_id": Account.create(
                    {
                        "name": "Live Suspense",
                        "code": "LIVE2",
                        "account_type": "asset_current",
                        "reconcile": True,
                    }
                ).id,
            }
        )
        journal.o2c_csv_mapping = {
            "date_column": "Date",
            "amount_column": "Amount",
            "remittance_column": "Text",
            "date_format": "%Y-%m-%d",
            "currency": journal.company_id.currency_id.name,
        }
        data = (
            b"Date,Amount,Text\n2026-03-02,31.17,mystery one\n2026-03-03,-9.99,other\n"
        )
        imp = (
            self.env["o2c.bank.statement.import"]
            .with_context(o2c_no_reconcile=True)
            ._o2c_import_file(data, "live.csv", journal=journal)
        )
        self.assertEqual(imp.pending_count, 2)
        self.start_tour(
            f"/odoo/action-o2c_bank_feed.o2c_bank_statement_import_action/{imp.id}",
            "o2c_screens_import_live_tour",
            login="admin",
        )
        imp.invalidate_recordset()
        self.assertEqual((imp.pending_count, imp.unmatched_count), (0, 2))
