# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Environment isolation: a neutralized copy never talks to a real system.

A database with live-looking connections (an order source with a pull schedule, a
bank API with OAuth2, a Stripe gateway with its API key and webhook secret; pull
crons active; jobs queued) is neutralized exactly as ``odoo-bin neutralize`` and
database duplication/restore with neutralization do it
(``odoo.modules.neutralize.neutralize_database`` on the database cursor, here the
test transaction's). Then:

* every outbound path (order pull, bank pull and its OAuth2 token, Stripe list
  calls, the connection test button, the pull crons) raises a clear error and a
  local fake server on 127.0.0.1 counts zero requests;
* a correctly signed webhook is refused with 503 and nothing is stored, whether it
  uses the new (regenerated) webhook URL or the old one;
* crons are off, queued jobs cancelled, webhook keys regenerated, gateway API
  credentials wiped.
"""

import ast
import json
import re
from pathlib import Path

from lxml import etree

from odoo import Command
from odoo.modules.neutralize import neutralize_database
from odoo.tests import HttpCase, tagged
from odoo.tools import config

from odoo.addons.o2c_integration.models.o2c_connection import ConnectionNeutralized
from odoo.addons.o2c_integration.tests.common import O2cTestMixin
from odoo.addons.o2c_integration.tests.fake_http import FakeHTTPServer, FakeResponse
from odoo.addons.o2c_payment_gateway.tests.common import (
    STRIPE_API_KEY,
    STRIPE_SECRET,
    stripe_header,
    stripe_payment_intent,
)

ROOT = Path(__file__).resolve().parents[1]
ORDER_PULL_PATH = "/api/orders"
BANK_PATH = "/v2/accounts/transactions"


@tagged("post_install", "-at_install")
class TestNeutralize(O2cTestMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._o2c_setup()
        cls.server = FakeHTTPServer().start()
        cls.addClassCleanup(cls.server.stop)
        url = cls.server.url
        Connection = cls.env["o2c.connection"]
        # cls.connection (from _o2c_setup) is the order source
        cls.connection.write(
            {
                "base_url": url,
                "auth_method": "api_key",
                "api_key": "shop-live-key",
                "order_flow_enabled": True,
                "order_pull_path": ORDER_PULL_PATH,
            }
        )
        journal = cls.env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", cls.env.company.id)], limit=1
        ) or cls.env["account.journal"].create(
            {"name": "O2C Neutral Bank", "code": "ONB", "type": "bank"}
        )
        cls.bank = Connection.create(
            {
                "name": "Live Bank API",
                "connection_type": "bank_api",
                "base_url": url,
                "auth_method": "oauth2",
                "token_url": url + "/oauth/token",
                "client_id": "odoo-client",
                "client_secret": "bank-live-secret",
                "o2c_bank_journal_id": journal.id,
                "o2c_bank_mapping": {"path": BANK_PATH},
            }
        )
        cls.stripe = Connection.create(
            {
                "name": "Stripe Live",
                "connection_type": "stripe",
                "base_url": url,
                "webhook_secret_ids": [
                    Command.create({"name": "endpoint", "secret": STRIPE_SECRET})
                ],
            }
        )
        cls.stripe.api_key = STRIPE_API_KEY
        cls.connections = cls.connection | cls.bank | cls.stripe
        cls.server.add("*", ORDER_PULL_PATH, FakeResponse(200, json={"orders": []}))
        cls.server.add("*", BANK_PATH, FakeResponse(200, json={"transactions": []}))
        cls.server.add(
            "POST",
            "/oauth/token",
            FakeResponse(200, json={"access_token": "tok-live", "expires_in": 3600}),
        )
        cls.server.add("GET", "/v1/charges", FakeResponse(200, json={"data": []}))
        cls.server.add("GET", "/", FakeResponse(200, json={}))

    def setUp(self):
        super().setUp()
        previous = config["dbfilter"]
        config["dbfilter"] = f"^{re.escape(self.env.cr.dbname)}$"
        self.addCleanup(config.__setitem__, "dbfilter", previous)
        self.server.clear_requests()

    # --- helpers

    def neutralize(self):
        """What ``odoo-bin neutralize -d DB`` does, inside the test transaction."""
        self.env.flush_all()
        neutralize_database(self.env.cr)
        self.env.invalidate_all()
        self.env.registry.clear_cache()

    def outbound_calls(self):
        """Every outbound path of the three addons; returns the errors raised."""
        calls = {
            "order pull": self.connection._o2c_pull_orders,
            "bank pull": self.bank._o2c_bank_pull,
            "bank token": self.bank._o2c_oauth_token,
            "stripe list": lambda: self.stripe._pg_stripe_list("/v1/charges", {}),
            "test button": self.stripe.action_test_connection,
            "direct": lambda: self.connection._o2c_request(
                "POST", "/api/x", json_body={}
            ),
        }
        errors = {}
        for name, call in calls.items():
            with self.assertRaises(ConnectionNeutralized, msg=name) as caught:
                call()
            errors[name] = str(caught.exception)
        return errors

    def pull_crons(self):
        return (
            self.connection.order_pull_cron_id
            | self.env.ref("o2c_bank_feed.ir_cron_o2c_bank_pull")
            | self.env.ref("o2c_integration.cron_order_status_drift")
        )

    def queued_jobs(self):
        events = self.env["o2c.event"].browse()
        for n, conn in enumerate(self.connections):
            event, _created = self.env["o2c.event"]._store_inbound(
                conn, "order.created", f"neutral-{n}", json.dumps({"n": n})
            )
            events |= event
        jobs = self.env["queue.job"].search([("uuid", "in", events.mapped("job_uuid"))])
        self.assertEqual(len(jobs), 3)
        self.assertEqual(set(jobs.mapped("state")), {"pending"})
        return jobs

    def post_stripe(self, connection, body):
        headers = {
            "Stripe-Signature": stripe_header(body),
            "Content-Type": "application/json",
        }
        return self.url_open(
            f"/o2c/webhook/{connection.webhook_key}", data=body, headers=headers
        )

    def post_generic(self, key, body):
        return self.url_open(
            f"/o2c/webhook/{key}", data=body, headers=self.signed_headers(body)
        )

    # --- tests

    def test_live_setup_calls_out_before_neutralization(self):
        """The fixture is live: without neutralization every path reaches the server."""
        self.assertFalse(self.connections.filtered("is_neutralized"))
        self.connection._o2c_pull_orders()
        self.bank._o2c_bank_pull()
        self.stripe._pg_stripe_list("/v1/charges", {})
        paths = [r.path for r in self.server.requests]
        self.assertEqual(
            paths, [ORDER_PULL_PATH, "/oauth/token", BANK_PATH, "/v1/charges"]
        )
        self.assertTrue(self.pull_crons().filtered("active"))
        self.assertEqual(len(self.pull_crons()), 3)

    def test_neutralized_database_sends_nothing_and_refuses_webhooks(self):
        jobs = self.queued_jobs()
        self.assertEqual(len(self.pull_crons().filtered("active")), 3)
        old_keys = {conn: conn.webhook_key for conn in self.connections}
        body = json.dumps({"id": "evt_live", "type": "order.created"}).encode()
        stripe_body = json.dumps(stripe_payment_intent(7, 5000)).encode()
        # live: the signed webhooks are accepted (then rolled back with the test)
        self.assertEqual(
            self.post_generic(old_keys[self.connection], body).status_code, 200
        )

        self.neutralize()

        # the flag Odoo's base neutralization sets, and ours on every connection
        self.assertEqual(
            self.env["ir.config_parameter"].sudo().get_param("database.is_neutralized"),
            "true",
        )
        self.assertEqual(set(self.connections.mapped("neutralized")), {True})
        self.assertEqual(set(self.connections.mapped("is_neutralized")), {True})
        # pull crons off, queued jobs cancelled
        self.assertFalse(self.pull_crons().filtered("active"))
        self.assertEqual(set(jobs.mapped("state")), {"cancelled"})
        # webhook keys regenerated, distinct, unguessable (random in SQL)
        new_keys = self.connections.mapped("webhook_key")
        self.assertEqual(len(set(new_keys)), 3)
        for conn in self.connections:
            self.assertNotEqual(conn.webhook_key, old_keys[conn])
            self.assertRegex(conn.webhook_key, r"^[0-9a-f]{64}$")
        # live gateway API credentials wiped, cached tokens dropped
        stripe = self.stripe.sudo()
        self.assertFalse(stripe.api_key_enc)
        self.assertFalse(self.bank.sudo().access_token_enc)
        self.assertTrue(self.connection.sudo().api_key_enc)  # non-gateway kept

        # no outbound call leaves, whatever the path
        errors = self.outbound_calls()
        self.assertIn("neutralized", errors["order pull"])
        self.assertIn("Live Bank API", errors["bank pull"])
        # the pull crons (if someone re-activated them) record the refusal
        self.connection._cron_o2c_pull_orders()
        self.env["o2c.connection"]._cron_o2c_bank_pull()
        self.assertEqual(self.server.requests, [])

        # correctly signed webhooks are refused, nothing stored
        count = self.env["o2c.event"].search_count([])
        for key in (old_keys[self.connection], self.connection.webhook_key):
            response = self.post_generic(key, body)
            self.assertEqual(response.status_code, 503, response.text)
            self.assertEqual(response.json()["error"], "neutralized")
        response = self.post_stripe(self.stripe, stripe_body)
        self.assertEqual(response.status_code, 503, response.text)
        self.assertIn("neutralized", response.json()["detail"])
        self.assertEqual(self.env["o2c.event"].search_count([]), count)

    def test_connection_flag_alone_refuses(self):
        """Without the database flag (an administrator removed it), the connection's
        own test mode still refuses; clearing it lets the connection work again."""
        self.neutralize()
        self.env["ir.config_parameter"].sudo().search(
            [("key", "=", "database.is_neutralized")]
        ).unlink()
        self.env.invalidate_all()
        self.assertTrue(self.connection.is_neutralized)
        with self.assertRaises(ConnectionNeutralized):
            self.connection._o2c_pull_orders()
        response = self.post_generic(
            self.connection.webhook_key, json.dumps({"id": "e1", "type": "x"}).encode()
        )
        self.assertEqual(response.status_code, 503, response.text)
        self.assertIn("connection is neutralized", response.json()["detail"])
        self.assertEqual(self.server.requests, [])
        # an administrator points it at a sandbox and clears the test mode
        self.connection.neutralized = False
        self.assertFalse(self.connection.is_neutralized)
        self.connection._o2c_pull_orders()
        self.assertEqual(len(self.server.requests), 1)
        response = self.post_generic(
            self.connection.webhook_key, json.dumps({"id": "e1", "type": "x"}).encode()
        )
        self.assertEqual(response.status_code, 200, response.text)

    def test_database_flag_alone_refuses(self):
        """``database.is_neutralized`` alone (connections not flagged) refuses too."""
        self.env["ir.config_parameter"].sudo().set_param(
            "database.is_neutralized", "true"
        )
        self.assertFalse(self.connection.neutralized)
        self.assertTrue(self.connection.is_neutralized)
        with self.assertRaises(ConnectionNeutralized):
            self.bank._o2c_oauth_token()
        response = self.post_generic(
            self.connection.webhook_key, json.dumps({"id": "e2", "type": "x"}).encode()
        )
        self.assertEqual(response.status_code, 503, response.text)
        self.assertEqual(self.server.requests, [])

    def test_form_shows_banner_only_when_neutralized(self):
        """Tour-free: the form arch carries the banner bound to ``is_neutralized``."""
        views = self.env["o2c.connection"].get_views([(False, "form")])
        form = views["views"]["form"]
        arch = etree.fromstring(form["arch"])
        banners = arch.xpath("//div[@role='alert'][contains(@class, 'alert-warning')]")
        self.assertEqual(len(banners), 1, form["arch"])
        self.assertEqual(banners[0].get("invisible"), "not is_neutralized")
        self.assertIn("Neutralized", "".join(banners[0].itertext()))
        self.assertIn("is_neutralized", views["models"]["o2c.connection"]["fields"])
        # the banner sits above the sheet, visible on every tab
        self.assertEqual(banners[0].getparent().tag, "form")
        self.assertFalse(self.connection.is_neutralized)
        self.neutralize()
        self.assertTrue(self.connection.is_neutralized)


# Modules that can open a network connection, and the only file allowed to use them.
NETWORK_MODULES = {"requests", "urllib3", "httpx", "aiohttp", "http.client", "socket"}
HTTP_CLIENT = "o2c_integration/lib/http_client.py"
# what other modules may use of ``requests``: exception and response types only
REQUESTS_TYPES = {"RequestException", "exceptions", "Response", "Timeout"}


def test_no_network_call_outside_the_outbound_client():
    """Every outbound call goes through ``lib/http_client.py`` (built only by
    ``o2c.connection._o2c_client``), so the neutralization check there covers all."""
    offenders = []
    for path in sorted(ROOT.glob("o2c_*/**/*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if "/tests/" in rel or rel == HTTP_CLIENT:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), rel)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
                if node.module == "urllib":
                    modules += [
                        f"urllib.{alias.name}"
                        for alias in node.names
                        if alias.name == "request"
                    ]
            elif (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "requests"
                and node.attr not in REQUESTS_TYPES
            ):
                offenders.append(f"{rel}:{node.lineno}: requests.{node.attr}")
                continue
            else:
                continue
            for module in modules:
                if module == "requests":
                    continue  # attribute uses are checked above
                if module in NETWORK_MODULES or module == "urllib.request":
                    offenders.append(f"{rel}:{node.lineno}: import {module}")
    assert not offenders, "network access outside the outbound client:\n" + "\n".join(
        offenders
    )
