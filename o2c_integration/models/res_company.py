# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Per-company alert settings of the Order-to-Cash suite (set in Settings)."""

from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    o2c_alert_user_ids = fields.Many2many(
        "res.users",
        "o2c_company_alert_user_rel",
        "company_id",
        "user_id",
        string="O2C Alert Recipients",
        help="Who is notified when an integration alert opens, by default "
        "(a connection may name its own responsible user as well).",
    )
    o2c_close_window_days = fields.Integer(
        string="O2C Close Window (days)",
        default=5,
        help="The first days of each month, while the previous month is being "
        "closed. 0 means no close window.",
    )
    o2c_close_escalate = fields.Boolean(
        string="Escalate Alerts During the Close",
        default=True,
        help="During the close window, alerts are raised one severity up.",
    )
