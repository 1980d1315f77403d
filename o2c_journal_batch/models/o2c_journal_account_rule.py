# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Per-account validation rules a controller maintains for journal batches."""

from odoo import fields, models


class O2cJournalAccountRule(models.Model):
    _name = "o2c.journal.account.rule"
    _description = "Journal batch rule per account"
    _order = "account_id"

    account_id = fields.Many2one(
        "account.account", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    max_line_amount = fields.Float(
        string="Largest Line Amount",
        help="A line above this amount (debit or credit, batch currency) holds the "
        "batch. 0 means no limit.",
    )
    required_plan_ids = fields.Many2many(
        "account.analytic.plan",
        string="Required Analytic Plans",
        help="Every line on this account must carry an analytic account of each plan.",
    )
    allow_reconcilable = fields.Boolean(
        help="Allow batch lines on this account although it is reconcilable "
        "(receivable, payable, clearing): they would bypass the reconciliation "
        "of open items, so they are refused unless allowed here.",
    )

    _account_unique = models.Constraint(
        "UNIQUE(account_id, company_id)", "One rule per account."
    )
