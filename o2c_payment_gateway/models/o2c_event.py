# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models


class O2cEvent(models.Model):
    _inherit = "o2c.event"

    def _o2c_get_handlers(self):
        handlers = super()._o2c_get_handlers()
        handle = self.env["o2c.gateway.processor"]._pg_handle_event
        handlers[("stripe", "*")] = handle
        handlers[("adyen", "*")] = handle
        return handlers
