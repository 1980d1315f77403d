# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import json

from odoo.tests import HttpCase, new_test_user, tagged

from ..lib.exceptions import PermanentError
from .common import O2cTestMixin


@tagged("post_install", "-at_install")
class TestEventCorrectionTour(O2cTestMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._o2c_setup()
        cls.admin = new_test_user(
            cls.env,
            "o2c_tour_admin",
            groups="base.group_user,o2c_integration.group_o2c_admin",
        )

    def test_edit_and_retry_from_the_event_form(self):
        event, _c = self.store_event(
            "payment", "evt-tour-1", {"invoice": "INV/2026/0001", "amount": 10.00}
        )

        def refuse(event):
            raise PermanentError("no open invoice INV/2026/0001")

        with self.o2c_handlers({("generic", "payment"): refuse}):
            event._job_process()
        self.assertEqual(event.state, "failed")
        self.start_tour(
            f"/odoo/action-o2c_integration.o2c_event_action/{event.id}",
            "o2c_event_correction",
            login="o2c_tour_admin",
        )
        event.invalidate_recordset()
        self.assertEqual(event.state, "superseded")
        correction = event.correction_ids
        self.assertEqual(len(correction), 1)
        self.assertEqual(
            json.loads(correction.sudo().payload),
            {"invoice": "INV/2026/0002", "amount": 10.0},
        )
        self.assertIn("paid invoice INV/2026/0002", event.ignore_reason)
