# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Per-connection code tables: the source's tax, payment-term and country codes.

Products are mapped by SKU (``product.product.default_code``) and currencies by ISO code
without a table; what a source names with its own codes (``"VAT19"``, ``"30_DAYS"``)
needs one. An unknown code is a *mapping* problem for a person to fix: the order event
fails with a "mapping" exception and succeeds on retry once the row exists.
"""

from odoo import fields, models


class O2cTaxMapping(models.Model):
    _name = "o2c.tax.mapping"
    _inherit = ["o2c.connection.record.mixin"]
    _description = "O2C Tax Code Mapping"
    _order = "connection_id, code"

    code = fields.Char(required=True, help="Tax code as sent by the source, e.g. VAT19")
    tax_id = fields.Many2one(
        "account.tax",
        required=True,
        ondelete="restrict",
        domain="[('type_tax_use', '=', 'sale'), "
        "('company_id', 'parent_of', company_id)]",
    )

    _code_uniq = models.UniqueIndex(
        "(connection_id, code)", "A tax code is mapped once per connection."
    )


class O2cPaymentTermMapping(models.Model):
    _name = "o2c.payment.term.mapping"
    _inherit = ["o2c.connection.record.mixin"]
    _description = "O2C Payment Terms Mapping"
    _order = "connection_id, code"

    code = fields.Char(required=True, help="Payment terms code as sent, e.g. 30_DAYS")
    payment_term_id = fields.Many2one(
        "account.payment.term", required=True, ondelete="restrict"
    )

    _code_uniq = models.UniqueIndex(
        "(connection_id, code)", "A payment terms code is mapped once per connection."
    )


class O2cFiscalPositionMapping(models.Model):
    """Optional: force a fiscal position per customer country.

    Without a row, Odoo's own rule applies (fiscal positions detected automatically
    from the customer's country / VAT). A row wins for orders of that connection, for
    sources whose customers Odoo's rules cannot classify (e.g. B2C distance sales).
    """

    _name = "o2c.fiscal.position.mapping"
    _inherit = ["o2c.connection.record.mixin"]
    _description = "O2C Fiscal Position by Country"
    _order = "connection_id, country_id"

    country_id = fields.Many2one("res.country", required=True, ondelete="cascade")
    fiscal_position_id = fields.Many2one(
        "account.fiscal.position",
        required=True,
        ondelete="cascade",
        domain="[('company_id', 'parent_of', company_id)]",
    )

    _country_uniq = models.UniqueIndex(
        "(connection_id, country_id)", "One fiscal position per country and connection."
    )
