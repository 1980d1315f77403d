# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Gateway event processing: neutral events to payments and refunds.

Entry point: :meth:`O2cGatewayProcessor._pg_handle_event`, registered as the
``("stripe", "*")`` and ``("adyen", "*")`` handler of ``o2c.event``. It parses the
stored payload with the pure library and dispatches on the neutral kind; disputes
and payouts are delegated to their models.

Every handler follows the same order, which is what makes replays harmless:

1. check what cannot be fixed by waiting (configuration, currency);
2. insert the ``o2c.gateway.transaction`` row (unique business key): a duplicate
   books nothing more;
3. check the business rules (invoice found, amount, not already paid) and raise a
   ``PermanentError`` with ``o2c_category`` / ``o2c_amount`` / ``o2c_partner`` so the
   exception queue shows the money at stake; the event's savepoint rolls the row
   back, so a retry after the fix books normally;
4. post the payment and link it to the row.

Handlers run as superuser in the connection's company: a job may have been queued
by the public webhook user or by a manager without accounting rights, and what it
books was authenticated at the door.
"""

import logging

from odoo import SUPERUSER_ID, Command, api, models

from odoo.addons.o2c_integration.lib.exceptions import RetryableError

from ..lib.events import Kind
from .o2c_connection import gateway_error

_logger = logging.getLogger(__name__)

#: Event type of an Adyen settlement detail report imported by the wizard.
SETTLEMENT_REPORT = "settlement_report"
#: Context of the payments a handler registers: no chatter tracking, "created"
#: message or follower on the payment and its entry. Each one is traced by the
#: event's links and the O2C audit log, and the mail machinery was about 13% of the
#: queries of a payment (~210 -> ~182 per payment event, profiled in-process).
PAYMENT_CONTEXT = {"tracking_disable": True}
#: Seconds before retrying an event that waits for another one (out of order).
WAIT_RETRY_AFTER = 60


def to_naive_utc(value):
    """Odoo Datetime fields hold naive UTC values."""
    return value.replace(tzinfo=None) if value else False


class O2cGatewayProcessor(models.AbstractModel):
    _name = "o2c.gateway.processor"
    _description = "O2C Gateway Event Processing"

    # --- ENTRY POINT

    @api.model
    def _pg_handle_event(self, event):
        """``o2c.event`` handler: book what the stored gateway payload reports."""
        env = event.env(user=SUPERUSER_ID, su=True)
        conn = env["o2c.connection"].browse(event.connection_id.id)
        env = env(context=dict(env.context, allowed_company_ids=conn.company_id.ids))
        conn, event = conn.with_env(env), event.with_env(env)
        processor = env[self._name]
        if event.event_type == SETTLEMENT_REPORT:
            return env["o2c.gateway.settlement"]._pg_import_adyen_report(conn, event)
        results = []
        for neutral in conn._pg_parse_payload(event.payload or ""):
            handler = processor._pg_get_kind_handlers().get(neutral.kind)
            if handler is None:
                _logger.info(
                    "O2C gateway event %s (%s): nothing to book for %s",
                    event.id,
                    neutral.raw_type,
                    neutral.kind.value,
                )
                continue
            result = handler(conn, neutral, event)
            if result:
                results.extend(result if isinstance(result, list) else [result])
        return results

    def _pg_get_kind_handlers(self):
        """Neutral kind -> ``callable(connection, neutral_event, o2c_event)`` hook."""
        Dispute = self.env["o2c.gateway.dispute"]
        Settlement = self.env["o2c.gateway.settlement"]
        return {
            Kind.PAYMENT_SUCCEEDED: self._pg_on_payment_succeeded,
            Kind.REFUND_SUCCEEDED: self._pg_on_refund_succeeded,
            Kind.REFUND_FAILED: self._pg_on_refund_failed,
            Kind.DISPUTE_OPENED: Dispute._pg_on_dispute_opened,
            Kind.DISPUTE_WON: Dispute._pg_on_dispute_won,
            Kind.DISPUTE_LOST: Dispute._pg_on_dispute_lost,
            Kind.PAYOUT_PAID: Settlement._pg_on_payout_paid,
            Kind.PAYOUT_FAILED: Settlement._pg_on_payout_failed,
        }

    # --- HELPERS

    @api.model
    def _pg_currency(self, code, amount=None):
        currency = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "=", code)], limit=1)
        )
        if not currency:
            raise gateway_error(
                self.env._("Unknown currency %(c)s.", c=code), "mapping", amount=amount
            )
        return currency

    @api.model
    def _pg_tx_vals(self, conn, ev, event, currency, **extra):
        """Values of the transaction row of one neutral event."""
        return {
            "connection_id": conn.id,
            "gateway": ev.gateway,
            "kind": ev.kind.value,
            "charge_ref": ev.charge_ref,
            "object_ref": ev.object_ref or ev.charge_ref or ev.event_id,
            "payment_ref": ev.payment_ref,
            "invoice_ref": ev.invoice_ref,
            "order_ref": ev.order_ref,
            "customer_ref": ev.customer_ref,
            "occurred_at": to_naive_utc(ev.occurred_at),
            "amount": float(ev.amount),
            "fee": float(ev.fee) if ev.fee is not None else 0.0,
            "currency_id": currency.id,
            "event_id": event.id if event else False,
            **extra,
        }

    @api.model
    def _pg_lock(self, records, ev):
        """Row-lock what the event is about to settle, or wait for the other event.

        Two different charges for one invoice (a customer paying twice) or two
        refunds of one payment may be processed at the same time: each would see the
        invoice open / the payment not yet refunded in its own snapshot. The lock
        makes the second one retry and then see the first one's effect (an invoice
        row changed since the snapshot raises a serialization error: retried too).
        """
        if records.try_lock_for_update() != records:
            raise RetryableError(
                f"{ev.kind.value} {ev.object_ref}: {records._name} "
                f"{records.ids} is being settled by another event",
                retry_after=WAIT_RETRY_AFTER,
            )

    @api.model
    def _pg_audit(self, action, summary, records, event, ev, **data):
        """Audit-log one booking of a neutral event (amount and currency included)."""
        self.env["o2c.audit.log"]._log(
            action,
            summary,
            records=records,
            event=event,
            data={"amount": str(ev.amount), "currency": ev.currency, **data},
        )

    @api.model
    def _pg_mark_posted(self, tx, ev, event, action, summary, records, vals, **data):
        """The fact is booked: link what was posted to its row, audit it."""
        tx.write({"state": "posted", **vals})
        self._pg_audit(action, f"{tx.name}: {summary}", records, event, ev, **data)

    @api.model
    def _pg_record_problem(
        self, conn, ev, event, tx_extra, message, dedup_key, **attrs
    ):
        """Record a fact a person must act on (once) and open its exception.

        For facts that undo something already booked (a refund that failed after
        it was booked, a payout the bank returned): nothing is posted
        automatically; the row keeps the fact, the exception says what to reverse.
        Returns the new row, or None when the fact was already recorded.
        """
        currency = self._pg_currency(ev.currency, ev.amount)
        tx, created = self.env["o2c.gateway.transaction"]._pg_insert(
            self._pg_tx_vals(conn, ev, event, currency, note=ev.reason, **tx_extra)
        )
        if not created:
            return None
        self.env["o2c.exception"]._raise(
            "other",
            message,
            dedup_key=dedup_key,
            severity="high",
            amount=ev.amount,
            currency=currency,
            event=event,
            connection=conn,
            **attrs,
        )
        return tx

    @api.model
    def _pg_find_invoices(self, conn, ev):
        """Invoices an event pays: by number, then payment reference, then order.

        Returns posted customer invoices of the connection's company (possibly
        already paid: the caller tells "paid twice" from "not found").
        """
        Move = self.env["account.move"]
        base = [
            ("company_id", "=", conn.company_id.id),
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
        ]
        if ev.invoice_ref:
            invoice = Move.search([*base, ("name", "=", ev.invoice_ref)], limit=1)
            if invoice:
                return invoice
            invoices = Move.search([*base, ("payment_reference", "=", ev.invoice_ref)])
            if len(invoices) == 1:
                return invoices
        if ev.order_ref and "sale.order" in self.env:
            order = self.env["sale.order"].search(
                [("name", "=", ev.order_ref), ("company_id", "=", conn.company_id.id)],
                limit=1,
            )
            invoices = order.invoice_ids.filtered(
                lambda m: m.state == "posted" and m.move_type == "out_invoice"
            )
            if invoices:
                return invoices
        return Move

    # --- PAYMENTS

    def _pg_on_payment_succeeded(self, conn, ev, event):
        conn._pg_check_accounting("pg_journal_id")
        currency = self._pg_currency(ev.currency, ev.amount)
        Tx = self.env["o2c.gateway.transaction"]
        tx, created = Tx._pg_insert(self._pg_tx_vals(conn, ev, event, currency))
        if not created:
            return None
        refs = " / ".join(r for r in (ev.invoice_ref, ev.order_ref) if r) or "-"
        invoices = self._pg_find_invoices(conn, ev)
        if not invoices:
            raise gateway_error(
                self.env._(
                    "%(g)s payment %(c)s of %(a)s %(cur)s: no posted invoice "
                    "matches %(r)s.",
                    g=ev.gateway.title(),
                    c=ev.charge_ref,
                    a=ev.amount,
                    cur=ev.currency,
                    r=refs,
                ),
                "mapping",
                amount=ev.amount,
                currency=currency,
            )
        self._pg_lock(invoices, ev)
        partner = invoices.commercial_partner_id
        if len(partner) > 1:
            raise gateway_error(
                self.env._(
                    "%(g)s payment %(c)s: the invoices of %(r)s belong to several "
                    "customers.",
                    g=ev.gateway.title(),
                    c=ev.charge_ref,
                    r=refs,
                ),
                "mapping",
                amount=ev.amount,
                currency=currency,
                record=invoices[:1],
            )
        error_attrs = {
            "amount": ev.amount,
            "currency": currency,
            "partner": partner,
            "record": invoices[:1],
        }
        if invoices.currency_id != currency:
            raise gateway_error(
                self.env._(
                    "%(g)s payment %(c)s is in %(cur)s but %(inv)s is in %(icur)s.",
                    g=ev.gateway.title(),
                    c=ev.charge_ref,
                    cur=ev.currency,
                    inv=", ".join(invoices.mapped("name")),
                    icur=", ".join(invoices.currency_id.mapped("name")),
                ),
                "amount_mismatch",
                **error_attrs,
            )
        open_invoices = invoices.filtered(
            lambda inv: not inv.currency_id.is_zero(inv.amount_residual)
        )
        if not open_invoices:
            raise gateway_error(
                self.env._(
                    "%(g)s payment %(c)s of %(a)s %(cur)s: %(inv)s is already "
                    "paid (the customer may have paid twice: refund or keep as "
                    "credit).",
                    g=ev.gateway.title(),
                    c=ev.charge_ref,
                    a=ev.amount,
                    cur=ev.currency,
                    inv=", ".join(invoices.mapped("name")),
                ),
                "duplicate",
                **error_attrs,
            )
        residual = sum(open_invoices.mapped("amount_residual"))
        comparison = currency.compare_amounts(float(ev.amount), residual)
        if comparison > 0 or (comparison < 0 and not conn.pg_allow_partial):
            raise gateway_error(
                self.env._(
                    "%(g)s payment %(c)s of %(a)s %(cur)s does not match the "
                    "%(due)s due on %(inv)s.",
                    g=ev.gateway.title(),
                    c=ev.charge_ref,
                    a=ev.amount,
                    cur=ev.currency,
                    due=currency.round(residual),
                    inv=", ".join(open_invoices.mapped("name")),
                ),
                "amount_mismatch",
                **error_attrs,
            )
        payment = self._pg_register_payment(conn, open_invoices, ev, currency)
        self._pg_mark_posted(
            tx,
            ev,
            event,
            "gateway.payment",
            f"{payment.name} on {', '.join(open_invoices.mapped('name'))}",
            payment,
            {
                "payment_id": payment.id,
                "invoice_id": open_invoices[:1].id,
                "partner_id": partner.id,
            },
            charge=ev.charge_ref,
        )
        return [tx, payment]

    def _pg_register_payment(self, conn, invoices, ev, currency):
        """Register one inbound payment on the clearing journal, reconciled."""
        wizard = (
            self.env["account.payment.register"]
            .with_context(
                active_model="account.move", active_ids=invoices.ids, **PAYMENT_CONTEXT
            )
            .create(
                {
                    "payment_date": ev.occurred_at.date(),
                    "journal_id": conn.pg_journal_id.id,
                    "payment_method_line_id": conn._pg_payment_method_line(
                        "inbound"
                    ).id,
                    "amount": float(ev.amount),
                    "currency_id": currency.id,
                    "communication": f"{ev.gateway.title()} {ev.charge_ref} "
                    f"{' '.join(invoices.mapped('name'))}",
                    "group_payment": True,
                }
            )
        )
        return wizard._create_payments()

    # --- REFUNDS

    def _pg_on_refund_succeeded(self, conn, ev, event):
        conn._pg_check_accounting("pg_journal_id")
        currency = self._pg_currency(ev.currency, ev.amount)
        Tx = self.env["o2c.gateway.transaction"]
        original = Tx._pg_find_payment(conn, ev.charge_ref, ev.payment_ref)
        if not original:
            # Gateways do not guarantee ordering: the payment event may still be on
            # its way. Wait (retry with backoff) rather than fail.
            raise RetryableError(
                f"refund {ev.object_ref}: its payment {ev.charge_ref} is not booked "
                "yet",
                retry_after=WAIT_RETRY_AFTER,
            )
        self._pg_lock(original, ev)
        tx, created = Tx._pg_insert(
            self._pg_tx_vals(
                conn,
                ev,
                event,
                currency,
                original_id=original.id,
                partner_id=original.partner_id.id,
                invoice_id=original.invoice_id.id,
            )
        )
        if not created:
            return None
        attrs = {
            "amount": ev.amount,
            "currency": currency,
            "partner": original.partner_id,
            "record": original.invoice_id,
        }
        if original.currency_id != currency:
            raise gateway_error(
                self.env._(
                    "Refund %(r)s is in %(c)s, its payment %(p)s in %(pc)s.",
                    r=ev.object_ref,
                    c=ev.currency,
                    p=original.object_ref,
                    pc=original.currency_id.name,
                ),
                "amount_mismatch",
                **attrs,
            )
        original.invalidate_recordset(["refunded_amount"])
        if currency.compare_amounts(original.refunded_amount, original.amount) > 0:
            raise gateway_error(
                self.env._(
                    "Refund %(r)s of %(a)s %(c)s takes the refunds of payment "
                    "%(p)s (%(pa)s) over the amount paid.",
                    r=ev.object_ref,
                    a=ev.amount,
                    c=ev.currency,
                    p=original.object_ref,
                    pa=original.amount,
                ),
                "amount_mismatch",
                **attrs,
            )
        payment, credit_note = self.with_context(**PAYMENT_CONTEXT)._pg_book_refund(
            conn, original, ev, currency
        )
        self._pg_mark_posted(
            tx,
            ev,
            event,
            "gateway.refund",
            f"{payment.name} for {original.name}",
            payment,
            {"payment_id": payment.id, "credit_note_id": credit_note.id},
            credit_note=credit_note.name or None,
        )
        return [tx, payment, credit_note]

    def _pg_book_refund(self, conn, original, ev, currency):
        """Outbound payment on the clearing journal (+ credit note when configured).

        With a posted credit note the payment is registered on it, so both are
        reconciled. Without one the refund's receivable debit stays open: the
        customer owes the refunded amount again until finance settles it (credit
        note, write-off) - the re-opened receivable is the visible trace.
        """
        date = ev.occurred_at.date()
        memo = f"{ev.gateway.title()} refund {ev.object_ref} of {ev.charge_ref}"
        credit_note = self.env["account.move"]
        if conn.pg_refund_credit_note and original.invoice_id:
            credit_note = self._pg_credit_note(original.invoice_id, ev, currency, memo)
        pml = conn._pg_payment_method_line("outbound")
        if credit_note.state == "posted":
            payment = (
                self.env["account.payment.register"]
                .with_context(active_model="account.move", active_ids=credit_note.ids)
                .create(
                    {
                        "payment_date": date,
                        "journal_id": conn.pg_journal_id.id,
                        "payment_method_line_id": pml.id,
                        "amount": float(ev.amount),
                        "currency_id": currency.id,
                        "communication": memo,
                    }
                )
                ._create_payments()
            )
            return payment, credit_note
        payment = self.env["account.payment"].create(
            {
                "payment_type": "outbound",
                "partner_type": "customer",
                "partner_id": original.partner_id.id,
                "amount": float(ev.amount),
                "currency_id": currency.id,
                "journal_id": conn.pg_journal_id.id,
                "payment_method_line_id": pml.id,
                "date": date,
                "memo": memo,
            }
        )
        payment.action_post()
        return payment, credit_note

    def _pg_credit_note(self, invoice, ev, currency, memo):
        """Credit note of the refunded amount: the invoice reversed, scaled if partial.

        A full refund is the exact reversal (taxes included). A partial refund
        scales every price; when rounding keeps the total off by a cent, the credit
        note stays draft with an exception for finance (never a wrong posting).
        """
        amount = float(ev.amount)
        date = ev.occurred_at.date()
        credit_note = invoice._reverse_moves(
            [{"ref": memo, "date": date, "invoice_date": date}]
        )
        if currency.compare_amounts(amount, invoice.amount_total):
            ratio = amount / invoice.amount_total
            credit_note.write(
                {
                    "invoice_line_ids": [
                        Command.update(line.id, {"price_unit": line.price_unit * ratio})
                        for line in credit_note.invoice_line_ids
                        if line.display_type == "product"
                    ]
                }
            )
        if currency.compare_amounts(credit_note.amount_total, amount):
            self.env["o2c.exception"]._raise(
                "amount_mismatch",
                self.env._(
                    "Credit note for refund %(r)s to review: %(t)s instead of %(a)s.",
                    r=ev.object_ref,
                    t=credit_note.amount_total,
                    a=ev.amount,
                ),
                dedup_key=f"o2c.pg.credit_note:{credit_note.id}",
                severity="low",
                amount=ev.amount,
                currency=currency,
                partner=invoice.commercial_partner_id,
                record=credit_note,
            )
            return credit_note
        credit_note.action_post()
        return credit_note

    def _pg_on_refund_failed(self, conn, ev, event):
        """A refund we booked did not go through: finance must undo it."""
        Tx = self.env["o2c.gateway.transaction"]
        booked = Tx.search(
            [
                ("connection_id", "=", conn.id),
                ("kind", "=", Kind.REFUND_SUCCEEDED.value),
                ("object_ref", "=", ev.object_ref),
            ],
            limit=1,
        )
        if not booked:
            return None  # nothing was booked, nothing to undo
        return self._pg_record_problem(
            conn,
            ev,
            event,
            {
                "original_id": booked.original_id.id,
                "partner_id": booked.partner_id.id,
                "invoice_id": booked.invoice_id.id,
            },
            self.env._(
                "Refund %(r)s failed after it was booked (%(why)s): cancel "
                "refund payment %(p)s.",
                r=ev.object_ref,
                why=ev.reason or "-",
                p=booked.payment_id.name or "-",
            ),
            f"o2c.pg.refund_failed:{conn.id}:{ev.object_ref}",
            partner=booked.partner_id,
            record=booked.payment_id or booked,
        )
