# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""What the screens show: exceptions a person understands, connection shortcuts."""


from .test_order_common import O2cOrderCase, make_order


class TestScreens(O2cOrderCase):
    def test_failed_order_exception_is_titled_described_and_priced(self):
        doc = make_order(external_id="shop-1005", currency="usd")
        doc["customer"].pop("name")
        event = self.process(doc)
        self.assertEqual(event.state, "failed")
        exc = event.exception_ids
        self.assertEqual(
            exc.name, f"Order #shop-1005 from {self.connection.name}: validation failed"
        )
        # what happened, every violation, and what to do
        self.assertIn("customer.name", exc.description)
        self.assertIn("Error:", exc.description)
        self.assertIn("Retry Source Event", exc.description)
        # 2 x 19.99 - 10 % + 3 x 5.00 + shipping 5.00, untaxed
        self.assertAlmostEqual(exc.amount, 55.98, places=2)
        self.assertEqual(exc.currency_id, self.currency_usd)
        self.assertTrue(exc.event_retryable)

    def test_mapping_failure_title_and_unreadable_payload(self):
        doc = make_order(
            external_id="shop-2001",
            lines=[{"sku": "NOPE-1", "quantity": "1", "unit_price": "10"}],
        )
        exc = self.process(doc).exception_ids
        self.assertEqual(exc.category, "mapping")
        self.assertEqual(
            exc.name, f"Order #shop-2001 from {self.connection.name}: mapping missing"
        )
        self.assertIn("Add the mapping", exc.description)
        self.assertAlmostEqual(exc.amount, 15.0, places=2)  # 10 + shipping 5
        broken = self.process("{not json", external_id="evt-broken").exception_ids
        self.assertEqual(
            broken.name,
            f"Event order.created evt-broken from {self.connection.name}: "
            "validation failed",
        )
        self.assertEqual(broken.amount, 0.0)

    def test_details_tab_is_readable_json(self):
        doc = make_order(currency="usd")
        doc["customer"].pop("name")
        exc = self.process(doc).exception_ids
        text = exc.details_display
        self.assertTrue(text.startswith("{\n  "), text[:40])
        self.assertIn('"violations"', text)
        self.assertNotIn("[object Object]", text)

    def test_inbound_success_sets_last_success(self):
        self.assertFalse(self.connection.last_inbound_success_at)
        event = self.process(make_order())
        self.assertEqual(event.state, "done", event.last_error)
        self.connection.invalidate_recordset(["last_inbound_success_at"])
        self.assertEqual(self.connection.last_inbound_success_at, event.processed_at)

    def test_retry_applies_only_to_failed_events(self):
        done = self.process(make_order())
        exc = self.env["o2c.exception"].create(
            {"name": "about a done event", "category": "other", "event_id": done.id}
        )
        self.assertFalse(exc.event_retryable)

    def test_connection_stat_buttons_open_filtered_events(self):
        ok = self.process(make_order())
        bad_doc = make_order(external_id="shop-9")
        bad_doc["lines"][0]["quantity"] = "0"
        bad = self.process(bad_doc)
        conn = self.connection
        self.assertEqual((conn.event_count, conn.failed_event_count), (2, 1))
        action = conn.action_o2c_open_events()
        self.assertEqual(action["res_model"], "o2c.event")
        events = self.env["o2c.event"].search(action["domain"])
        self.assertEqual(events, ok | bad)
        failed = self.env["o2c.event"].search(
            conn.action_o2c_open_failed_events()["domain"]
        )
        self.assertEqual(failed, bad)

    def test_every_o2c_window_action_has_empty_state_help(self):
        data = self.env["ir.model.data"].search(
            [
                (
                    "module",
                    "in",
                    ("o2c_integration", "o2c_bank_feed", "o2c_payment_gateway"),
                ),
                ("model", "=", "ir.actions.act_window"),
            ]
        )
        actions = self.env["ir.actions.act_window"].browse(data.mapped("res_id"))
        missing = actions.filtered(
            lambda a: a.target not in ("new", "inline")
            and a.view_mode != "form"
            and "o_view_nocontent_smiling_face" not in (a.help or "")
        )
        self.assertFalse(missing, missing.mapped("name"))
