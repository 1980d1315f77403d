# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Suggestions the engine did not dare to apply: a person accepts one."""

import json
from decimal import Decimal

from odoo import api, fields, models
from odoo.exceptions import UserError


class O2cReconcileCandidate(models.Model):
    _name = "o2c.reconcile.candidate"
    _description = "O2C Bank Reconciliation Suggestion"
    _order = "statement_line_id, rank, id"
    _rec_name = "reason"

    statement_line_id = fields.Many2one(
        "account.bank.statement.line", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="statement_line_id.company_id", store=True)
    exception_id = fields.Many2one("o2c.exception", index=True, ondelete="set null")
    rule_id = fields.Many2one("o2c.reconcile.rule", ondelete="set null")
    rank = fields.Integer(default=1)
    score = fields.Float(digits=(5, 2))
    strategy = fields.Char()
    reason = fields.Char()
    move_line_ids = fields.Many2many(
        "account.move.line",
        string="Open Items",
        relation="o2c_reconcile_candidate_aml_rel",
    )
    move_names = fields.Char(compute="_compute_move_names", string="Items")
    amounts = fields.Char(
        help="JSON list of the amounts allocated to the items (same order), as text."
    )
    item_order = fields.Char(help="JSON list of the item ids in allocation order.")
    writeoff = fields.Float(digits="Account", string="Write-off")
    partial = fields.Boolean()
    state = fields.Selection(
        [("open", "Open"), ("accepted", "Accepted"), ("discarded", "Discarded")],
        default="open",
        required=True,
        index=True,
    )
    line_amount = fields.Monetary(
        related="statement_line_id.amount", currency_field="line_currency_id"
    )
    line_currency_id = fields.Many2one(related="statement_line_id.currency_id")
    partner_id = fields.Many2one("res.partner", compute="_compute_move_names")

    @api.depends("move_line_ids")
    def _compute_move_names(self):
        for cand in self:
            cand.move_names = ", ".join(cand.move_line_ids.mapped("move_name"))
            cand.partner_id = cand.move_line_ids.partner_id[:1]

    # --- BUSINESS METHODS

    def _get_allocation(self):
        """[(account.move.line, Decimal amount)] in allocation order."""
        self.ensure_one()
        ids = json.loads(self.item_order or "[]") or self.move_line_ids.ids
        amounts = [Decimal(a) for a in json.loads(self.amounts or "[]")]
        lines = self.env["account.move.line"].browse(ids)
        return list(zip(lines, amounts, strict=True))

    # --- PUBLIC ACTIONS

    def action_accept(self):
        """Reconcile the bank line with this suggestion (a person's decision)."""
        self.ensure_one()
        if not self.env.user.has_group("o2c_integration.group_o2c_user"):
            raise UserError(self.env._("Only O2C users can accept suggestions."))
        if self.state != "open":
            raise UserError(
                self.env._("This suggestion was already %(s)s.", s=self.state)
            )
        self.env["o2c.reconcile.poster"]._accept_candidate(self)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Reconciled"),
                "message": self.env._(
                    "%(line)s reconciled with %(items)s.",
                    line=self.statement_line_id.display_name,
                    items=self.move_names,
                ),
                "type": "success",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
