# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Resolve, ignore or assign a selection of exceptions at once."""

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Command

OPEN_STATES = ("new", "in_progress")


class O2cExceptionBulkWizard(models.TransientModel):
    _name = "o2c.exception.bulk.wizard"
    _description = "Work Several Exceptions at Once"

    exception_ids = fields.Many2many(
        "o2c.exception",
        "o2c_exception_bulk_wizard_rel",
        "wizard_id",
        "exception_id",
        string="Exceptions",
    )
    exception_count = fields.Integer(compute="_compute_exception_count")
    mode = fields.Selection(
        [("assign", "Assign"), ("resolve", "Resolve"), ("ignore", "Ignore")],
        required=True,
        default="assign",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Assignee",
        domain=lambda self: [
            ("all_group_ids", "in", self.env.ref("o2c_integration.group_o2c_user").ids)
        ],
    )
    note = fields.Text(string="Resolution Note")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        if context.get("active_model") == "o2c.exception" and context.get("active_ids"):
            values["exception_ids"] = [Command.set(context["active_ids"])]
        return values

    @api.depends("exception_ids")
    def _compute_exception_count(self):
        for wizard in self:
            wizard.exception_count = len(wizard.exception_ids)

    def action_apply(self):
        """Apply the mode to the open exceptions of the selection."""
        self.ensure_one()
        if not self.env.user.has_group("o2c_integration.group_o2c_user"):
            raise UserError(self.env._("Only O2C users work exceptions."))
        exceptions = self.exception_ids.filtered(lambda e: e.state in OPEN_STATES)
        if not exceptions:
            raise UserError(self.env._("No open exception in the selection."))
        if self.mode == "assign":
            if not self.user_id:
                raise UserError(self.env._("Choose who takes the exceptions."))
            exceptions.write({"user_id": self.user_id.id, "state": "in_progress"})
            self.env["o2c.audit.log"]._log(
                "exception.assign",
                self.env._(
                    "%(n)s exceptions assigned to %(user)s",
                    n=len(exceptions),
                    user=self.user_id.name,
                ),
                records=exceptions[:1],
                data={"exceptions": exceptions.ids, "user": self.user_id.id},
            )
            message = self.env._(
                "%(n)s exception(s) assigned to %(user)s.",
                n=len(exceptions),
                user=self.user_id.name,
            )
        else:
            if not (self.note or "").strip():
                raise UserError(self.env._("Write what was done (resolution note)."))
            exceptions.write({"resolution_note": self.note})
            if self.mode == "resolve":
                exceptions.action_resolve()
                message = self.env._("%(n)s exception(s) resolved.", n=len(exceptions))
            else:
                exceptions.action_ignore()
                message = self.env._("%(n)s exception(s) ignored.", n=len(exceptions))
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Exceptions"),
                "message": message,
                "type": "success",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
