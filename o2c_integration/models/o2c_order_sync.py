# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""From a validated order document to a confirmed sale order and a posted invoice.

The handler of ``order.created`` / ``order.updated`` / ``order.cancelled`` events
(registered in ``o2c_order_event.py``). It runs inside the event machinery's savepoint:
whatever it raises rolls back everything it created (binding, customer, order) and
becomes the event's state (see ``o2c_event.py``):

* ``lib.exceptions.ValidationError`` (the document, every violation with its path) and
  :class:`O2cMappingError` (unknown SKU, tax code, payment terms, currency: category
  "mapping") fail the event with an exception; retrying after the fix works;
* :class:`O2cOrderError` (a business rule: cancelling an invoiced order, changing a
  confirmed one) fails it too, the exception pointing to the order;
* anything else (a lock, a concurrent creation) is retried with backoff.

Exactly once: the ``o2c.binding`` of the order is inserted FIRST (unique index), see
``o2c_binding.py``. The binding stores the applied content hash (identical re-sends are
no-ops) and ``source_updated_at`` (older updates are ignored).

Invoicing follows the connection's policy: ``post`` invoices and posts in the order's
own transaction; ``batch`` leaves it to one queued job per connection that invoices the
orders confirmed in the last seconds together (Odoo creates and posts ten invoices in
one call for about half the cost of ten calls: the high-volume setting), with an
exception per order that cannot be invoiced; ``delivery`` waits for the goods.

Mapping (SKU, codes, currency, customer) lives in ``o2c_order_mapper.py``.
"""

import hashlib
import json
import logging
from datetime import UTC, datetime, time
from decimal import Decimal

from odoo import Command, api, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from ..lib.exceptions import PermanentError
from ..lib.order_format import validate_order
from .o2c_event import JOB_CHANNEL
from .o2c_order_mapper import O2cMappingError  # noqa: F401 (re-exported)

_logger = logging.getLogger(__name__)

ORDER_MODEL = "sale.order"
#: batch policy: seconds the invoicing job waits for more confirmed orders, and the
#: most orders it invoices in one transaction
BATCH_DELAY_SECONDS = 2
BATCH_SIZE = 100


class O2cOrderError(PermanentError):
    """A business rule refuses the change; ``record`` is the order concerned."""

    o2c_category = "other"

    def __init__(self, message, record=None):
        super().__init__(message)
        if record is not None:
            self.o2c_record = record
            self.o2c_partner = record.partner_id
            self.o2c_amount = record.amount_total
            self.o2c_currency = record.currency_id


class O2cOrderSync(models.AbstractModel):
    _name = "o2c.order.sync"
    _description = "O2C Order Synchronisation"

    def _o2c_mapper(self):
        return self.env["o2c.order.mapper"]

    def _o2c_env(self, conn):
        """This model as superuser in the connection's company, without chatter noise.

        The event, its links and the audit log trace what the integration did; chatter
        tracking of every computed change would only slow it down
        (``tracking_disable`` also skips account.move.line's per-write ``fields_get``
        of its tracked fields, a fifth of an invoice's creation).
        """
        return (
            self.sudo()
            .with_company(conn.company_id)
            .with_context(
                tracking_disable=True,
                mail_create_nosubscribe=True,
                mail_create_nolog=True,
                mail_notrack=True,
            )
        )

    # --- ENTRY POINT

    @api.model
    def _o2c_handle_order_event(self, event):
        """Handler of the ``order.*`` events: returns the sale order (and invoices)."""
        conn = event.connection_id
        sync = self._o2c_env(conn).with_context(o2c_event_id=event.id)
        order = validate_order(sync._o2c_order_document(event.sudo().payload))
        if not conn.order_flow_enabled:
            raise O2cOrderError(
                sync.env._("The order flow is disabled on %(c)s.", c=conn.name)
            )
        if order.action == "cancel":
            return sync._o2c_cancel(conn, order, event)
        return sync._o2c_upsert(conn, order, event)

    @api.model
    def _o2c_order_document(self, payload):
        """The order inside the payload: a bare document or ``{"data": {...}}``."""
        try:
            data = json.loads(payload or "", parse_float=Decimal)
        except ValueError:
            return payload  # validate_order reports the JSON error at "$"
        if (
            isinstance(data, dict)
            and "schema_version" not in data
            and isinstance(data.get("data"), dict)
        ):
            return data["data"]
        return data

    # --- CREATE / UPDATE

    def _o2c_signature(self, order):
        """Lines + shipping: what may only change while the order is not confirmed."""
        shipping = order.shipping and [
            str(order.shipping.amount.normalize()),
            order.shipping.sku or "",
            sorted(order.shipping.taxes),
        ]
        text = json.dumps([order.lines_signature(), shipping], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()

    def _o2c_binding_vals(self, order, event):
        updated = order.source_updated_at
        if updated is not None:
            # Odoo stores naive UTC datetimes
            updated = updated.astimezone(UTC).replace(tzinfo=None)
        return {
            "content_hash": order.content_hash(),
            "lines_signature": self._o2c_signature(order),
            "source_updated_at": updated,
            "last_event_id": event.id,
        }

    def _o2c_upsert(self, conn, order, event):
        Binding = self.env["o2c.binding"]
        binding, created = Binding._o2c_claim(conn, ORDER_MODEL, order.external_id)
        sale = self.env[ORDER_MODEL] if created else binding._get_record()
        tombstoned = not created and binding.tombstone
        if tombstoned and (
            order.source_updated_at is None or order.is_stale(binding.source_updated_at)
        ):
            _logger.info(
                "O2C order %s was cancelled at the source: not created",
                order.external_id,
            )
            return None
        if sale:
            return self._o2c_update(conn, order, event, binding, sale)
        sale = self._o2c_create(conn, order, event)
        binding._o2c_bind(sale, **self._o2c_binding_vals(order, event))
        invoices = self._o2c_confirm_or_hold(conn, sale, event)
        return [sale, invoices]

    def _o2c_create(self, conn, order, event):
        currency = self._o2c_mapper()._o2c_map_currency(order)
        line_cmds = self._o2c_mapper()._o2c_prepare_lines(conn, order, currency)
        payment_term = self._o2c_mapper()._o2c_map_payment_term(conn, order)
        pricelist = self._o2c_mapper()._o2c_map_pricelist(conn, currency)
        partner, delivery = self._o2c_mapper()._o2c_map_partner(conn, order.customer)
        vals = {
            "partner_id": partner.id,
            "partner_invoice_id": partner.id,
            "partner_shipping_id": delivery.id,
            "company_id": conn.company_id.id,
            "client_order_ref": order.reference or order.external_id,
            "origin": f"{conn.name}: {order.external_id}"[:250],
            "pricelist_id": pricelist.id,
            "o2c_connection_id": conn.id,
            "o2c_external_id": order.external_id,
            "o2c_event_id": event.id,
            "order_line": line_cmds,
        }
        if order.note:
            vals["note"] = order.note
        if order.date:
            vals["date_order"] = datetime.combine(order.date, time(12))
        if payment_term:
            vals["payment_term_id"] = payment_term.id
        if conn.order_team_id:
            vals["team_id"] = conn.order_team_id.id
        fiscal_position = self._o2c_mapper()._o2c_map_fiscal_position(conn, delivery)
        if fiscal_position:
            vals["fiscal_position_id"] = fiscal_position.id
        return self.env[ORDER_MODEL].create(vals)

    def _o2c_update(self, conn, order, event, binding, sale):
        if binding.content_hash == order.content_hash():
            return sale  # the same order again: nothing changes
        if order.is_stale(binding.source_updated_at):
            _logger.info(
                "O2C order %s: stale update ignored (%s <= %s)",
                order.external_id,
                order.source_updated_at,
                binding.source_updated_at,
            )
            sale.message_post(
                body=self.env._(
                    "A stale update from the source was ignored (event %(e)s).",
                    e=event.id,
                )
            )
            return sale
        if sale.state == "cancel":
            raise O2cOrderError(
                self.env._(
                    "Order %(o)s is cancelled: the update from the source is refused.",
                    o=sale.name,
                ),
                sale,
            )
        self._o2c_mapper()._o2c_map_partner(conn, order.customer)
        vals = {"client_order_ref": order.reference or order.external_id}
        if order.note:
            vals["note"] = order.note
        lines_changed = binding.lines_signature != self._o2c_signature(order)
        if lines_changed:
            if sale.state not in ("draft", "sent"):
                invoices = sale.invoice_ids.filtered(lambda m: m.state == "posted")
                raise O2cOrderError(
                    self.env._(
                        "Cannot change the lines of %(o)s: it is confirmed%(inv)s. "
                        "Change it in Odoo (or cancel and re-send it).",
                        o=sale.name,
                        inv=self.env._(
                            " and invoiced (%(n)s)",
                            n=", ".join(invoices.mapped("name")),
                        )
                        if invoices
                        else "",
                    ),
                    sale,
                )
            currency = self._o2c_mapper()._o2c_map_currency(order)
            if currency != sale.currency_id:
                raise O2cOrderError(
                    self.env._(
                        "The currency of %(o)s cannot change (%(a)s -> %(b)s).",
                        o=sale.name,
                        a=sale.currency_id.name,
                        b=currency.name,
                    ),
                    sale,
                )
            vals["order_line"] = [
                Command.clear()
            ] + self._o2c_mapper()._o2c_prepare_lines(conn, order, currency)
        payment_term = self._o2c_mapper()._o2c_map_payment_term(conn, order)
        if payment_term and sale.state in ("draft", "sent"):
            vals["payment_term_id"] = payment_term.id
        sale.write(vals)
        binding._o2c_bind(sale, **self._o2c_binding_vals(order, event))
        sale.message_post(
            body=self.env._("Updated from the source (event %(e)s).", e=event.id)
        )
        if sale.state in ("draft", "sent"):
            # a held order is evaluated again with its new amount
            invoices = self._o2c_confirm_or_hold(conn, sale, event)
            return [sale, invoices]
        return sale

    def _o2c_cancel(self, conn, order, event):
        Binding = self.env["o2c.binding"]
        binding, created = Binding._o2c_claim(conn, ORDER_MODEL, order.external_id)
        if created or binding.tombstone:
            # cancelled before we saw it: a tombstone stops a late "create"
            binding.sudo().write(
                {"tombstone": True, **self._o2c_binding_vals(order, event)}
            )
            return None
        sale = binding._get_record()
        if not sale:
            return None
        if order.is_stale(binding.source_updated_at):
            _logger.info("O2C order %s: stale cancellation ignored", order.external_id)
            return sale
        if sale.state == "cancel":
            return sale
        posted = sale.invoice_ids.filtered(
            lambda m: m.state == "posted" and m.move_type == "out_invoice"
        )
        if posted:
            raise O2cOrderError(
                self.env._(
                    "cannot cancel: invoice %(inv)s posted (order %(o)s). Issue a "
                    "credit note in Odoo if the cancellation stands.",
                    inv=", ".join(posted.mapped("name")),
                    o=sale.name,
                ),
                sale,
            )
        if sale.locked:
            sale.action_unlock()
        sale._action_cancel()
        binding._o2c_bind(sale, **self._o2c_binding_vals(order, event))
        self.env["o2c.exception"]._close_by_key(
            f"o2c.credit_hold:{sale.id}", self.env._("Cancelled by the source.")
        )
        sale.message_post(
            body=self.env._("Cancelled by the source (event %(e)s).", e=event.id)
        )
        self.env["o2c.order.status"]._o2c_queue(sale, "cancelled")
        return sale

    # --- CONFIRM / HOLD / INVOICE

    def _o2c_confirm_or_hold(self, conn, sale, event):
        """Hold the order (credit control) or confirm and invoice it per policy."""
        hold = self.env["o2c.credit.control"]._o2c_credit_check(conn, sale)
        if hold:
            self._o2c_hold(sale, hold, event)
            return self.env["account.move"]
        was_held = sale.o2c_credit_hold
        if was_held:
            sale.o2c_credit_hold = False
            self.env["o2c.exception"]._close_by_key(
                f"o2c.credit_hold:{sale.id}",
                self.env._("Within the credit limit after an update from the source."),
            )
        sale.with_context(o2c_credit_release=True).action_confirm()
        self.env["o2c.order.status"]._o2c_queue(
            sale, "released" if was_held else "confirmed"
        )
        return self._o2c_invoice(conn, sale)

    def _o2c_hold(self, sale, hold, event):
        first = not sale.o2c_credit_hold
        sale.write({"o2c_credit_hold": True, "o2c_credit_hold_reason": hold["reason"]})
        partner = sale.partner_invoice_id.commercial_partner_id
        self.env["o2c.exception"]._raise(
            "credit_hold",
            self.env._("Credit hold: %(o)s for %(p)s", o=sale.name, p=partner.name),
            dedup_key=f"o2c.credit_hold:{sale.id}",
            severity="high",
            amount=sale.amount_total,
            currency=sale.currency_id,
            partner=partner,
            event=event,
            record=sale,
            description=hold["reason"],
            details=hold,
            deadline_days=1,
        )
        self.env["o2c.audit.log"]._log(
            "order.credit_hold",
            f"{sale.name} held: {hold['reason']}"[:250],
            records=sale,
            event=event,
            data=hold,
        )
        if first:
            self.env["o2c.order.status"]._o2c_queue(sale, "held", reason=hold["reason"])

    def _o2c_invoice(self, conn, sale):
        """Invoice and post what is invoiceable, as the connection's policy says.

        ``post``: at once, in this transaction. ``batch``: a queued job invoices the
        confirmed orders of the connection a few seconds later, many in one go
        (:meth:`_o2c_invoice_pending`). ``delivery``: the delivery cron does it.
        """
        Move = self.env["account.move"]
        if sale.state != "sale" or conn.order_invoice_policy == "delivery":
            return Move
        if conn.order_invoice_policy == "batch":
            self._o2c_schedule_invoicing(conn)
            return Move
        return self._o2c_create_invoices(sale)

    def _o2c_create_invoices(self, sales):
        """One posted invoice per order (``sales`` may be many: one batch), audited."""
        sales = sales.sudo().filtered(lambda s: s.invoice_status == "to invoice")
        if not sales:
            return self.env["account.move"]
        invoices = sales._create_invoices(grouped=True)
        invoices.action_post()
        for invoice in invoices:
            sale = invoice.line_ids.sale_line_ids.order_id[:1]
            self.env["o2c.audit.log"]._log(
                "invoice.post",
                f"{invoice.name} posted for {sale.name}",
                records=invoice,
                event=sale.o2c_event_id or None,
                data={
                    "amount_total": invoice.amount_total,
                    "currency": invoice.currency_id.name,
                },
            )
        return invoices

    def _o2c_invoice_orders(self, sales):
        """Invoice ``sales`` in one batch; when the batch fails, order by order.

        One order that cannot be invoiced (an archived income account, a lock date)
        must not hold the others back: it gets an exception pointing to it and stays
        confirmed, to be invoiced again once the cause is fixed. Concurrency errors are
        not caught: the whole job is retried.
        """
        Move = self.env["account.move"]
        try:
            with self.env.cr.savepoint():
                invoices = self._o2c_create_invoices(sales)
                self._o2c_link_invoices(invoices)
                return invoices
        except (UserError, ValidationError) as batch_error:
            if len(sales) == 1:
                self._o2c_invoice_failed(sales, batch_error)
                return Move
        invoices = Move
        for sale in sales:
            try:
                with self.env.cr.savepoint():
                    created = self._o2c_create_invoices(sale)
                    self._o2c_link_invoices(created)
                    invoices |= created
            except (UserError, ValidationError) as error:
                self._o2c_invoice_failed(sale, error)
        return invoices

    def _o2c_invoice_failed(self, sale, error):
        _logger.warning("O2C: order %s could not be invoiced: %s", sale.name, error)
        self.env["o2c.exception"]._raise(
            "other",
            self.env._("Invoice of %(o)s failed", o=sale.name),
            dedup_key=f"o2c.order.invoice:{sale.id}",
            severity="high",
            amount=sale.amount_total,
            currency=sale.currency_id,
            partner=sale.partner_invoice_id.commercial_partner_id,
            event=sale.o2c_event_id or None,
            record=sale,
            connection=sale.o2c_connection_id,
            description=str(error)[:2000],
        )

    def _o2c_link_invoices(self, invoices):
        """Invoices made outside the order's event still point back to it."""
        links = []
        for invoice in invoices:
            event = invoice.line_ids.sale_line_ids.order_id[:1].o2c_event_id
            if event:
                links.append(
                    {
                        "event_id": event.id,
                        "res_model": invoice._name,
                        "res_id": invoice.id,
                    }
                )
                self.env["o2c.exception"]._close_by_key(
                    f"o2c.order.invoice:{invoice.line_ids.sale_line_ids.order_id[:1].id}",
                    self.env._("Invoiced: %(i)s", i=invoice.name),
                )
        if links:
            self.env["o2c.event.link"].sudo().create(links)

    # --- BATCH INVOICING (policy "batch")

    def _o2c_schedule_invoicing(self, conn, delay=BATCH_DELAY_SECONDS):
        """Queue the invoicing job of ``conn`` unless one is already waiting.

        The job starts ``delay`` seconds later so that the orders confirmed meanwhile
        are invoiced together. ``identity_key`` only sees jobs not started yet; an
        order committed just after a job took its snapshot is caught by the follow-up
        job that every productive run queues (and, last resort, by the hourly cron).
        """
        self.sudo().with_delay(
            channel=JOB_CHANNEL,
            eta=delay,
            identity_key=f"o2c-order-invoicing-{conn.id}",
            description=f"O2C invoice confirmed orders of {conn.name}",
        )._o2c_invoice_pending(conn)

    @api.model
    def _o2c_invoice_pending(self, conn, limit=BATCH_SIZE):
        """Job: invoice and post up to ``limit`` confirmed orders of ``conn``.

        Exactly once: the orders are locked ``FOR UPDATE SKIP LOCKED``, so two jobs
        running at the same time share the orders instead of both invoicing them; an
        order invoiced by a job that committed after this one's snapshot makes the lock
        fail with a serialisation error, which queue_job retries.
        """
        conn = conn.sudo()
        Move = self.env["account.move"]
        if conn.order_invoice_policy != "batch":
            return Move
        rows = self.env.execute_query(
            SQL(
                """SELECT id FROM sale_order
                    WHERE o2c_connection_id = %s AND state = 'sale'
                      AND invoice_status = 'to invoice' AND company_id = %s
                    ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED""",
                conn.id,
                conn.company_id.id,
                limit,
            )
        )
        if not rows:
            return Move
        sync = self._o2c_env(conn)
        sales = sync.env[ORDER_MODEL].browse([row[0] for row in rows])
        invoices = sync._o2c_invoice_orders(sales)
        # orders committed after this job's snapshot (or beyond the limit)
        self._o2c_schedule_invoicing(
            conn, delay=0 if len(rows) >= limit else BATCH_DELAY_SECONDS
        )
        return invoices

    @api.model
    def _cron_o2c_invoice_delivered(self, limit=200):
        """'Invoice at delivery': invoice confirmed orders whose goods are delivered.

        Also the safety net of the batch policy: its confirmed orders left without an
        invoice (a job lost with its worker) are invoiced here.
        """
        orders = (
            self.env[ORDER_MODEL]
            .sudo()
            .search(
                [
                    ("o2c_connection_id", "!=", False),
                    ("state", "=", "sale"),
                    ("invoice_status", "=", "to invoice"),
                ],
                order="id",
            )
        )
        ready = orders.filtered(
            lambda sale: sale.o2c_connection_id.order_invoice_policy == "batch"
            or all(
                line.qty_delivered >= line.product_uom_qty
                for line in sale.order_line
                if not line.display_type and line.product_id.type != "service"
            )
        )
        done = self.env["account.move"]
        for conn, group in ready.grouped("o2c_connection_id").items():
            for start in range(0, len(group), limit):
                done |= self._o2c_env(conn)._o2c_invoice_orders(
                    group[start : start + limit]
                )
        return done
