# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Statements: the import they came from and their match rate."""

from odoo import fields, models


class AccountBankStatement(models.Model):
    _inherit = "account.bank.statement"

    o2c_statement_import_id = fields.Many2one(
        "o2c.bank.statement.import",
        string="O2C Import",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        copy=False,
    )
    o2c_line_count = fields.Integer(compute="_compute_o2c_match_rate", string="Lines")
    o2c_matched_count = fields.Integer(
        compute="_compute_o2c_match_rate", string="Matched"
    )
    o2c_open_count = fields.Integer(
        compute="_compute_o2c_match_rate", string="To Reconcile"
    )
    o2c_match_rate = fields.Float(
        compute="_compute_o2c_match_rate", string="Match Rate (%)"
    )

    def _compute_o2c_match_rate(self):
        groups = self.env["account.bank.statement.line"]._read_group(
            [("statement_id", "in", self.ids)],
            ["statement_id", "is_reconciled"],
            ["__count"],
        )
        totals, matched = {}, {}
        for statement, reconciled, count in groups:
            totals[statement] = totals.get(statement, 0) + count
            if reconciled:
                matched[statement] = matched.get(statement, 0) + count
        for statement in self:
            total = totals.get(statement, 0)
            statement.o2c_line_count = total
            statement.o2c_matched_count = matched.get(statement, 0)
            statement.o2c_open_count = total - statement.o2c_matched_count
            statement.o2c_match_rate = (
                100.0 * statement.o2c_matched_count / total if total else 0.0
            )

    def action_o2c_open_lines(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "o2c_bank_feed.o2c_bank_line_action"
        )
        action["domain"] = [("statement_id", "=", self.id)]
        action["context"] = {}
        return action

    def action_o2c_reconcile(self):
        return self.line_ids.action_o2c_reconcile()
