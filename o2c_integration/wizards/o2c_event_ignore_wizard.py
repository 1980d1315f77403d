# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Ignore events with a reason (managers)."""

from odoo import fields, models


class O2cEventIgnoreWizard(models.TransientModel):
    _name = "o2c.event.ignore.wizard"
    _description = "Ignore O2C events with a reason"

    reason = fields.Text(required=True)

    def action_confirm(self):
        events = self.env["o2c.event"].browse(self.env.context.get("active_ids", []))
        events.action_ignore(reason=self.reason)
        return {"type": "ir.actions.act_window_close"}
