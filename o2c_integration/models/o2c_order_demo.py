# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Sample orders for the demo instance (``action_o2c_load_demo_orders``).

Five orders show the whole flow within a minute: two are confirmed and invoiced, one
takes the demo credit customer over its limit (credit hold), one has an unknown SKU
(mapping exception) and one is invalid (validation exception naming the fields).
"""

import json

from odoo import models

from .o2c_access import ADMIN_GROUP, o2c_require
from .o2c_order_connection import order_event_key


def _order(ext, customer, lines, **extra):
    doc = {
        "schema_version": "1.0",
        "external_id": ext,
        "reference": f"#{ext.split('-')[-1]}",
        "currency": extra.pop("currency", None),
        "customer": customer,
        "lines": lines,
    }
    doc.update(extra)
    return doc


def demo_orders(currency):
    ada = {
        "external_id": "demo-cust-ada",
        "name": "Ada Lovelace",
        "email": "ada@demo.example",
        "billing_address": {
            "street": "12 Analytical Row",
            "city": "London",
            "zip": "N1 7AA",
            "country_code": "GB",
        },
    }
    acme = {
        "external_id": "demo-cust-acme",
        "name": "Acme Trading",
        "is_company": True,
        "email": "billing@acme.demo.example",
    }
    credit = {
        "external_id": "demo-cust-credit",
        "name": "Demo Credit Customer",
        "email": "credit@demo.example",
        "is_company": True,
    }
    return [
        _order(
            "demo-1001",
            ada,
            [
                {
                    "sku": "DEMO-WIDGET",
                    "quantity": "2",
                    "unit_price": "25.00",
                    "taxes": ["VAT"],
                }
            ],
            currency=currency,
            shipping={"sku": "DEMO-SHIP", "amount": "4.90", "taxes": ["VAT"]},
        ),
        _order(
            "demo-1002",
            acme,
            [
                {
                    "sku": "DEMO-BOLT",
                    "quantity": "10",
                    "unit_price": "4.50",
                    "taxes": ["VAT"],
                },
                {
                    "sku": "DEMO-WIDGET",
                    "quantity": "1",
                    "unit_price": "25.00",
                    "discount": "10",
                    "taxes": ["VAT"],
                },
            ],
            currency=currency,
        ),
        _order(
            "demo-1003",
            credit,
            [
                {
                    "sku": "DEMO-WIDGET",
                    "quantity": "40",
                    "unit_price": "25.00",
                    "taxes": ["VAT"],
                }
            ],
            currency=currency,
            note="Big order: over the customer's credit limit.",
        ),
        _order(
            "demo-1004",
            ada,
            [{"sku": "DEMO-GADGET", "quantity": "1", "unit_price": "99.00"}],
            currency=currency,
        ),
        _order(
            "demo-1005",
            acme,
            [{"sku": "DEMO-WIDGET", "quantity": "0", "unit_price": "-3"}],
            currency=currency.lower(),
        ),
    ]


class O2cConnection(models.Model):
    _inherit = "o2c.connection"

    def action_o2c_load_demo_orders(self, process=False):
        """Store (and queue) the sample order events on this connection.

        Idempotent: the events are keyed by order id + content hash, a second call
        stores nothing. ``process=True`` processes them at once instead of waiting for
        the job runner (each event commits, as a job would).
        """
        self.ensure_one()
        o2c_require(self, ADMIN_GROUP, "connection.load_demo_orders")
        conn = self.sudo()
        tax = conn.company_id.account_sale_tax_id
        if tax and not conn.tax_mapping_ids.filtered(lambda m: m.code == "VAT"):
            self.env["o2c.tax.mapping"].sudo().create(
                {"connection_id": conn.id, "code": "VAT", "tax_id": tax.id}
            )
        Event = self.env["o2c.event"].sudo()
        events = Event.browse()
        for doc in demo_orders(conn.company_id.currency_id.name):
            event_type, external_id = order_event_key(doc)
            event, created = Event._store_inbound(
                conn, event_type, external_id, json.dumps(doc), enqueue=not process
            )
            if created:
                events |= event
        if process:
            for event in events:
                event._job_process()
        return events
