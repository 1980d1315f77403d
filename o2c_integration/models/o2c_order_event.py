# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Registers the order-flow handlers with the event machinery.

* ``("generic", "order.created" | "order.updated" | "order.cancelled")``: the order
  handler (``o2c.order.sync``); the document's own ``action`` decides what happens,
  the event type is informative (a "created" for a known order is an update).
* ``("*", "status.out")``: status updates POSTed to the source (``o2c.order.status``),
  for any connection type that has a status callback path.
"""

from odoo import models

from .o2c_order_connection import ORDER_EVENT_TYPES
from .o2c_order_status import STATUS_EVENT_TYPE


class O2cEvent(models.Model):
    _inherit = "o2c.event"

    def _o2c_get_handlers(self):
        handlers = super()._o2c_get_handlers()
        sync = self.env["o2c.order.sync"]
        for event_type in ORDER_EVENT_TYPES:
            handlers[("generic", event_type)] = sync._o2c_handle_order_event
        status = self.env["o2c.order.status"]._o2c_handle_status_event
        handlers[("*", STATUS_EVENT_TYPE)] = status
        # explicit too, so that a future ("generic", "*") handler does not shadow it
        handlers[("generic", STATUS_EVENT_TYPE)] = status
        return handlers
