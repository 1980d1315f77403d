# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The Order-to-Cash section of Settings, in a real browser (all three addons)."""

import json
import os
from unittest.mock import patch

from odoo.tests import HttpCase, tagged

# A fixed test key, so that the tour can check the primary key id it shows (3a57a05c).
TOUR_KEY = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY="


@tagged("post_install", "-at_install")
class TestSettingsTour(HttpCase):
    def test_settings_tour(self):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("o2c_integration.payload_retention_days", 90)
        self.env["queue.job"].sudo().search([]).unlink()
        with patch.dict(os.environ, {"O2C_ENCRYPTION_KEYS": TOUR_KEY}):
            self.start_tour("/odoo/settings", "o2c_settings_tour", login="admin")
        self.assertEqual(
            params.get_param("o2c_integration.payload_retention_days"), "45"
        )
        entry = self.env["o2c.audit.log"].search(
            [("action", "=", "settings.change")], order="id desc", limit=1
        )
        self.assertEqual(
            json.loads(entry.data),
            {"field": "o2c_payload_retention_days", "new": 45, "old": 90},
        )
        self.assertEqual(entry.user_id, self.env.ref("base.user_admin"))
