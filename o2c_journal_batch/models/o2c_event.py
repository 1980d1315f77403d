# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Registers the journal batch handler with the event machinery."""

from odoo import models

from .o2c_connection import BATCH_EVENT


class O2cEvent(models.Model):
    _inherit = "o2c.event"

    def _o2c_get_handlers(self):
        handlers = super()._o2c_get_handlers()
        handlers[("journal", BATCH_EVENT)] = self.env[
            "o2c.journal.batch"
        ]._o2c_handle_batch_event
        return handlers
