# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Records an event created (the "Created Records" of an event)."""

from odoo import fields, models


class O2cEventLink(models.Model):
    _name = "o2c.event.link"
    _description = "Record created by an O2C event"
    _order = "id"

    event_id = fields.Many2one(
        "o2c.event", required=True, ondelete="cascade", index=True
    )
    res_model = fields.Char(required=True, index=True)
    res_id = fields.Integer(required=True, index=True)
    record_name = fields.Char(compute="_compute_record_name")

    def _compute_record_name(self):
        for link in self:
            record = (
                self.env[link.res_model].browse(link.res_id).exists()
                if link.res_model in self.env
                else None
            )
            link.record_name = (
                record.display_name if record else f"{link.res_model},{link.res_id}"
            )

    def action_open(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
        }
