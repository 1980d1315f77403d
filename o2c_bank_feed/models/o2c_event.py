# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Event handlers of the bank connections."""

from odoo import models

from .o2c_connection import FILE_EVENT, PAGE_EVENT


class O2cEvent(models.Model):
    _inherit = "o2c.event"

    def _o2c_get_handlers(self):
        handlers = super()._o2c_get_handlers()
        connections = self.env["o2c.connection"]
        handlers[("bank_api", PAGE_EVENT)] = connections._o2c_handle_bank_page
        handlers[("bank_file", FILE_EVENT)] = connections._o2c_handle_bank_file
        return handlers
