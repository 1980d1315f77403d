# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Shared fixtures of the Odoo-side gateway tests (not a test module).

Payloads are shaped like the real Stripe events / Adyen notifications (same keys,
minor units, expandable fields); signatures are computed here with the standard
library exactly as the gateways document them (``lib_fixtures``), independently
of ``lib``.
"""

import json
import time
from unittest import SkipTest

from odoo import Command, fields

from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.addons.o2c_integration.tests.common import O2cTestMixin
from odoo.addons.o2c_integration.tests.fake_http import FakeHTTPServer, FakeResponse

from . import lib_fixtures

STRIPE_SECRET = "whsec_o2c_test_5f0c2a9e1b7d4c3a8e6f"
STRIPE_NEW_SECRET = "whsec_o2c_test_rotated_0a1b2c3d4e5f"
STRIPE_API_KEY = "rk_test_o2c_51Hx0000000000000000"
ADYEN_HMAC_KEY = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056"
ADYEN_OTHER_KEY = "0F1E2D3C4B5A69788796A5B4C3D2E1F00F1E2D3C4B5A69788796A5B4C3D2E1F0"
T0 = 1718625600  # 2024-06-17 12:00 UTC


# --- Stripe ------------------------------------------------------------------


def stripe_header(body, secret=STRIPE_SECRET, timestamp=None, extra=()):
    """``Stripe-Signature`` as Stripe sends it: t=..,v1=hex(HMAC-SHA256(t.body))."""
    ts = int(time.time()) if timestamp is None else timestamp
    return lib_fixtures.stripe_header(body, ts, secret, *extra)


def stripe_event(event_type, obj, event_id, created=T0, previous=None):
    data = {"object": obj}
    if previous is not None:
        data["previous_attributes"] = previous
    return {
        "id": event_id,
        "object": "event",
        "api_version": "2024-06-20",
        "created": created,
        "data": data,
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }


def stripe_payment_intent(
    n,
    amount,
    currency="usd",
    invoice_ref=None,
    order_ref=None,
    event_type="payment_intent.succeeded",
):
    """``payment_intent.succeeded`` of charge ``ch_test_<n>`` (amount: minor units)."""
    metadata = {
        k: v for k, v in (("invoice_ref", invoice_ref), ("order_ref", order_ref)) if v
    }
    pi = {
        "id": f"pi_test_{n}",
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_received": amount,
        "capture_method": "automatic_async",
        "client_secret": f"pi_test_{n}_secret_x",
        "created": T0,
        "currency": currency,
        "customer": f"cus_test_{n}",
        "description": invoice_ref,
        "latest_charge": f"ch_test_{n}",
        "livemode": False,
        "metadata": metadata,
        "payment_method": f"pm_test_{n}",
        "payment_method_types": ["card"],
        "status": "succeeded",
    }
    return stripe_event(event_type, pi, f"evt_pi_{n}")


def stripe_charge_succeeded(n, amount, currency="usd", invoice_ref=None):
    charge = {
        "id": f"ch_test_{n}",
        "object": "charge",
        "amount": amount,
        "amount_captured": amount,
        "amount_refunded": 0,
        "balance_transaction": f"txn_ch_{n}",
        "captured": True,
        "created": T0,
        "currency": currency,
        "customer": f"cus_test_{n}",
        "livemode": False,
        "metadata": {"invoice_ref": invoice_ref} if invoice_ref else {},
        "paid": True,
        "payment_intent": f"pi_test_{n}",
        "refunded": False,
        "status": "succeeded",
    }
    return stripe_event("charge.succeeded", charge, f"evt_ch_{n}")


def stripe_refund(
    n,
    refund_id,
    amount,
    currency="usd",
    status="succeeded",
    event_type="refund.created",
):
    refund = {
        "id": refund_id,
        "object": "refund",
        "amount": amount,
        "balance_transaction": f"txn_{refund_id}",
        "charge": f"ch_test_{n}",
        "created": T0 + 3600,
        "currency": currency,
        "metadata": {},
        "payment_intent": f"pi_test_{n}",
        "reason": "requested_by_customer",
        "status": status,
    }
    return stripe_event(
        event_type, refund, f"evt_{refund_id}_{status}", created=T0 + 3600
    )


def stripe_dispute(
    n,
    dispute_id,
    amount,
    currency="usd",
    status="needs_response",
    event_type="charge.dispute.created",
    due_by=T0 + 14 * 86400,
):
    dispute = {
        "id": dispute_id,
        "object": "dispute",
        "amount": amount,
        "balance_transactions": [
            {
                "id": f"txn_{dispute_id}",
                "object": "balance_transaction",
                "amount": -amount,
                "created": T0 + 7200,
                "currency": currency,
                "description": f"Chargeback withdrawal for ch_test_{n}",
                "fee": 1500,
                "net": -amount - 1500,
                "reporting_category": "dispute",
                "source": dispute_id,
                "status": "pending",
                "type": "adjustment",
            }
        ]
        if event_type == "charge.dispute.created" and not status.startswith("warning")
        else [],
        "charge": f"ch_test_{n}",
        "created": T0 + 7200,
        "currency": currency,
        "evidence_details": {
            "due_by": due_by,
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
        },
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": {},
        "payment_intent": f"pi_test_{n}",
        "reason": "fraudulent",
        "status": status,
    }
    return stripe_event(
        event_type, dispute, f"evt_{dispute_id}_{status}", created=T0 + 7200
    )


def stripe_payout(payout_id, amount, currency="usd", created=T0 + 86400):
    payout = {
        "id": payout_id,
        "object": "payout",
        "amount": amount,
        "arrival_date": created + 2 * 86400,
        "automatic": True,
        "balance_transaction": f"txn_{payout_id}",
        "created": created,
        "currency": currency,
        "description": "STRIPE PAYOUT",
        "destination": "ba_test_1",
        "livemode": False,
        "metadata": {},
        "method": "standard",
        "reconciliation_status": "completed",
        "source_type": "card",
        "status": "paid",
        "type": "bank_account",
    }
    return stripe_event("payout.paid", payout, f"evt_{payout_id}", created=created)


def balance_txn(
    txn_id, txn_type, category, amount, fee, source, currency="usd", description=""
):
    return {
        "id": txn_id,
        "object": "balance_transaction",
        "amount": amount,
        "available_on": T0 + 2 * 86400,
        "created": T0,
        "currency": currency,
        "description": description,
        "exchange_rate": None,
        "fee": fee,
        "fee_details": [
            {
                "amount": fee,
                "currency": currency,
                "type": "stripe_fee",
                "description": "Stripe processing fees",
            }
        ]
        if fee
        else [],
        "net": amount - fee,
        "reporting_category": category,
        "source": source,
        "status": "available",
        "type": txn_type,
    }


def stripe_busy_payout(payout_id, first=100, charges=50, refunds=3):
    """A payout's balance transactions, shaped like ``GET /v1/balance_transactions``.

    ``charges`` charges ``ch_test_<first + i>`` with Stripe's fee, partial refunds
    ``re_test_<first + i>`` of the first ``refunds`` charges, a Radar fee and the
    payout itself. Returns a dict: ``amounts``, ``fees``, ``refunded`` (minor units),
    ``net`` (the payout amount) and ``txns`` (the list, newest last).
    """
    amounts = [1000 + i * 137 for i in range(charges)]
    fees = [round(amount * 0.014) + 25 for amount in amounts]
    refunded = [500 + i * 100 for i in range(refunds)]
    txns = [
        balance_txn(
            f"txn_ch_{first + i}",
            "charge",
            "charge",
            amount,
            fee,
            {
                "id": f"ch_test_{first + i}",
                "object": "charge",
                "amount": amount,
                "currency": "usd",
                "metadata": {},
                "payment_intent": f"pi_test_{first + i}",
            },
        )
        for i, (amount, fee) in enumerate(zip(amounts, fees, strict=True))
    ]
    txns += [
        balance_txn(
            f"txn_re_{first + i}",
            "refund",
            "refund",
            -amount,
            0,
            {
                "id": f"re_test_{first + i}",
                "object": "refund",
                "amount": amount,
                "charge": f"ch_test_{first + i}",
                "currency": "usd",
                "status": "succeeded",
            },
        )
        for i, amount in enumerate(refunded)
    ]
    txns.append(
        balance_txn(
            "txn_radar_1",
            "stripe_fee",
            "fee",
            -200,
            0,
            None,
            description="Radar (2024-06)",
        )
    )
    net = sum(amounts) - sum(fees) - sum(refunded) - 200
    txns.append(
        balance_txn(
            f"txn_{payout_id}",
            "payout",
            "payout",
            -net,
            0,
            payout_id,
            description="STRIPE PAYOUT",
        )
    )
    return {
        "amounts": amounts,
        "fees": fees,
        "refunded": refunded,
        "net": net,
        "txns": txns,
    }


def serve_balance_transactions(server, txns, payout_id, page_size=30):
    """Serve ``txns`` on a FakeHTTPServer as Stripe's cursor-paginated list."""
    pages = [txns[i : i + page_size] for i in range(0, len(txns), page_size)]
    cursors = {None: 0}
    cursors.update({page[-1]["id"]: index + 1 for index, page in enumerate(pages)})

    def handler(request):
        if request.query.get("payout") != payout_id:
            return FakeResponse(400, json={"error": {"message": "bad payout"}})
        index = cursors.get(request.query.get("starting_after"))
        if index is None or index >= len(pages):
            return FakeResponse(400, json={"error": {"message": "bad cursor"}})
        return FakeResponse(
            json={
                "object": "list",
                "url": "/v1/balance_transactions",
                "has_more": index + 1 < len(pages),
                "data": pages[index],
            }
        )

    server.add("GET", "/v1/balance_transactions", handler)
    return pages


# --- Adyen -------------------------------------------------------------------


def adyen_sign(item, hex_key=ADYEN_HMAC_KEY):
    """Base64 HMAC-SHA256 (hex-decoded key) of Adyen's colon-joined item fields."""
    return lib_fixtures.adyen_sign(hex_key, item)


def adyen_item(
    event_code,
    psp,
    value,
    currency="USD",
    original=None,
    merchant_ref="",
    success="true",
    additional=None,
    hex_key=ADYEN_HMAC_KEY,
    event_date="2024-06-17T14:02:11+02:00",
):
    return lib_fixtures.adyen_item(
        event_code,
        psp,
        value,
        currency=currency,
        success=success,
        original=original,
        merchant_ref=merchant_ref,
        event_date=event_date,
        additional=additional,
        key=hex_key,
    )


def adyen_body(*items):
    return json.dumps({"live": "false", "notificationItems": list(items)}).encode()


# --- Odoo fixtures -------------------------------------------------------------


class GatewayTestMixin(O2cTestMixin):
    """Stripe and Adyen connections with their accounting (call from setUpClass)."""

    @classmethod
    def _pg_setup(cls):
        cls._o2c_setup()
        Connection = cls.env["o2c.connection"]
        cls.stripe = Connection.create(
            {
                "name": "Stripe EU",
                "connection_type": "stripe",
                "retry_max_attempts": 3,
                "retry_backoff_base": 10,
                "retry_backoff_cap": 100,
                "webhook_secret_ids": [
                    Command.create({"name": "endpoint", "secret": STRIPE_SECRET})
                ],
            }
        )
        cls.stripe.api_key = STRIPE_API_KEY
        cls.adyen = Connection.create(
            {
                "name": "Adyen EU",
                "connection_type": "adyen",
                "retry_max_attempts": 3,
                "retry_backoff_base": 10,
                "webhook_secret_ids": [
                    Command.create({"name": "hmac", "secret": ADYEN_HMAC_KEY})
                ],
            }
        )


class GatewayCommon(GatewayTestMixin, AccountTestInvoicingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if cls.env.company.currency_id.name != "USD":
            raise SkipTest("the gateway fixtures are in USD, the company currency")
        # the accounting test user also administers the O2C connections
        cls.env.user.sudo().group_ids = [
            Command.link(cls.env.ref("o2c_integration.group_o2c_admin").id)
        ]
        cls._pg_setup()
        (cls.stripe | cls.adyen).action_pg_setup_accounting()
        cls.no_tax = cls.env["account.tax"]
        cls.invoice_seq = 0

    @classmethod
    def make_invoice(cls, amount, partner=None, currency=None, taxes=None):
        """A posted customer invoice of ``amount`` (untaxed unless ``taxes``)."""
        return cls._create_invoice(
            post=True,
            partner_id=(partner or cls.partner_a).id,
            currency_id=(currency or cls.env.company.currency_id).id,
            invoice_line_ids=[
                cls._prepare_invoice_line(
                    price_unit=amount,
                    name="Goods",
                    tax_ids=taxes if taxes is not None else cls.no_tax,
                )
            ],
        )

    @classmethod
    def _pg_start_fake_stripe_api(cls):
        """Point the Stripe connection at a local fake API (class fixture)."""
        cls.server = FakeHTTPServer().start()
        cls.addClassCleanup(cls.server.stop)
        cls.stripe.write(
            {
                "base_url": cls.server.url,
                "breaker_threshold": 20,
                "read_timeout": 0.3,
                "connect_timeout": 1.0,
            }
        )

    @classmethod
    def make_invoices(cls, amounts, partner=None):
        """Posted untaxed customer invoices, one per amount, created in one batch."""
        invoices = cls.env["account.move"].create(
            [
                {
                    "move_type": "out_invoice",
                    "partner_id": (partner or cls.partner_a).id,
                    "invoice_date": fields.Date.today(),
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": "Goods",
                                "price_unit": amount,
                                "tax_ids": [Command.set([])],
                            }
                        )
                    ],
                }
                for amount in amounts
            ]
        )
        invoices.action_post()
        return invoices

    def book_stripe_charges(self, first, amounts_minor):
        """One invoice per amount, paid by ``payment_intent.succeeded`` n=first..."""
        invoices = self.make_invoices([amount / 100 for amount in amounts_minor])
        for offset, (invoice, amount) in enumerate(
            zip(invoices, amounts_minor, strict=True)
        ):
            event = self.process(
                self.stripe,
                stripe_payment_intent(first + offset, amount, invoice_ref=invoice.name),
            )
            self.assertEqual(event.state, "done", event.last_error)
        return invoices

    def book_stripe_refund(self, n, amount):
        """``refund.created`` ``re_test_<n>`` of charge ``ch_test_<n>``, processed."""
        event = self.process(self.stripe, stripe_refund(n, f"re_test_{n}", amount))
        self.assertEqual(event.state, "done", event.last_error)
        return event

    def deliver(self, connection, body):
        """Store a delivery like the webhook controller (after authentication)."""
        body = body if isinstance(body, bytes) else json.dumps(body).encode()
        events = self.env["o2c.event"]
        for item in connection._o2c_parse_webhook(body, {}):
            event, _created = self.env["o2c.event"]._store_inbound(
                connection,
                item["event_type"],
                item["external_id"],
                item["payload"],
                enqueue=False,
            )
            events |= event
        return events

    def process(self, connection, body):
        """Deliver and process every event of a delivery; return the events."""
        events = self.deliver(connection, body)
        for event in events:
            if event.state in ("received", "queued"):
                event._job_process()
        return events

    def payments_of(self, invoice):
        return invoice.matched_payment_ids

    def gateway_tx(self, connection, kind, object_ref):
        return self.env["o2c.gateway.transaction"].search(
            [
                ("connection_id", "=", connection.id),
                ("kind", "=", kind),
                ("object_ref", "=", object_ref),
            ]
        )

    def account_balance(self, account):
        self.env.flush_all()
        lines = self.env["account.move.line"].search(
            [
                ("account_id", "=", account.id),
                ("parent_state", "=", "posted"),
            ]
        )
        return sum(lines.mapped("balance"))
