# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Shared fixtures of the order-flow tests (no test of its own)."""

import copy
import json

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

from .common import O2cTestMixin
from .fake_http import FakeHTTPServer


def make_order(external_id="shop-1001", customer_id="cust-77", **overrides):
    """A valid order document (dict); ``overrides`` replace top-level keys."""
    doc = {
        "schema_version": "1.0",
        "external_id": external_id,
        "reference": f"#{external_id}",
        "currency": "USD",
        "payment_terms": "30D",
        "customer": {
            "external_id": customer_id,
            "name": "Acme Trading",
            "email": "billing@acme.example",
            "vat": "BE0477472701",
            "is_company": True,
            "billing_address": {
                "street": "Rue Haute 1",
                "city": "Brussels",
                "zip": "1000",
                "country_code": "BE",
            },
        },
        "lines": [
            {
                "sku": "WID-BLUE",
                "quantity": "2",
                "unit_price": "19.99",
                "discount": "10",
                "taxes": ["VAT15"],
            },
            {
                "sku": "BOLT-M8",
                "quantity": "3",
                "unit_price": "5.00",
                "taxes": ["VAT15"],
            },
        ],
        "shipping": {"sku": "SHIP", "amount": "5.00", "taxes": ["VAT15"]},
        "source_updated_at": "2026-03-01T10:15:00+01:00",
    }
    doc.update(copy.deepcopy(overrides))
    return doc


class O2cOrderCase(O2cTestMixin, AccountTestInvoicingCommon):
    """A company with a chart of accounts, an order-flow connection and its mappings."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.group_ids += cls.env.ref("o2c_integration.group_o2c_admin")
        cls._o2c_setup()
        cls.env = cls.env(
            context=dict(cls.env.context, mail_notrack=True, tracking_disable=True)
        )
        cls.currency_usd = cls.env.ref("base.USD")
        cls.tax15 = cls.env["account.tax"].create(
            {
                "name": "O2C VAT 15%",
                "amount": 15.0,
                "amount_type": "percent",
                "type_tax_use": "sale",
                "company_id": cls.env.company.id,
            }
        )
        cls.connection.write(
            {
                "order_flow_enabled": True,
                "order_invoice_policy": "post",
                "tax_mapping_ids": [(0, 0, {"code": "VAT15", "tax_id": cls.tax15.id})],
                "payment_term_mapping_ids": [
                    (0, 0, {"code": "30D", "payment_term_id": cls.pay_terms_b.id})
                ],
            }
        )
        cls.widget = cls._create_product(
            name="Blue widget",
            default_code="WID-BLUE",
            lst_price=25.0,
            taxes_id=cls.tax15,
        )
        cls.bolt = cls._create_product(
            name="Bolt M8", default_code="BOLT-M8", lst_price=0.5, taxes_id=cls.tax15
        )
        cls.ship = cls._create_product(
            name="Shipping",
            default_code="SHIP",
            type="service",
            lst_price=5.0,
            taxes_id=cls.tax15,
        )

    # --- helpers

    @classmethod
    def _o2c_fake_source(cls, **connection_vals):
        """Start a local fake source system, point the connection at it; return it.

        Each test class gets its own server; each test should ``reset()`` it.
        """
        server = FakeHTTPServer().start()
        cls.addClassCleanup(server.stop)
        cls.connection.write({"base_url": server.url, **connection_vals})
        return server

    def order_event(self, doc, external_id=None, event_type="order.created"):
        """Store ``doc`` as an order event (not processed)."""
        body = doc if isinstance(doc, str) else json.dumps(doc)
        if external_id is None:
            external_id = (
                f"evt-{doc['external_id']}" if isinstance(doc, dict) else "evt-raw"
            )
        event, _created = self.store_event(event_type, external_id, body)
        return event

    def process(self, doc, external_id=None, event_type="order.created"):
        event = self.order_event(doc, external_id, event_type)
        event._job_process()
        return event

    def sale_orders(self, external_id="shop-1001"):
        return self.env["sale.order"].search(
            [
                ("o2c_connection_id", "=", self.connection.id),
                ("o2c_external_id", "=", external_id),
            ]
        )

    def bindings(self, model="sale.order", external_id="shop-1001"):
        return self.env["o2c.binding"].search(
            [
                ("connection_id", "=", self.connection.id),
                ("model", "=", model),
                ("external_id", "=", external_id),
            ]
        )
