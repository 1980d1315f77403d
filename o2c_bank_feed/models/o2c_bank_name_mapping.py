# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Bank names a person confirmed: the next line from that name resolves directly."""

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..lib import matching_names


class O2cBankNameMapping(models.Model):
    _name = "o2c.bank.name.mapping"
    _description = "O2C Bank Payer Name Mapping"
    _order = "name, id"
    _check_company_auto = True

    name = fields.Char(
        string="Name at the Bank",
        required=True,
        help="The payer's name as the bank writes it on statement lines.",
    )
    name_key = fields.Char(
        compute="_compute_name_key",
        store=True,
        index=True,
        help="Upper case, accents and punctuation removed: the key the engine "
        "looks up. The legal form is kept.",
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Partner",
        required=True,
        index=True,
        ondelete="cascade",
        domain="[('parent_id', '=', False)]",
        check_company=True,
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        index=True,
    )
    active = fields.Boolean(default=True)
    confirmed_by_id = fields.Many2one(
        "res.users", string="Confirmed By", readonly=True, ondelete="set null"
    )
    confirmed_date = fields.Datetime(readonly=True)
    statement_line_id = fields.Many2one(
        "account.bank.statement.line",
        string="Confirmed On",
        readonly=True,
        ondelete="set null",
        help="The bank line whose accepted suggestion taught this mapping.",
    )

    _name_key_company_uniq = models.Constraint(
        "UNIQUE(company_id, name_key)",
        "This bank name is already mapped to a partner in this company.",
    )

    @api.depends("name")
    def _compute_name_key(self):
        for mapping in self:
            mapping.name_key = matching_names.mapping_key(mapping.name) or False

    @api.constrains("name")
    def _check_name_key(self):
        for mapping in self:
            if not mapping.name_key:
                raise ValidationError(
                    self.env._(
                        "The bank name %(name)r has no letter or digit.",
                        name=mapping.name,
                    )
                )

    # --- BUSINESS METHODS

    @api.model
    def _get_mapped_partners(self, company, names):
        """{bank name: commercial partner id} of the active mappings of ``names``."""
        keys = {name: matching_names.mapping_key(name) for name in names if name}
        keys = {name: key for name, key in keys.items() if key}
        if not keys:
            return {}
        self.flush_model()
        self.env.cr.execute(
            """SELECT mapping.name_key,
                      COALESCE(partner.commercial_partner_id, partner.id)
                 FROM o2c_bank_name_mapping mapping
                 JOIN res_partner partner ON partner.id = mapping.partner_id
                WHERE mapping.active AND partner.active
                  AND mapping.company_id = %s AND mapping.name_key = ANY(%s)""",
            [company.id, sorted(set(keys.values()))],
        )
        by_key = dict(self.env.cr.fetchall())
        return {name: by_key[key] for name, key in keys.items() if key in by_key}

    @api.model
    def _learn(self, line, partner):
        """Record that the bank name of ``line`` is ``partner`` (a person said so).

        A mapping of that name to another partner is moved to this one: the
        latest confirmation wins, and the audit log keeps both.
        """
        name = line.partner_name
        key = matching_names.mapping_key(name)
        partner = partner.commercial_partner_id
        if not key or not partner:
            return self.browse()
        company = line.company_id
        mapping = (
            self.sudo()
            .with_context(active_test=False)
            .search([("company_id", "=", company.id), ("name_key", "=", key)], limit=1)
        )
        vals = {
            "partner_id": partner.id,
            "active": True,
            "confirmed_by_id": self.env.user.id,
            "confirmed_date": fields.Datetime.now(),
            "statement_line_id": line.id,
        }
        previous = mapping.partner_id
        if mapping:
            mapping.write(vals)
        else:
            mapping = self.sudo().create(dict(vals, name=name, company_id=company.id))
        self.env["o2c.audit.log"]._log(
            "bank.name.mapping",
            self.env._(
                "Bank name %(name)s mapped to %(partner)s",
                name=name,
                partner=partner.display_name,
            ),
            records=mapping,
            data={
                "name": name,
                "partner": partner.id,
                "previous": previous.id or None,
                "line": line.id,
            },
        )
        return mapping
