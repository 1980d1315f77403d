# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""One line of a journal batch, as the source sent it and as it resolved in Odoo."""

from odoo import fields, models


class O2cJournalBatchLine(models.Model):
    _name = "o2c.journal.batch.line"
    _description = "Journal batch line"
    _order = "batch_id, sequence"

    batch_id = fields.Many2one(
        "o2c.journal.batch", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="batch_id.company_id", store=True)
    currency_id = fields.Many2one(related="batch_id.currency_id")
    sequence = fields.Integer(
        help="Position of the line in the source document (1-based)."
    )
    account_code = fields.Char(required=True)
    account_id = fields.Many2one("account.account", readonly=True)
    label = fields.Char(required=True)
    debit = fields.Monetary(currency_field="currency_id")
    credit = fields.Monetary(currency_field="currency_id")
    date = fields.Date(required=True)
    partner_ref = fields.Char(string="Partner Reference")
    partner_id = fields.Many2one("res.partner", readonly=True)
    tax_code = fields.Char()
    tax_id = fields.Many2one("account.tax", readonly=True)
    document_ref = fields.Char(string="Source Document")
    analytic_codes = fields.Char(
        help="The analytic distribution as sent: code=percent, comma separated."
    )
    analytic_distribution = fields.Json(readonly=True)
