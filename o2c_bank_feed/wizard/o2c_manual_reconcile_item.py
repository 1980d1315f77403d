# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""One open item offered in the manual reconciliation wizard."""

from odoo import fields, models


class O2cManualReconcileItem(models.TransientModel):
    _name = "o2c.manual.reconcile.item"
    _description = "Open Item in a Manual Reconciliation"
    _order = "sequence, id"

    wizard_id = fields.Many2one(
        "o2c.manual.reconcile.wizard", required=True, ondelete="cascade", index=True
    )
    sequence = fields.Integer()
    move_line_id = fields.Many2one(
        "account.move.line", string="Journal Item", required=True, ondelete="cascade"
    )
    selected = fields.Boolean(string="Pay")
    is_suggestion = fields.Boolean(string="Suggested", readonly=True)
    score = fields.Float(digits=(5, 2), readonly=True)
    reason = fields.Char(readonly=True)
    move_name = fields.Char(related="move_line_id.move_name", string="Entry")
    partner_id = fields.Many2one(related="move_line_id.partner_id")
    ref = fields.Char(related="move_line_id.ref", string="Reference")
    date = fields.Date(related="move_line_id.date")
    date_maturity = fields.Date(related="move_line_id.date_maturity", string="Due")
    account_id = fields.Many2one(related="move_line_id.account_id")
    currency_id = fields.Many2one(related="wizard_id.currency_id")
    residual = fields.Monetary(
        string="Open Amount",
        readonly=True,
        help="What is still open on the item, in the bank line's currency, signed "
        "as the bank sees it (money in positive).",
    )
    amount = fields.Monetary(
        string="Amount to Apply",
        help="Less than the open amount leaves the item partially paid.",
    )
