# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Orders pulled page by page, bare orders pushed to the webhook, the pull schedule."""

import json

from odoo.addons.queue_job.tests.common import trap_jobs

from .common import run_jobs
from .fake_http import FakeResponse
from .test_order_common import O2cOrderCase, make_order

PULL_PATH = "/api/orders"


class TestOrderPull(O2cOrderCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shop = cls._o2c_fake_source(
            order_pull_path=PULL_PATH, order_pull_page_size=2
        )

    def setUp(self):
        super().setUp()
        self.shop.reset()
        self.orders = [
            make_order(f"pull-{i}", customer_id=f"cust-{i}") for i in range(3)
        ]
        for i, doc in enumerate(self.orders):
            doc["customer"].update(vat=f"BE04774727{i:02d}", email=f"c{i}@x.example")

    def serve_pages(self):
        pages = {
            None: {"orders": self.orders[:2], "next_cursor": "p2", "has_more": True},
            "p2": {"orders": self.orders[2:], "next_cursor": "p3", "has_more": False},
            "p3": {"orders": [], "next_cursor": None, "has_more": False},
        }
        self.shop.add(
            "GET",
            PULL_PATH,
            lambda request: FakeResponse(200, json=pages[request.query.get("cursor")]),
        )

    def pulled_orders(self):
        return self.env["sale.order"].search([("o2c_external_id", "=like", "pull-%")])

    def test_two_pages_then_repull_creates_nothing_and_a_change_is_applied(self):
        self.serve_pages()
        with trap_jobs() as trap:
            self.assertEqual(self.connection._o2c_pull_orders(), 3)
            trap.assert_jobs_count(3)
            run_jobs(trap)
        self.assertEqual(len(self.pulled_orders()), 3)
        self.assertEqual(set(self.pulled_orders().mapped("state")), {"sale"})
        self.assertEqual(self.connection.order_pull_cursor, "p3")
        gets = self.shop.requests_for("GET", PULL_PATH)
        self.assertEqual([r.query.get("cursor") for r in gets], [None, "p2"])
        self.assertEqual({r.query["limit"] for r in gets}, {"2"})
        # the same pages pulled again from the start: nothing new, nothing queued
        self.connection.order_pull_cursor = False
        with trap_jobs() as trap:
            self.assertEqual(self.connection._o2c_pull_orders(), 0)
            trap.assert_jobs_count(0)
        # from the bookmark: an empty page
        self.assertEqual(self.connection._o2c_pull_orders(), 0)
        gets = self.shop.requests_for("GET", PULL_PATH)
        self.assertEqual(gets[-1].query.get("cursor"), "p3")
        # a changed order (new note) is a new event, applied as an update
        self.orders[0].update(
            note="Deliver to the back door", source_updated_at="2026-03-02T09:00:00Z"
        )
        self.connection.order_pull_cursor = False
        with trap_jobs() as trap:
            self.assertEqual(self.connection._o2c_pull_orders(), 1)
            run_jobs(trap)
        self.assertEqual(len(self.pulled_orders()), 3)
        sale = self.sale_orders("pull-0")
        self.assertIn("back door", str(sale.note))
        self.assertEqual(len(sale.invoice_ids), 1)

    def test_pull_failure_opens_exception_and_success_closes_it(self):
        self.shop.add("GET", PULL_PATH, FakeResponse(404, json={"error": "nope"}))
        self.assertEqual(self.connection._cron_o2c_pull_orders(), 0)
        key = f"o2c.order.pull:{self.connection.id}"
        exc = self.env["o2c.exception"].search([("dedup_key", "=", key)])
        self.assertEqual(exc.category, "connection_down")
        self.assertEqual(exc.state, "new")
        self.serve_pages()
        with trap_jobs():
            self.assertEqual(self.connection._cron_o2c_pull_orders(), 3)
        self.assertEqual(exc.state, "resolved")

    def test_failure_mid_way_resumes_from_the_last_page_stored(self):
        pages = {
            None: {"orders": self.orders[:2], "next_cursor": "p2", "has_more": True},
            "p2": {"orders": self.orders[2:], "next_cursor": "p3", "has_more": False},
        }
        down = {"p2": True}

        def answer(request):
            cursor = request.query.get("cursor")
            if down.get(cursor):
                return FakeResponse(503, json={"error": "maintenance"})
            return FakeResponse(200, json=pages[cursor])

        self.shop.add("GET", PULL_PATH, answer)
        with trap_jobs() as trap:
            # the first page is stored and bookmarked, the second fails
            self.assertEqual(self.connection._cron_o2c_pull_orders(), 0)
            trap.assert_jobs_count(2)
            run_jobs(trap)
        self.assertEqual(self.connection.order_pull_cursor, "p2")
        self.assertEqual(len(self.pulled_orders()), 2)
        key = f"o2c.order.pull:{self.connection.id}"
        exc = self.env["o2c.exception"].search([("dedup_key", "=", key)])
        self.assertEqual(exc.category, "connection_down")
        # the source is back: the next run starts at the bookmark, not at the start
        down.clear()
        self.shop.reset()
        self.shop.add("GET", PULL_PATH, answer)
        with trap_jobs() as trap:
            self.assertEqual(self.connection._cron_o2c_pull_orders(), 1)
            run_jobs(trap)
        gets = self.shop.requests_for("GET", PULL_PATH)
        self.assertEqual([r.query.get("cursor") for r in gets], ["p2"])
        self.assertEqual(len(self.pulled_orders()), 3)
        self.assertEqual(self.connection.order_pull_cursor, "p3")
        self.assertEqual(exc.state, "resolved")

    def test_pull_schedule_follows_the_settings(self):
        cron = self.connection.order_pull_cron_id
        self.assertTrue(cron.active)
        self.assertIn(
            f"browse({self.connection.id})._cron_o2c_pull_orders()", cron.code
        )
        self.connection.order_pull_interval = 5
        self.assertEqual(cron.interval_number, 5)
        self.connection.order_flow_enabled = False
        self.assertFalse(cron.active)

    def test_bare_order_webhook_keys(self):
        doc = make_order("hook-1")
        body = json.dumps(doc).encode()
        [item] = self.connection._o2c_parse_webhook(body, {})
        self.assertEqual(item["event_type"], "order.created")
        self.assertTrue(item["external_id"].startswith("order:hook-1:"))
        # same content, other spelling: same key (a duplicate); other content: new key
        respelled = json.dumps(dict(reversed(list(doc.items()))), indent=2)
        respelled = respelled.replace('"5.00"', "5.0")
        [again] = self.connection._o2c_parse_webhook(respelled.encode(), {})
        self.assertEqual(again["external_id"], item["external_id"])
        changed = json.dumps(dict(doc, note="x")).encode()
        [other] = self.connection._o2c_parse_webhook(changed, {})
        self.assertNotEqual(other["external_id"], item["external_id"])
        # the sender's own event id and type win
        [own] = self.connection._o2c_parse_webhook(
            body, {"X-O2C-Event-Id": "evt_42", "X-O2C-Event-Type": "order.updated"}
        )
        self.assertEqual(
            (own["event_type"], own["external_id"]), ("order.updated", "evt_42")
        )
        # an envelope goes through the generic parser and the handler unwraps it
        envelope = json.dumps(
            {"type": "order.created", "id": "evt_env", "data": make_order("hook-env")}
        ).encode()
        [env_item] = self.connection._o2c_parse_webhook(envelope, {})
        self.assertEqual(env_item["external_id"], "evt_env")
        event = self.order_event(env_item["payload"], external_id="evt_env")
        event._job_process()
        self.assertEqual(event.state, "done", event.last_error)
        self.assertEqual(self.sale_orders("hook-env").state, "sale")
