# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Customer credit hold flag (set by a person, or by a gateway dispute)."""

from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    o2c_credit_hold = fields.Boolean(
        string="O2C Credit Hold",
        tracking=True,
        copy=False,
        help="Every order received from a CRM / web shop for this customer waits for "
        "an O2C manager's release, whatever the credit limit. Set by hand or by the "
        "payment gateway integration on a dispute.",
    )
    o2c_credit_hold_reason = fields.Char(string="Credit Hold Reason", copy=False)

    def _o2c_set_credit_hold(self, reason):
        """Flag the commercial partners (used by other addons, e.g. on a dispute)."""
        partners = self.commercial_partner_id.sudo()
        partners.write({"o2c_credit_hold": True, "o2c_credit_hold_reason": reason})
        for partner in partners:
            self.env["o2c.audit.log"]._log(
                "partner.credit_hold",
                f"{partner.name} put on credit hold",
                records=partner,
                data={"reason": reason},
            )
        return partners
