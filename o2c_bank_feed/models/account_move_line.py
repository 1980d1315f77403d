# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Indexes that make the reconciliation engine's candidate lookup index-only.

The engine looks open items up by reference *keys* (see ``lib/references.py``):
``INV/2026/00042`` has the full key ``INV202600042`` and the canonical key
``INV2026#42``. Two immutable SQL functions compute the same keys in
PostgreSQL, and partial expression indexes over the open items make
``o2c_ref_key(move_name) = ANY(%s)`` an index scan whatever the number of
invoices. The Python side (``references.ref_keys``) remains the authority:
SQL only pre-selects candidates, every key is recomputed in Python.
"""

from odoo import models
from odoo.tools.sql import create_index

#: Same as ``references.normalize_ref`` for ASCII text: upper-case
#: alphanumerics only.
_REF_KEY_FUNCTION = r"""
CREATE OR REPLACE FUNCTION o2c_ref_key(txt text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    SELECT NULLIF(upper(regexp_replace(txt, '[^A-Za-z0-9]+', '', 'g')), '')
$$;
"""
#: Same as the canonical key of ``references.ref_keys`` for numbers written
#: with separators: the parts before the last numeric part, then "#", then
#: that number without zero padding ("INV/2026/00042" -> "INV2026#42").
_REF_CANON_FUNCTION = r"""
CREATE OR REPLACE FUNCTION o2c_ref_canon(txt text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    SELECT CASE
        WHEN txt ~ '[A-Za-z0-9][^A-Za-z0-9]+[0-9]+[^A-Za-z0-9]*$' THEN
            upper(regexp_replace(
                regexp_replace(txt, '[^A-Za-z0-9]+[0-9]+[^A-Za-z0-9]*$', ''),
                '[^A-Za-z0-9]+', '', 'g'))
            || '#'
            || COALESCE(NULLIF(ltrim(
                substring(txt from '([0-9]+)[^A-Za-z0-9]*$'), '0'), ''), '0')
    END
$$;
"""
#: The predicate every open-item index carries (and every lookup repeats,
#: so that the planner can use the partial indexes).
OPEN_ITEM_PREDICATE = "reconciled IS NOT TRUE AND parent_state = 'posted'"

_INDEXES = {
    "o2c_aml_open_move_name_key_idx": (
        "account_move_line",
        "o2c_ref_key(move_name)",
        OPEN_ITEM_PREDICATE,
    ),
    "o2c_aml_open_move_name_canon_idx": (
        "account_move_line",
        "o2c_ref_canon(move_name)",
        OPEN_ITEM_PREDICATE,
    ),
    "o2c_aml_open_name_key_idx": (
        "account_move_line",
        "o2c_ref_key(name)",
        OPEN_ITEM_PREDICATE,
    ),
    "o2c_aml_open_partner_idx": (
        "account_move_line",
        "partner_id",
        OPEN_ITEM_PREDICATE,
    ),
    "o2c_aml_open_amount_idx": (
        "account_move_line",
        "amount_residual_currency",
        OPEN_ITEM_PREDICATE,
    ),
    "o2c_move_payment_reference_key_idx": (
        "account_move",
        "o2c_ref_key(payment_reference)",
        "payment_reference IS NOT NULL",
    ),
    "o2c_move_ref_key_idx": (
        "account_move",
        "o2c_ref_key(ref)",
        "ref IS NOT NULL",
    ),
}


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    def init(self):
        super().init()
        cr = self.env.cr
        cr.execute(_REF_KEY_FUNCTION)
        cr.execute(_REF_CANON_FUNCTION)
        for name, (table, expression, where) in _INDEXES.items():
            create_index(cr, name, table, [expression], where=where)
