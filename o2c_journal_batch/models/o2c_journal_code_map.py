# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""What a source system's codes mean in Odoo: accounts, analytic accounts, partners, taxes.

Payroll and expense systems use their own account codes and cost-centre names. A
controller maps each code once per source; a batch that uses a code with no mapping
(and no account / analytic account of that exact code) is held with an exception that
names the code and the line.
"""

from odoo import api, fields, models
from odoo.exceptions import ValidationError

KINDS = [
    ("account", "Account"),
    ("analytic", "Analytic Account"),
    ("partner", "Partner"),
    ("tax", "Tax"),
]
TARGET_FIELD = {
    "account": "account_id",
    "analytic": "analytic_account_id",
    "partner": "partner_id",
    "tax": "tax_id",
}


class O2cJournalCodeMap(models.Model):
    _name = "o2c.journal.code.map"
    _description = "Journal batch code mapping"
    _order = "connection_id, kind, code"

    connection_id = fields.Many2one(
        "o2c.connection", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="connection_id.company_id", store=True)
    kind = fields.Selection(KINDS, required=True, default="account")
    code = fields.Char(required=True, help="The code as the source system sends it.")
    account_id = fields.Many2one("account.account", check_company=True)
    analytic_account_id = fields.Many2one("account.analytic.account")
    partner_id = fields.Many2one("res.partner")
    tax_id = fields.Many2one("account.tax", check_company=True)

    _code_unique = models.Constraint(
        "UNIQUE(connection_id, kind, code)",
        "A code is mapped once per source and kind.",
    )

    @api.constrains("kind", "account_id", "analytic_account_id", "partner_id", "tax_id")
    def _check_target(self):
        for rec in self:
            if not rec[TARGET_FIELD[rec.kind]]:
                raise ValidationError(
                    self.env._(
                        "The mapping of %(code)s needs a target %(kind)s.",
                        code=rec.code,
                        kind=dict(KINDS)[rec.kind],
                    )
                )
