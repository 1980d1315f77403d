# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import base64

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import BankFeedCommon, camt_document

SAMPLE = (
    b"Buchungstag;Verwendungszweck;Auftraggeber;IBAN;Soll;Haben\n"
    b"02.03.2026;INV/2026/0001;ACME GmbH;DE89370400440532013000;;1.250,50\n"
    b"03.03.2026;Kontogebuehr;Bank;;12,00;\n"
    b"04.03.2026;Miete Maerz;Vermieter;DE02120300000000202051;800,00;\n"
)


@tagged("post_install", "-at_install")
class TestCsvMappingWizard(BankFeedCommon):
    def _wizard(self, data=SAMPLE, filename="sparkasse.csv"):
        action = self.bank_journal.action_o2c_configure_csv_mapping()
        return (
            self.env[action["res_model"]]
            .with_context(action["context"])
            .create(
                {
                    "sample_file": base64.b64encode(data),
                    "sample_filename": filename,
                }
            )
        )

    def test_columns_read_guessed_previewed_and_saved_on_the_journal(self):
        wizard = self._wizard()
        self.assertEqual(wizard.journal_id, self.bank_journal)
        action = wizard.action_read_columns()
        self.assertEqual(
            (action["res_model"], action["res_id"]), (wizard._name, wizard.id)
        )
        self.assertEqual(wizard.state, "map")
        self.assertEqual(wizard.delimiter, ";")
        self.assertEqual(
            wizard.column_ids.mapped("name"),
            [
                "Buchungstag",
                "Verwendungszweck",
                "Auftraggeber",
                "IBAN",
                "Soll",
                "Haben",
            ],
        )
        self.assertRecordValues(
            wizard,
            [
                {
                    "amount_mode": "split",
                    "date_column_id": wizard.column_ids[0].id,
                    "label_column_id": wizard.column_ids[1].id,
                    "partner_column_id": wizard.column_ids[2].id,
                    "iban_column_id": wizard.column_ids[3].id,
                    "debit_column_id": wizard.column_ids[4].id,
                    "credit_column_id": wizard.column_ids[5].id,
                    "currency_id": self.currency.id,
                }
            ],
        )
        self.assertEqual(wizard.column_ids[0].display_name, "Buchungstag (02.03.2026)")
        # German amounts: the preview says so before anything is saved
        self.assertIn("o_o2c_preview_error", wizard.preview_html)
        wizard.decimal_separator = ","
        wizard.thousands_separator = "point"
        self.assertEqual(wizard.date_format, "%d.%m.%Y")  # guessed from the sample
        preview = str(wizard.preview_html)
        self.assertIn("o_o2c_csv_preview", preview)
        self.assertIn("1250.50", preview)
        self.assertIn("-800.00", preview)
        self.assertIn("ACME GmbH", preview)
        self.assertEqual(preview.count("<tr>"), 4)  # header + 3 lines
        # as the web client reads it (binary fields as sizes)
        wizard.invalidate_recordset()
        self.assertIn("ACME GmbH", str(wizard.with_context(bin_size=True).preview_html))
        wizard.action_save()
        mapping = self.bank_journal.o2c_csv_mapping
        self.assertEqual(mapping["date_column"], "Buchungstag")
        self.assertEqual(mapping["credit_column"], "Haben")
        self.assertEqual(mapping["decimal_separator"], ",")
        self.assertIn(
            '"debit_column": "Soll"', self.bank_journal.o2c_csv_mapping_display
        )
        # the saved mapping imports the bank's files
        imp = self.Import.with_context(o2c_no_reconcile=True)._o2c_import_file(
            SAMPLE, "march.csv", journal=self.bank_journal
        )
        self.assertEqual(sorted(imp.line_ids.mapped("amount")), [-800.0, -12.0, 1250.5])
        self.assertEqual(
            imp.line_ids.filtered(lambda line: line.amount > 0).partner_name,
            "ACME GmbH",
        )

    def test_a_mapping_that_does_not_read_the_sample_is_not_saved(self):
        wizard = self._wizard()
        wizard.action_read_columns()
        with self.assertRaises(UserError) as caught:
            wizard.action_save()  # decimal comma not set: "1.250,50" is refused
        self.assertIn("nothing was saved", str(caught.exception))
        self.assertFalse(self.bank_journal.o2c_csv_mapping)

    def test_a_structured_file_needs_no_mapping(self):
        wizard = self._wizard(camt_document([], currency=self.currency.name), "s.xml")
        with self.assertRaises(UserError) as caught:
            wizard.action_read_columns()
        self.assertIn("needs no column mapping", str(caught.exception))
