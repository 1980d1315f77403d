# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class O2cJournalBatchReject(models.TransientModel):
    _name = "o2c.journal.batch.reject"
    _description = "Reject journal batches with a reason"

    batch_ids = fields.Many2many("o2c.journal.batch", required=True)
    reason = fields.Text(required=True)

    def action_reject(self):
        self.ensure_one()
        self.batch_ids.action_reject(reason=self.reason)
        return {"type": "ir.actions.act_window_close"}
