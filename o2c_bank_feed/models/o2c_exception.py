# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Bank proposals in the exception queue: candidates and one-click accept."""

from odoo import fields, models
from odoo.exceptions import UserError


class O2cException(models.Model):
    _inherit = "o2c.exception"

    o2c_candidate_ids = fields.One2many(
        "o2c.reconcile.candidate", "exception_id", string="Suggestions"
    )
    o2c_open_candidate_count = fields.Integer(
        compute="_compute_o2c_open_candidate_count"
    )

    def _compute_o2c_open_candidate_count(self):
        counts = dict(
            self.env["o2c.reconcile.candidate"]._read_group(
                [("exception_id", "in", self.ids), ("state", "=", "open")],
                ["exception_id"],
                ["__count"],
            )
        )
        for exc in self:
            exc.o2c_open_candidate_count = counts.get(exc, 0)

    def action_accept_proposal(self):
        """Accept the best suggestion of a proposal (one click)."""
        self.ensure_one()
        candidate = self.o2c_candidate_ids.filtered(lambda c: c.state == "open").sorted(
            lambda c: (c.rank, c.id)
        )[:1]
        if not candidate:
            raise UserError(
                self.env._("This exception has no open suggestion to accept.")
            )
        return candidate.action_accept()

    def action_o2c_manual_reconcile(self):
        """Reconcile the bank lines of these exceptions by hand, one after another."""
        lines = (
            self.env["account.bank.statement.line"]
            .browse(
                self.filtered(
                    lambda e: e.res_model == "account.bank.statement.line"
                ).mapped("res_id")
            )
            .exists()
        )
        if not lines:
            raise UserError(self.env._("These exceptions are not about bank lines."))
        return lines.action_o2c_manual_reconcile()

    def action_o2c_rerun_matching(self):
        """Run the rules again on the bank lines of these exceptions."""
        lines = (
            self.env["account.bank.statement.line"]
            .browse(
                self.filtered(
                    lambda e: e.res_model == "account.bank.statement.line"
                ).mapped("res_id")
            )
            .exists()
        )
        if not lines:
            raise UserError(self.env._("These exceptions are not about bank lines."))
        return lines.action_o2c_reconcile()
