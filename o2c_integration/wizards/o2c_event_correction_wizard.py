# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Edit and Retry: an administrator corrects the payload of a failed event.

The stored event never changes (it is evidence); the wizard shows its payload, takes
the edited one and the reason, shows the difference, and creates the correction event
through :meth:`o2c.event._o2c_correct` (audited, idempotent).
"""

from odoo import api, fields, models

from ..lib.payload_diff import payload_diff


class O2cEventCorrectionWizard(models.TransientModel):
    _name = "o2c.event.correction.wizard"
    _description = "Correct the payload of a failed O2C event"

    event_id = fields.Many2one(
        "o2c.event", required=True, readonly=True, ondelete="cascade"
    )
    original_payload = fields.Text(
        compute="_compute_original_payload", string="Received Payload"
    )
    new_payload = fields.Text(
        string="Corrected Payload",
        required=True,
        compute="_compute_new_payload",
        store=True,
        readonly=False,
        precompute=True,
    )
    reason = fields.Text(required=True, help="Why the received payload is wrong")
    diff = fields.Text(compute="_compute_diff", string="Changes")

    # --- COMPUTE METHODS

    @api.depends("event_id")
    def _compute_original_payload(self):
        for wizard in self:
            wizard.original_payload = wizard.event_id.sudo().payload or False

    @api.depends("event_id")
    def _compute_new_payload(self):
        for wizard in self:
            if not wizard.new_payload:
                wizard.new_payload = wizard.event_id.sudo().payload or False

    @api.depends("original_payload", "new_payload")
    def _compute_diff(self):
        for wizard in self:
            wizard.diff = payload_diff(
                wizard.original_payload, wizard.new_payload
            ) or self.env._("(no change yet)")

    # --- CRUD

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("event_id"):
                self.env["o2c.event"].browse(
                    vals["event_id"]
                )._check_correction_allowed()
        return super().create(vals_list)

    # --- PUBLIC ACTIONS

    def action_confirm(self):
        self.ensure_one()
        correction = self.event_id._o2c_correct(self.new_payload, self.reason)
        return {
            "type": "ir.actions.act_window",
            "res_model": "o2c.event",
            "res_id": correction.id,
            "view_mode": "form",
            "target": "current",
        }
