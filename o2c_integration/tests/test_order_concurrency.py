# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Two workers process order events at the same time, on real committed cursors.

Each thread has its own cursor, as two queue_job workers would, so these tests commit:
they create their own uniquely named connection, product and customers, and delete the
business records afterwards. The events and their audit entries stay: the audit log is
append-only by design (the connection is archived).
"""

import json
import threading
import uuid

import psycopg2

from odoo import SUPERUSER_ID, api
from odoo.tests import TransactionCase

from .common import O2cTestMixin


class TestOrderConcurrency(O2cTestMixin, TransactionCase):
    def _env(self, cr):
        return api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})

    def _doc(self, env, tag, order_id, customer_id):
        return {
            "schema_version": "1.0",
            "external_id": order_id,
            "currency": env.company.currency_id.name,
            "customer": {"external_id": customer_id, "name": f"Conc {tag}"},
            "lines": [{"sku": f"CONC-{tag}", "quantity": "2", "unit_price": "7.50"}],
        }

    def _setup_committed(self, tag, order_ids, credit_limit=None, policy="delivery"):
        """Connection, product, optionally a bound customer with a limit; 1 event/id."""
        with self.registry.cursor() as cr:
            env = self._env(cr)
            conn = env["o2c.connection"].create(
                {
                    "name": f"Concurrency test {tag}",
                    "order_flow_enabled": True,
                    "order_invoice_policy": policy,
                    "order_credit_check": credit_limit is not None,
                    "retry_max_attempts": 5,
                }
            )
            env["product.product"].create(
                {"name": f"Concurrency {tag}", "default_code": f"CONC-{tag}"}
            )
            customer_id = f"conc-cust-{tag}"
            if credit_limit is not None:
                partner = env["res.partner"].create(
                    {"name": f"Conc {tag}", "credit_limit": credit_limit}
                )
                env["o2c.binding"].create(
                    {
                        "connection_id": conn.id,
                        "model": "res.partner",
                        "external_id": customer_id,
                        "res_id": partner.id,
                    }
                )
            event_ids = [
                env["o2c.event"]
                ._store_inbound(
                    conn,
                    "order.created",
                    f"conc-evt-{tag}-{i}",
                    json.dumps(self._doc(env, tag, order_id, customer_id)),
                    enqueue=False,
                )[0]
                .id
                for i, order_id in enumerate(order_ids)
            ]
            cr.commit()
        self.addCleanup(self._cleanup, conn.id, tag)
        return conn.id, event_ids

    def _cleanup(self, conn_id, tag):
        with self.registry.cursor() as cr:
            env = self._env(cr)
            # posted invoices cannot be deleted: they stay, cancelled
            invoices = env["account.move"].search([("o2c_connection_id", "=", conn_id)])
            invoices.filtered(lambda m: m.state == "posted").button_draft()
            invoices.button_cancel()
            orders = env["sale.order"].search([("o2c_connection_id", "=", conn_id)])
            orders._action_cancel()
            orders.unlink()
            env["o2c.exception"].search([("connection_id", "=", conn_id)]).write(
                {"state": "ignored"}
            )
            env["o2c.binding"].search([("connection_id", "=", conn_id)]).unlink()
            partners = env["res.partner"].search([("name", "=", f"Conc {tag}")])
            # the customer of a (cancelled) invoice stays, archived
            invoiced = env["account.move"].search([("partner_id", "in", partners.ids)])
            (partners - invoiced.partner_id).unlink()
            invoiced.partner_id.active = False
            products = env["product.product"].search(
                [("default_code", "=", f"CONC-{tag}")]
            )
            (products - invoices.invoice_line_ids.product_id).unlink()
            (products & invoices.invoice_line_ids.product_id).active = False
            env["queue.job"].search([("func_string", "like", "o2c.event(")]).filtered(
                lambda job: job.records.connection_id.id == conn_id
            ).unlink()
            env["queue.job"].search(
                [
                    (
                        "func_string",
                        "like",
                        f"_o2c_invoice_pending(o2c.connection({conn_id},)",
                    )
                ]
            ).unlink()
            env["o2c.connection"].browse(conn_id).active = False
            cr.commit()

    def _race(self, event_ids):
        """Process the events in parallel threads, then run whatever was retried."""
        barrier = threading.Barrier(len(event_ids), timeout=30)
        outcomes, errors = {}, []

        def worker(event_id):
            try:
                with self.registry.cursor() as cr:
                    event = self._env(cr)["o2c.event"].browse(event_id)
                    # start the transaction (take the snapshot) before the race
                    event.fetch(["state"])
                    barrier.wait()
                    outcomes[event_id] = event._job_process()
                    cr.commit()
            except Exception as exc:
                errors.append(exc)

        threads = [threading.Thread(target=worker, args=(eid,)) for eid in event_ids]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        self.assertFalse(errors, errors)
        self.assertIn("done", outcomes.values())
        # the loser (if it lost the race) was scheduled for a retry: run it now
        with self.registry.cursor() as cr:
            events = self._env(cr)["o2c.event"].browse(event_ids)
            for event in events.filtered(lambda e: e.state == "queued"):
                event._job_process()
            cr.commit()
            return events.mapped("state")

    def test_concurrent_deliveries_create_one_order(self):
        # the same order delivered five times under five event ids, five workers
        tag = uuid.uuid4().hex[:10]
        conn_id, event_ids = self._setup_committed(
            tag, [f"conc-{tag}"] * 5, policy="post"
        )
        self.assertEqual(self._race(event_ids), ["done"] * 5)
        with self.registry.cursor() as cr:
            env = self._env(cr)
            orders = env["sale.order"].search([("o2c_connection_id", "=", conn_id)])
            self.assertEqual(len(orders), 1)
            self.assertEqual(orders.state, "sale")
            self.assertEqual(orders.amount_untaxed, 15.0)
            invoices = env["account.move"].search([("o2c_connection_id", "=", conn_id)])
            self.assertEqual(len(invoices), 1)
            self.assertEqual(invoices.state, "posted")
            self.assertEqual(invoices.amount_untaxed, 15.0)
            self.assertEqual(
                env["res.partner"].search_count([("name", "=", f"Conc {tag}")]), 1
            )
            self.assertEqual(
                env["o2c.binding"].search_count([("connection_id", "=", conn_id)]), 2
            )  # the order and its customer

    def test_concurrent_orders_cannot_both_pass_the_credit_limit(self):
        # each order (15.00) fits the limit (20.00) alone, not both together
        tag = uuid.uuid4().hex[:10]
        conn_id, event_ids = self._setup_committed(
            tag, [f"conc-{tag}-a", f"conc-{tag}-b"], credit_limit=20.0
        )
        self.assertEqual(self._race(event_ids), ["done", "done"])
        with self.registry.cursor() as cr:
            orders = self._env(cr)["sale.order"].search(
                [("o2c_connection_id", "=", conn_id)]
            )
            self.assertEqual(len(orders), 2)
            self.assertEqual(sorted(orders.mapped("state")), ["draft", "sale"])
            self.assertEqual(orders.filtered("o2c_credit_hold").state, "draft")

    def test_parallel_invoicing_jobs_invoice_each_order_once(self):
        # batch policy: two invoicing jobs run at the same time on four orders
        tag = uuid.uuid4().hex[:10]
        names = [f"conc-{tag}-{i}" for i in range(4)]
        conn_id, event_ids = self._setup_committed(tag, names, policy="batch")
        with self.registry.cursor() as cr:
            for event in self._env(cr)["o2c.event"].browse(event_ids):
                self.assertEqual(event._job_process(), "done", event.last_error)
            cr.commit()
        barrier = threading.Barrier(2, timeout=30)
        counts, errors = [], []

        def invoicing_job():
            try:
                with self.registry.cursor() as cr:
                    env = self._env(cr)
                    conn = env["o2c.connection"].browse(conn_id)
                    conn.fetch(["name"])  # take the snapshot before the race
                    barrier.wait()
                    counts.append(
                        len(env["o2c.order.sync"]._o2c_invoice_pending(conn, 2))
                    )
                    cr.commit()
            except psycopg2.errors.SerializationFailure as exc:
                errors.append(exc)  # queue_job retries the job: done below

        threads = [threading.Thread(target=invoicing_job) for _i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        with self.registry.cursor() as cr:
            env = self._env(cr)
            conn = env["o2c.connection"].browse(conn_id)
            for _retry in range(len(errors) + 2):
                counts.append(len(env["o2c.order.sync"]._o2c_invoice_pending(conn, 2)))
            cr.commit()
            self.assertEqual(sum(counts), 4)
            orders = env["sale.order"].search([("o2c_connection_id", "=", conn_id)])
            self.assertEqual(len(orders), 4)
            for order in orders:
                self.assertEqual(len(order.invoice_ids), 1, order.name)
                self.assertEqual(order.invoice_ids.state, "posted")
