# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Gateway transactions: one row per business fact booked from a gateway event.

The row is the idempotency guarantee of the gateway handlers. Its unique index on
``(connection_id, kind, object_ref)`` is the neutral event's business key: Stripe's
``payment_intent.succeeded`` and ``charge.succeeded`` (or Adyen's
``NOTIFICATION_OF_CHARGEBACK`` and ``CHARGEBACK``) report the same fact under two
event ids and must be booked once. Handlers insert the row FIRST, inside a
savepoint; the loser of a race or a replay hits the index and books nothing.
"""

import logging

import psycopg2

from odoo import api, fields, models

from ..lib.events import Kind

_logger = logging.getLogger(__name__)

KINDS = [
    (Kind.PAYMENT_SUCCEEDED.value, "Payment"),
    (Kind.REFUND_SUCCEEDED.value, "Refund"),
    (Kind.REFUND_FAILED.value, "Refund Failed"),
    (Kind.DISPUTE_OPENED.value, "Dispute Opened"),
    (Kind.DISPUTE_WON.value, "Dispute Won"),
    (Kind.DISPUTE_LOST.value, "Dispute Lost"),
    (Kind.PAYOUT_FAILED.value, "Payout Failed"),
]


class O2cGatewayTransaction(models.Model):
    _name = "o2c.gateway.transaction"
    _description = "O2C Gateway Transaction"
    _order = "occurred_at desc, id desc"

    name = fields.Char(compute="_compute_name", store=True)
    connection_id = fields.Many2one(
        "o2c.connection", required=True, index=True, ondelete="restrict", readonly=True
    )
    company_id = fields.Many2one(
        related="connection_id.company_id", store=True, index=True
    )
    gateway = fields.Char(required=True, readonly=True)
    kind = fields.Selection(KINDS, required=True, readonly=True, index=True)
    state = fields.Selection(
        [
            ("draft", "Recorded"),
            ("posted", "Posted"),
            ("settled", "Settled"),
            ("cancelled", "Cancelled"),
        ],
        default="draft",
        required=True,
        index=True,
        help="Recorded: the fact is known, nothing booked (yet). Posted: its payment "
        "or entry is posted. Settled: included in a booked payout.",
    )
    charge_ref = fields.Char(
        index=True,
        readonly=True,
        help="The payment at the gateway (ch_..., pspReference)",
    )
    object_ref = fields.Char(
        required=True,
        readonly=True,
        help="The object of the fact: charge, refund, dispute or payout id",
    )
    payment_ref = fields.Char(readonly=True, help="PaymentIntent / payment reference")
    invoice_ref = fields.Char(readonly=True)
    order_ref = fields.Char(readonly=True)
    customer_ref = fields.Char(readonly=True)
    occurred_at = fields.Datetime(readonly=True, index=True)
    amount = fields.Monetary(readonly=True)
    fee = fields.Monetary(readonly=True, help="Fee stated by the event, if any")
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    payment_id = fields.Many2one(
        "account.payment", readonly=True, index="btree_not_null"
    )
    invoice_id = fields.Many2one("account.move", readonly=True, index="btree_not_null")
    credit_note_id = fields.Many2one("account.move", readonly=True)
    move_id = fields.Many2one("account.move", string="Journal Entry", readonly=True)
    partner_id = fields.Many2one("res.partner", readonly=True, index=True)
    settlement_id = fields.Many2one(
        "o2c.gateway.settlement",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
    )
    original_id = fields.Many2one(
        "o2c.gateway.transaction",
        string="Original Payment",
        readonly=True,
        index="btree_not_null",
        help="For refunds and disputes: the payment",
    )
    refund_ids = fields.One2many(
        "o2c.gateway.transaction",
        "original_id",
        domain=[("kind", "=", Kind.REFUND_SUCCEEDED.value)],
    )
    refunded_amount = fields.Monetary(compute="_compute_refunded_amount")
    event_id = fields.Many2one(
        "o2c.event", readonly=True, index="btree_not_null", ondelete="set null"
    )
    note = fields.Text(readonly=True)

    _business_key_uniq = models.UniqueIndex(
        "(connection_id, kind, object_ref)",
        "This gateway fact was already booked (connection, kind, reference).",
    )
    _charge_idx = models.Index("(connection_id, charge_ref)")

    # --- COMPUTE METHODS

    @api.depends("kind", "object_ref", "gateway")
    def _compute_name(self):
        labels = dict(KINDS)
        for rec in self:
            rec.name = (
                f"{(rec.gateway or '').title()} {labels.get(rec.kind, rec.kind)} "
                f"{rec.object_ref or ''}".strip()
            )

    @api.depends("refund_ids.amount", "refund_ids.state")
    def _compute_refunded_amount(self):
        for rec in self:
            rec.refunded_amount = sum(
                rec.refund_ids.filtered(lambda r: r.state != "cancelled").mapped(
                    "amount"
                )
            )

    # --- BUSINESS METHODS

    @api.model
    def _pg_insert(self, vals):
        """Insert one fact; return ``(transaction, created)``.

        ``created`` is False when the business key exists: the caller books nothing.
        The INSERT runs in a savepoint so a unique violation leaves the enclosing
        transaction usable; a concurrent insert of the same key waits for the other
        transaction and then fails here, which is exactly the exactly-once guarantee.
        """
        try:
            with self.env.cr.savepoint():
                record = self.create(vals)
                record.flush_recordset()
                return record, True
        except psycopg2.errors.UniqueViolation:
            existing = self.search(
                [
                    ("connection_id", "=", vals["connection_id"]),
                    ("kind", "=", vals["kind"]),
                    ("object_ref", "=", vals["object_ref"]),
                ],
                limit=1,
            )
            _logger.info(
                "O2C gateway: %s %s already booked, nothing to do",
                vals["kind"],
                vals["object_ref"],
            )
            return existing, False

    @api.model
    def _pg_find_payment(self, connection, charge_ref, payment_ref=None):
        """The posted payment transaction of a charge (by charge, then payment ref)."""
        base = [
            ("connection_id", "=", connection.id),
            ("kind", "=", Kind.PAYMENT_SUCCEEDED.value),
            ("state", "in", ("posted", "settled")),
        ]
        for field_name, ref in (
            ("charge_ref", charge_ref),
            ("object_ref", charge_ref),
            ("payment_ref", payment_ref),
        ):
            if ref:
                found = self.search([*base, (field_name, "=", ref)], limit=1)
                if found:
                    return found
        return self.browse()

    # --- PUBLIC ACTIONS

    def action_open_payment(self):
        self.ensure_one()
        return self.payment_id._get_records_action() if self.payment_id else False

    def action_open_event(self):
        self.ensure_one()
        return self.event_id._get_records_action() if self.event_id else False
