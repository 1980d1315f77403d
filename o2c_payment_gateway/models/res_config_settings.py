# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Link from the Order-to-Cash settings to the gateway accounts."""

from odoo import models

from ..lib.registry import available_gateways


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    def action_o2c_open_gateway_accounts(self):
        """The connections of every registered gateway type."""
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "o2c_integration.o2c_connection_action"
        )
        action.update(
            name=self.env._("Gateway Accounts"),
            display_name=self.env._("Gateway Accounts"),
            domain=[("connection_type", "in", list(available_gateways()))],
            context={},
        )
        return action
