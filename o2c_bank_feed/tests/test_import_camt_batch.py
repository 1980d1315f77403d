# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""A camt.054 whose batch transactions carry no amount: imported, then matched.

Such a file used to be refused as a whole ("cannot itemise"). Each batch
entry is now one bank line listing its transactions' references, and the
engine pays the several invoices they name with that one line.
"""

import base64
from pathlib import Path

from odoo.tests import tagged

from odoo.addons.queue_job.tests.common import trap_jobs

from .common import COMPANY_IBAN, BankFeedCommon

FIXTURE = (
    Path(__file__).parent / "fixtures" / "camt054_v08_batch_without_tx_amounts.xml"
)


@tagged("post_install", "-at_install")
class TestCamtBatchWithoutAmounts(BankFeedCommon):
    def _file(self, replacements):
        data = FIXTURE.read_bytes()
        # the fixture is in EUR on COMPANY_IBAN; the test company may not be
        self.assertIn(COMPANY_IBAN.encode(), data)
        currency = self.currency.name.encode()
        data = data.replace(b'Ccy="EUR"', b'Ccy="' + currency + b'"')
        data = data.replace(b"<Ccy>EUR</Ccy>", b"<Ccy>" + currency + b"</Ccy>")
        for old, new in replacements.items():
            self.assertIn(old.encode(), data)
            data = data.replace(old.encode(), new.encode())
        return data

    def test_batch_line_pays_the_invoices_its_transactions_name(self):
        invoices = [self.make_invoice(amount) for amount in (500, 600, 750)]
        by_rf = [
            self.make_invoice(amount, partner=partner)
            for amount, partner in ((220, self.customer), (200, self.vendor))
        ]
        by_rf[0].payment_reference = "RF211004711"
        by_rf[1].payment_reference = "RF911004712"
        data = self._file(
            {
                f"INV/2026/0010{index}": invoice.name
                for index, invoice in enumerate(invoices, start=1)
            }
        )
        wizard = self.env["o2c.bank.statement.import.wizard"].create(
            {"data_file": base64.b64encode(data), "filename": "camt054.xml"}
        )
        with trap_jobs() as trap:
            action = wizard.action_import()
            trap.assert_jobs_count(1)  # the engine, queued
            imp = self.Import.browse(action["res_id"])
            self.assertRecordValues(
                imp,
                [{"file_format": "camt", "line_count": 2, "created_count": 2}],
            )
            self.assertIn("2 batch entries imported as one line each", imp.notes)
            trap.perform_enqueued_jobs()
        collective, references = imp.line_ids.sorted("o2c_bank_reference")
        self.assertEqual(collective.amount, 1850.0)
        self.assertEqual(collective.o2c_bank_reference, "NTF0305-BATCH-001")
        self.assertEqual(collective.partner_id, self.customer, "payer's IBAN")
        for invoice in invoices:
            self.assertIn(invoice.name, collective.payment_ref)
        self.assertEqual(
            collective.transaction_details["extra_end_to_end_ids"],
            "E2E-BDP-20260304-1, E2E-BDP-20260304-2, E2E-BDP-20260304-3",
        )
        self.assertEqual(
            [inv.payment_state for inv in invoices],
            ["paid", "paid", "paid"],
            collective.o2c_match_reason,
        )
        self.assertTrue(collective.is_reconciled)
        self.assertEqual(collective.o2c_match_state, "matched")
        # by the references listed, not by an amount that happens to add up
        self.assertIn("references", collective.o2c_match_reason)
        for invoice in invoices:
            self.assertIn(invoice.name, collective.o2c_match_reason)
        # the second batch names its invoices by RF creditor reference only
        self.assertEqual(references.payment_ref, "RF211004711; RF911004712; ETA-7781")
        self.assertEqual(
            [inv.payment_state for inv in by_rf],
            ["paid", "paid"],
            references.o2c_match_reason,
        )
        self.assertTrue(references.is_reconciled)
