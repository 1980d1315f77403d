# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Upload a bank statement file (finance users)."""

import base64
import binascii
import json

from odoo import api, fields, models
from odoo.exceptions import UserError

from odoo.addons.o2c_integration.models.o2c_access import USER_GROUP, o2c_require

from ..lib.detect import FORMATS


class O2cBankStatementImportWizard(models.TransientModel):
    _name = "o2c.bank.statement.import.wizard"
    _description = "Import a Bank Statement"

    data_file = fields.Binary(string="Statement File", required=True, attachment=False)
    filename = fields.Char()
    journal_id = fields.Many2one(
        "account.journal",
        string="Journal",
        domain="[('type', 'in', ('bank', 'credit'))]",
        help="Leave empty to use the journal whose bank account is the file's account.",
    )
    file_format = fields.Selection(
        [("auto", "Detect automatically")] + [(f, f.upper()) for f in FORMATS],
        default="auto",
        required=True,
    )
    csv_mapping = fields.Text(
        string="CSV / Excel Column Mapping",
        help="JSON column mapping for CSV or Excel files; empty: the journal's saved "
        "mapping.",
    )
    save_mapping = fields.Boolean(
        string="Save Mapping on the Journal",
        help="Reuse this mapping for the next files of the journal.",
    )

    @api.onchange("journal_id")
    def _onchange_journal_id(self):
        if self.journal_id.o2c_csv_mapping and not self.csv_mapping:
            self.csv_mapping = json.dumps(self.journal_id.o2c_csv_mapping, indent=2)

    def _decoded_file(self):
        try:
            return base64.b64decode(self.data_file or b"", validate=True)
        except (binascii.Error, ValueError) as exc:
            raise UserError(
                self.env._("The uploaded file could not be decoded.")
            ) from exc

    def _mapping(self):
        text = (self.csv_mapping or "").strip()
        if not text:
            return None
        try:
            mapping = json.loads(text)
        except ValueError as exc:
            raise UserError(
                self.env._("The column mapping is not valid JSON: %(e)s", e=exc)
            ) from exc
        if not isinstance(mapping, dict):
            raise UserError(self.env._("The column mapping must be a JSON object."))
        return mapping

    def action_import(self):
        self.ensure_one()
        # group, journal access and the current companies (the journal lookup below
        # runs under sudo within env.companies: they must be the user's own)
        o2c_require(self.journal_id, USER_GROUP, "bank.statement.import", "read")
        mapping = self._mapping()
        imports = (
            self.env["o2c.bank.statement.import"]
            .sudo()
            .with_context(tracking_disable=True)
            ._o2c_import_file(
                self._decoded_file(),
                self.filename,
                journal=self.journal_id.sudo() or None,
                mapping=mapping,
                fmt=None if self.file_format == "auto" else self.file_format,
            )
        )
        if mapping and self.save_mapping:
            for journal in imports.journal_id:
                journal.sudo().o2c_csv_mapping = mapping
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "o2c_bank_feed.o2c_bank_statement_import_action"
        )
        if len(imports) == 1:
            action.update(
                {"res_id": imports.id, "view_mode": "form", "views": [(False, "form")]}
            )
        else:
            action["domain"] = [("id", "in", imports.ids)]
        return action
