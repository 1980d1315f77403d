# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Partner names as the bank engine compares them, indexed.

``lib/matching_names.py`` reduces a name to upper-case ASCII tokens without
legal forms. Stored here in two forms, each with a partial btree index over
the commercial partners, so that the engine finds the partners around a
bank name with index range scans (``>=`` the bank's form, a few rows each
way), never with a loop over every partner.
"""

from odoo import api, fields, models
from odoo.tools.sql import create_index

from ..lib import matching_names

#: Commercial partners: the ones open items carry.
_INDEXED = "o2c_name_norm IS NOT NULL AND parent_id IS NULL"


class ResPartner(models.Model):
    _inherit = "res.partner"

    o2c_name_norm = fields.Char(
        string="Bank Name Form",
        compute="_compute_o2c_name_forms",
        store=True,
        help="The name as the bank engine compares it: upper case, no accents, "
        "no legal form, words in order.",
    )
    o2c_name_key = fields.Char(
        string="Bank Name Key",
        compute="_compute_o2c_name_forms",
        store=True,
        help="The same words sorted (word order does not matter).",
    )

    @api.depends("name")
    def _compute_o2c_name_forms(self):
        for partner in self:
            normalized = matching_names.normalize_name(partner.name)
            partner.o2c_name_norm = normalized.norm or False
            partner.o2c_name_key = normalized.key or False

    def init(self):
        super().init()
        for column in ("o2c_name_norm", "o2c_name_key"):
            create_index(
                self.env.cr,
                f"res_partner_{column}_o2c_idx",
                self._table,
                [column],
                where=_INDEXED,
            )
