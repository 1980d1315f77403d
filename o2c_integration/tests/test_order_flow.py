# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Orders in: validation, mapping, exactly-once, updates, cancellation, invoicing."""

from odoo.exceptions import UserError

from odoo.addons.queue_job.tests.common import trap_jobs

from .common import run_jobs
from .test_order_common import O2cOrderCase, make_order


class TestOrderFlow(O2cOrderCase):
    def test_valid_order_gives_partner_order_and_posted_invoice(self):
        event = self.process(make_order())
        self.assertEqual(event.state, "done", event.last_error)
        partners = self.env["res.partner"].search([("vat", "=", "BE0477472701")])
        self.assertEqual(len(partners), 1)
        self.assertRecordValues(
            partners,
            [
                {
                    "name": "Acme Trading",
                    "email": "billing@acme.example",
                    "is_company": True,
                    "city": "Brussels",
                    "country_id": self.env.ref("base.be").id,
                }
            ],
        )
        sale = self.sale_orders()
        self.assertEqual(len(sale), 1)
        self.assertRecordValues(
            sale,
            [
                {
                    "state": "sale",
                    "partner_id": partners.id,
                    "client_order_ref": "#shop-1001",
                    "currency_id": self.env.company.currency_id.id,
                    "payment_term_id": self.pay_terms_b.id,
                    "o2c_credit_hold": False,
                }
            ],
        )
        self.assertEqual(
            sale.order_line.mapped("product_id"), self.widget | self.bolt | self.ship
        )
        self.assertEqual(sale.order_line.mapped("tax_ids"), self.tax15)
        # 2 x 19.99 -10 % = 35.98 ; 3 x 5.00 = 15.00 ; shipping 5.00 ; VAT 15 %
        invoice = sale.invoice_ids
        self.assertEqual(len(invoice), 1)
        self.assertRecordValues(
            invoice,
            [
                {
                    "state": "posted",
                    "move_type": "out_invoice",
                    "partner_id": partners.id,
                    "amount_untaxed": 55.98,
                    "amount_tax": 8.40,
                    "amount_total": 64.38,
                    "invoice_payment_term_id": self.pay_terms_b.id,
                    "o2c_connection_id": self.connection.id,
                    "o2c_external_id": "shop-1001",
                    "o2c_status": "invoiced",
                }
            ],
        )
        self.assertEqual(invoice.invoice_line_ids.mapped("tax_ids"), self.tax15)
        linked = {(link.res_model, link.res_id) for link in event.link_ids}
        self.assertIn(("sale.order", sale.id), linked)
        self.assertIn(("account.move", invoice.id), linked)
        audit = self.env["o2c.audit.log"].search(
            [("action", "=", "invoice.post"), ("res_id", "=", invoice.id)]
        )
        self.assertEqual(len(audit), 1)

    def test_same_order_five_times_is_applied_once(self):
        doc = make_order()
        with trap_jobs() as trap:
            for _i in range(5):  # same delivery five times: one event
                self.store_event("order.created", "evt-same", doc, enqueue=True)
            trap.assert_jobs_count(1)
            run_jobs(trap)
        # five more deliveries under other event ids (a source re-sending the order)
        for i in range(5):
            self.process(doc, external_id=f"evt-resend-{i}")
        event = self.env["o2c.event"].search([("external_id", "=", "evt-same")])
        event.with_user(self.env.user).action_replay()
        event._job_process()
        self.assertEqual(len(self.sale_orders()), 1)
        self.assertEqual(len(self.sale_orders().invoice_ids), 1)
        self.assertEqual(
            len(self.env["res.partner"].search([("vat", "=", "BE0477472701")])), 1
        )
        self.assertEqual(len(self.bindings()), 1)

    def test_unknown_sku_is_a_mapping_exception_and_retry_works(self):
        doc = make_order(
            lines=[
                {"sku": "NOPE-1", "quantity": "1", "unit_price": "10"},
                {
                    "sku": "WID-BLUE",
                    "quantity": "1",
                    "unit_price": "10",
                    "taxes": ["GST"],
                },
            ]
        )
        event = self.process(doc)
        self.assertEqual(event.state, "failed")
        self.assertEqual(event.error_kind, "permanent")
        exc = event.exception_ids
        self.assertEqual(exc.category, "mapping")
        paths = [v[0] for v in exc.details["violations"]]
        self.assertEqual(paths, ["lines[0].sku", "lines[1].taxes"])
        self.assertIn("NOPE-1", event.last_error)
        self.assertFalse(self.sale_orders())
        self.assertFalse(self.bindings())
        self.assertFalse(self.bindings(model="res.partner", external_id="cust-77"))
        self.assertFalse(self.env["res.partner"].search([("vat", "=", "BE0477472701")]))
        self.assertFalse(
            self.env["account.move"].search(
                [("o2c_connection_id", "=", self.connection.id)]
            )
        )
        # the integrator fixes the mapping, a manager retries: the order goes through
        self._create_product(name="Nope", default_code="NOPE-1", taxes_id=self.tax15)
        self.connection.tax_mapping_ids = [
            (0, 0, {"code": "GST", "tax_id": self.tax15.id})
        ]
        with trap_jobs() as trap:
            event.action_retry()
            run_jobs(trap)
        self.assertEqual(event.state, "done", event.last_error)
        self.assertEqual(self.sale_orders().state, "sale")
        self.assertEqual(exc.state, "resolved")

    def test_invalid_payload_names_every_path_and_creates_nothing(self):
        doc = make_order(currency="usd")
        doc["customer"].pop("name")
        doc["lines"][0]["quantity"] = "0"
        event = self.process(doc)
        self.assertEqual(event.state, "failed")
        exc = event.exception_ids
        self.assertEqual(exc.category, "validation")
        paths = {v[0] for v in exc.details["violations"]}
        self.assertEqual(paths, {"currency", "customer.name", "lines[0].quantity"})
        for path in paths:
            self.assertIn(path, event.last_error)
        self.assertFalse(self.sale_orders())
        self.assertFalse(self.bindings(model="res.partner", external_id="cust-77"))
        self.assertFalse(self.bindings())
        self.assertFalse(
            self.env["res.partner"].search([("email", "=", "billing@acme.example")])
        )
        self.assertFalse(
            self.env["account.move"].search(
                [("o2c_connection_id", "=", self.connection.id)]
            )
        )
        broken = self.process("{not json", external_id="evt-broken")
        self.assertEqual(broken.state, "failed")
        self.assertEqual(broken.exception_ids.details["violations"][0][0], "$")

    def test_customer_matched_by_vat_then_email_and_updated(self):
        by_vat = self.env["res.partner"].create(
            {"name": "Acme (manual)", "vat": "BE0477472701"}
        )
        by_email = self.env["res.partner"].create(
            {"name": "Bob", "email": "bob@x.example"}
        )
        self.process(make_order())
        self.assertEqual(self.sale_orders().partner_id, by_vat)
        self.assertEqual(by_vat.name, "Acme (manual)")  # matched: gaps filled only
        self.assertEqual(by_vat.email, "billing@acme.example")
        bob = make_order(
            "shop-2",
            "cust-bob",
            customer={
                "external_id": "cust-bob",
                "name": "Bob B.",
                "email": "BOB@x.example",
            },
        )
        self.process(bob)
        self.assertEqual(self.sale_orders("shop-2").partner_id, by_email)
        # a later order of the bound customer updates it
        bob2 = make_order(
            "shop-3",
            "cust-bob",
            customer={
                "external_id": "cust-bob",
                "name": "Bob Builder",
                "email": "bob@x.example",
                "phone": "+32 2 555 00 00",
            },
        )
        self.process(bob2)
        self.assertEqual(self.sale_orders("shop-3").partner_id, by_email)
        self.assertRecordValues(
            by_email, [{"name": "Bob Builder", "phone": "+32 2 555 00 00"}]
        )
        new = make_order(
            "shop-4", customer={"external_id": "cust-new", "name": "Newco"}
        )
        self.process(new)
        self.assertEqual(self.sale_orders("shop-4").partner_id.name, "Newco")
        self.assertEqual(
            self.env["res.partner"].search_count([("name", "=", "Newco")]), 1
        )

    def bolt_qty(self, sale):
        return sale.order_line.filtered(
            lambda line: line.product_id == self.bolt
        ).product_uom_qty

    def test_update_applies_on_draft_refused_when_confirmed_and_stale_ignored(self):
        # confirmed (and invoiced) order: a quantity change is refused
        self.process(make_order())
        doc = make_order(action="update", source_updated_at="2026-03-02T08:00:00Z")
        doc["lines"][1]["quantity"] = "4"
        refused = self.process(doc, external_id="evt-upd-1")
        self.assertEqual(refused.state, "failed")
        self.assertIn("Cannot change the lines", refused.last_error)
        self.assertEqual(refused.exception_ids.res_id, self.sale_orders().id)
        self.assertEqual(self.sale_orders().order_line[1].product_uom_qty, 3)
        # a held (draft) order: the change is applied
        self.partner_limit(50.0)
        held = make_order("shop-held")
        self.process(held)
        sale = self.sale_orders("shop-held")
        self.assertEqual(sale.state, "draft")
        upd = make_order(
            "shop-held", action="update", source_updated_at="2026-03-02T08:00:00Z"
        )
        upd["lines"][1]["quantity"] = "7"
        self.assertEqual(self.process(upd, external_id="evt-upd-2").state, "done")
        self.assertEqual(self.bolt_qty(sale), 7)
        self.assertEqual(len(sale.order_line), 3)
        self.assertEqual(sale.state, "draft")  # still over the limit: still held
        # an older update arriving late is ignored
        stale = make_order(
            "shop-held", action="update", source_updated_at="2026-03-01T12:00:00Z"
        )
        stale["lines"][1]["quantity"] = "1"
        self.assertEqual(self.process(stale, external_id="evt-upd-3").state, "done")
        self.assertEqual(self.bolt_qty(sale), 7)

    def test_cancel_applied_on_draft_refused_when_invoiced(self):
        self.process(make_order())
        cancel = {
            "schema_version": "1.0",
            "external_id": "shop-1001",
            "currency": "USD",
            "action": "cancel",
        }
        refused = self.process(
            cancel, external_id="evt-cancel-1", event_type="order.cancelled"
        )
        self.assertEqual(refused.state, "failed")
        invoice = self.sale_orders().invoice_ids
        self.assertIn(
            f"cannot cancel: invoice {invoice.name} posted", refused.last_error
        )
        self.assertEqual(self.sale_orders().state, "sale")
        # draft (held) order: cancelled, its credit-hold exception closed
        self.partner_limit(10.0)
        self.process(make_order("shop-c2"))
        sale = self.sale_orders("shop-c2")
        hold = self.env["o2c.exception"].search(
            [("dedup_key", "=", f"o2c.credit_hold:{sale.id}")]
        )
        self.assertEqual(hold.state, "new")
        cancel2 = dict(cancel, external_id="shop-c2")
        self.assertEqual(
            self.process(cancel2, external_id="evt-cancel-2").state, "done"
        )
        self.assertEqual(sale.state, "cancel")
        self.assertEqual(hold.state, "resolved")
        # cancelled before it was ever created: the late create does nothing
        cancel3 = dict(cancel, external_id="shop-c3")
        self.assertEqual(
            self.process(cancel3, external_id="evt-cancel-3").state, "done"
        )
        self.process(make_order("shop-c3", source_updated_at=None))
        self.assertFalse(self.sale_orders("shop-c3"))

    def test_invoice_at_delivery_policy(self):
        self.connection.order_invoice_policy = "delivery"
        self.process(make_order("shop-d"))
        sale = self.sale_orders("shop-d")
        self.assertEqual(sale.state, "sale")
        self.assertFalse(sale.invoice_ids)
        self.env["o2c.order.sync"]._cron_o2c_invoice_delivered()
        self.assertFalse(sale.invoice_ids)  # nothing delivered yet
        for line in sale.order_line:
            line.qty_delivered = line.product_uom_qty
        self.env["o2c.order.sync"]._cron_o2c_invoice_delivered()
        self.assertEqual(sale.invoice_ids.state, "posted")
        self.assertEqual(sale.invoice_ids.amount_total, 64.38)
        # a late cancel of a confirmed order that is not invoiced yet is applied
        self.process(make_order("shop-d2"))
        other = self.sale_orders("shop-d2")
        self.assertEqual(other.state, "sale")
        cancel = {
            "schema_version": "1.0",
            "external_id": "shop-d2",
            "currency": "USD",
            "action": "cancel",
        }
        event = self.process(cancel, external_id="evt-cancel-d2")
        self.assertEqual(event.state, "done", event.last_error)
        self.assertEqual(other.state, "cancel")
        self.env["o2c.order.sync"]._cron_o2c_invoice_delivered()
        self.assertFalse(other.invoice_ids)

    def test_batch_policy_invoices_confirmed_orders_together(self):
        self.connection.order_invoice_policy = "batch"
        names = [f"shop-b{i}" for i in range(3)]
        with trap_jobs() as trap:
            events = [self.process(make_order(name)) for name in names]
            self.assertEqual({e.state for e in events}, {"done"})
            sales = self.env["sale.order"].search([("o2c_external_id", "in", names)])
            self.assertEqual(sales.mapped("state"), ["sale"] * 3)
            self.assertFalse(sales.invoice_ids)  # not in the order's transaction
            # one invoicing job waits for the connection (identity key)
            self.assertEqual(
                [job.method_name for job in trap.enqueued_jobs],
                ["_o2c_invoice_pending"],
            )
            # it invoices the three orders in one batch
            self.assertEqual([len(r) for r in run_jobs(trap)], [3])
            # it queued one follow-up (orders committed after its snapshot)
            self.assertEqual(len(trap.enqueued_jobs), 1)
            self.assertEqual([len(r) for r in run_jobs(trap)], [0])
            self.assertFalse(trap.enqueued_jobs)
        for event, name in zip(events, names, strict=True):
            sale = self.sale_orders(name)
            self.assertRecordValues(
                sale.invoice_ids,
                [{"state": "posted", "amount_total": 64.38, "o2c_status": "invoiced"}],
            )
            linked = {(link.res_model, link.res_id) for link in event.link_ids}
            self.assertIn(("account.move", sale.invoice_ids.id), linked)
        audit = self.env["o2c.audit.log"].search(
            [("action", "=", "invoice.post"), ("res_id", "in", sales.invoice_ids.ids)]
        )
        self.assertEqual(len(audit), 3)
        # a re-sent order changes nothing, a second run invoices nothing twice
        self.process(make_order("shop-b0"), external_id="evt-again")
        self.assertFalse(
            self.env["o2c.order.sync"]._o2c_invoice_pending(self.connection)
        )
        self.assertEqual(len(sales.invoice_ids), 3)

    def test_batch_policy_one_bad_order_does_not_hold_the_others(self):
        self.connection.order_invoice_policy = "batch"
        income = self.env["account.account"].create(
            {"name": "Old income", "code": "799990", "account_type": "income"}
        )
        self._create_product(
            name="Poison",
            default_code="POISON",
            taxes_id=self.tax15,
            property_account_income_id=income.id,
        )
        bad = make_order("shop-bad")
        bad["lines"][0]["sku"] = "POISON"
        with trap_jobs() as trap:
            self.process(make_order("shop-ok"))
            self.process(bad)
            income.active = False  # the bad order's invoice cannot be posted
            run_jobs(trap)
        good, wrong = self.sale_orders("shop-ok"), self.sale_orders("shop-bad")
        self.assertEqual(good.invoice_ids.state, "posted")
        self.assertFalse(wrong.invoice_ids)
        self.assertEqual(wrong.state, "sale")
        exc = self.env["o2c.exception"].search(
            [("dedup_key", "=", f"o2c.order.invoice:{wrong.id}")]
        )
        self.assertRecordValues(
            exc, [{"state": "new", "res_id": wrong.id, "severity": "high"}]
        )
        self.assertIn("is archived", exc.description)
        # fixed: the hourly safety net invoices it and closes the exception
        income.active = True
        self.env["o2c.order.sync"]._cron_o2c_invoice_delivered()
        self.assertEqual(wrong.invoice_ids.state, "posted")
        self.assertEqual(exc.state, "resolved")
        self.assertEqual(len(good.invoice_ids), 1)

    # --- credit control

    def salesman(self, login, o2c_group):
        """A salesman who is also in the O2C group ``o2c_group``."""
        groups = self.env.ref(f"o2c_integration.{o2c_group}") | self.env.ref(
            "sales_team.group_sale_salesman"
        )
        return self.env["res.users"].create(
            {"name": login, "login": login, "group_ids": [(6, 0, groups.ids)]}
        )

    def partner_limit(self, limit, vat="BE0477472701"):
        partner = self.env["res.partner"].search([("vat", "=", vat)], limit=1)
        if not partner:
            partner = self.env["res.partner"].create(
                {"name": "Acme Trading", "vat": vat, "is_company": True}
            )
        partner.credit_limit = limit
        return partner

    def test_credit_hold_blocks_and_release_confirms(self):
        partner = self.partner_limit(100.0)
        self.process(make_order("shop-a"))  # 64.38: within the limit
        first = self.sale_orders("shop-a")
        self.assertEqual(first.invoice_ids.state, "posted")
        event = self.process(make_order("shop-b"))  # 64.38 + 64.38 > 100
        self.assertEqual(event.state, "done")
        sale = self.sale_orders("shop-b")
        self.assertRecordValues(sale, [{"state": "draft", "o2c_credit_hold": True}])
        self.assertFalse(sale.invoice_ids)
        exc = self.env["o2c.exception"].search(
            [("category", "=", "credit_hold"), ("res_id", "=", sale.id)]
        )
        self.assertEqual(len(exc), 1)
        self.assertEqual(exc.partner_id, partner)
        self.assertAlmostEqual(exc.amount, 64.38)
        self.assertEqual(exc.details["limit"], "100.00")
        self.assertEqual(exc.details["open_receivables"], "64.38")
        self.assertEqual(exc.details["exposure"], "128.76")
        self.assertEqual(exc.details["overdue"], "0.00")
        self.assertIn("128.76", sale.o2c_credit_hold_reason)
        hold_audit = self.env["o2c.audit.log"].search(
            [("action", "=", "order.credit_hold"), ("res_id", "=", sale.id)]
        )
        self.assertEqual(len(hold_audit), 1)
        self.assertIn('"exposure":"128.76"', hold_audit.data)
        # nobody confirms it with the standard button
        with self.assertRaises(UserError):
            sale.action_confirm()
        # a plain O2C user may not release; a manager does, with a reason
        user = self.salesman("o2c_order_user", "group_o2c_user")
        with self.assertRaises(UserError):
            sale.with_user(user)._o2c_release_credit_hold("because")
        manager = self.salesman("o2c_order_manager", "group_o2c_manager")
        wizard = (
            self.env["o2c.credit.release.wizard"]
            .with_user(manager)
            .create(
                {
                    "order_ids": [(6, 0, sale.ids)],
                    "reason": "CFO approved, prepayment promised",
                }
            )
        )
        wizard.action_release()
        self.assertRecordValues(
            sale,
            [
                {
                    "state": "sale",
                    "o2c_credit_hold": False,
                    "o2c_credit_released_by_id": manager.id,
                }
            ],
        )
        self.assertEqual(sale.invoice_ids.state, "posted")
        self.assertEqual(exc.state, "resolved")
        audit = self.env["o2c.audit.log"].search(
            [("action", "=", "order.credit_release"), ("res_id", "=", sale.id)]
        )
        self.assertEqual(len(audit), 1)
        self.assertEqual(audit.user_id, manager)
        self.assertIn("CFO approved", audit.data)

    def test_partner_flagged_credit_hold_is_held(self):
        partner = self.partner_limit(0.0)  # no limit at all
        partner._o2c_set_credit_hold("dispute dp_123 opened")
        self.assertTrue(
            self.env["o2c.audit.log"].search(
                [("action", "=", "partner.credit_hold"), ("res_id", "=", partner.id)]
            )
        )
        self.process(make_order("shop-f"))
        sale = self.sale_orders("shop-f")
        self.assertTrue(sale.o2c_credit_hold)
        exc = self.env["o2c.exception"].search(
            [("res_id", "=", sale.id), ("category", "=", "credit_hold")]
        )
        self.assertTrue(exc.details["partner_on_hold"])
        self.assertIn("dispute dp_123", exc.description)
        self.connection.order_credit_check = False
        self.process(make_order("shop-g"))
        self.assertEqual(self.sale_orders("shop-g").state, "sale")

    # --- demo data

    def test_demo_orders_show_each_outcome(self):
        for sku, kind in (
            ("DEMO-WIDGET", "consu"),
            ("DEMO-BOLT", "consu"),
            ("DEMO-SHIP", "service"),
        ):
            self._create_product(name=sku, default_code=sku, type=kind)
        credit = self.env["res.partner"].create(
            {
                "name": "Demo Credit Customer",
                "email": "credit@demo.example",
                "is_company": True,
            }
        )
        credit.credit_limit = 500.0
        self.env.company.account_sale_tax_id = self.tax15
        conn = self.env["o2c.connection"].create(
            {"name": "Demo Web Shop (test)", "order_flow_enabled": True}
        )
        with self.assertRaises(UserError):
            conn.with_user(
                self.env.ref("base.public_user")
            ).action_o2c_load_demo_orders()
        events = conn.action_o2c_load_demo_orders(process=True)
        self.assertEqual(len(events), 5)
        self.assertEqual(
            events.mapped("state"), ["done", "done", "done", "failed", "failed"]
        )
        self.assertEqual(conn.tax_mapping_ids.tax_id, self.tax15)
        orders = self.env["sale.order"].search(
            [("o2c_connection_id", "=", conn.id)], order="o2c_external_id"
        )
        self.assertEqual(
            orders.mapped("o2c_external_id"), ["demo-1001", "demo-1002", "demo-1003"]
        )
        self.assertEqual(orders.mapped("state"), ["sale", "sale", "draft"])
        self.assertEqual(orders[:2].invoice_ids.mapped("state"), ["posted", "posted"])
        self.assertTrue(orders[2].o2c_credit_hold)
        self.assertEqual(orders[2].partner_id, credit)
        categories = (
            self.env["o2c.exception"]
            .search([("connection_id", "=", conn.id)])
            .mapped("category")
        )
        self.assertEqual(sorted(categories), ["credit_hold", "mapping", "validation"])
        # loading again stores nothing new
        self.assertFalse(conn.action_o2c_load_demo_orders(process=True))
