# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Upload a journal batch as a file (JSON, or CSV / XLSX with the source's layout).

The file becomes a batch document and is stored as an inbound event of the source,
like a pushed or pulled batch: same idempotency (batch id and version), same
processing, retries and audit. The uploader is recorded: four eyes forbid him to
approve the batch.
"""

import base64
import json

from odoo import fields, models
from odoo.exceptions import UserError

from ..lib.batch_format import BatchFormatError, parse_batch
from ..lib.tabular import read_rows, rows_to_batch


class O2cJournalBatchUpload(models.TransientModel):
    _name = "o2c.journal.batch.upload"
    _description = "Upload a journal batch file"

    connection_id = fields.Many2one(
        "o2c.connection",
        string="Source",
        required=True,
        domain="[('connection_type', '=', 'journal')]",
    )
    file = fields.Binary(required=True)
    filename = fields.Char()
    batch_ref = fields.Char(string="Batch Id", help="Spreadsheets: the batch's id.")
    version = fields.Integer(default=1)
    date = fields.Date(help="Spreadsheets: the accounting date of lines without one.")
    currency_id = fields.Many2one(
        "res.currency", default=lambda self: self.env.company.currency_id
    )
    period = fields.Char(help="YYYY-MM")
    journal_code = fields.Char()

    def _document(self):
        data = base64.b64decode(self.file)
        conn = self.connection_id
        if conn.jb_mapping == "json":
            try:
                document = json.loads(data.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as exc:
                raise UserError(
                    self.env._("The file is not a JSON batch document: %(e)s", e=exc)
                ) from exc
            return document
        if not self.batch_ref or not self.date:
            raise UserError(self.env._("A spreadsheet needs a batch id and a date."))
        mapping = conn._jb_column_mapping()
        header = {
            "source_system": conn.jb_mapping,
            "batch_id": self.batch_ref,
            "version": self.version or 1,
            "date": self.date.isoformat(),
            "currency": self.currency_id.name,
            "period": self.period or "",
            "journal": self.journal_code or "",
            "reference": self.filename or "",
        }
        try:
            return rows_to_batch(read_rows(data, self.filename or ""), mapping, header)
        except BatchFormatError as exc:
            raise UserError(self.env._("Nothing was imported: %(e)s", e=exc)) from exc

    def action_upload(self):
        self.ensure_one()
        if not self.env.user.has_group("o2c_integration.group_o2c_manager"):
            raise UserError(self.env._("Only O2C managers can upload journal batches."))
        document = self._document()
        try:
            parse_batch(document)  # refuse a broken file now, with its paths
        except BatchFormatError as exc:
            raise UserError(self.env._("Nothing was imported: %(e)s", e=exc)) from exc
        event = self.connection_id.sudo()._jb_store_document(
            document,
            headers={"o2c_uploaded_by": self.env.uid, "filename": self.filename},
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": "o2c.event",
            "res_id": event.id,
            "view_mode": "form",
        }
