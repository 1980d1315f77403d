# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""External id -> Odoo record bindings, the exactly-once guarantee of the order flow.

A binding says "record ``res_id`` of ``model`` is the source system's ``external_id`` on
``connection_id``". The unique index on ``(connection_id, model, external_id)`` is what
makes five deliveries, a replay, a re-pull or two concurrent workers create one sale
order (or one customer): the handler INSERTS the binding FIRST, before it creates the
record, in the same transaction. Whoever loses the insert either sees the winner's row
(then it updates instead of creating) or, if the winner has not committed yet or
committed after the loser's snapshot, gets a :class:`RetryableError` and is retried by
the event machinery a few seconds later, when the row is visible.

The binding also remembers what was applied last (content hash, lines signature, the
source's ``source_updated_at``) so that identical re-sends change nothing and stale
updates are ignored.
"""

import logging

import psycopg2

from odoo import api, fields, models

from ..lib.exceptions import RetryableError

_logger = logging.getLogger(__name__)


class O2cConcurrentUpdate(RetryableError):
    """Another transaction is creating the same external record right now."""


class O2cConnectionRecordMixin(models.AbstractModel):
    """A row that belongs to one connection (bindings, mapping tables).

    It follows the connection's company (multi-company record rules) and disappears
    with the connection.
    """

    _name = "o2c.connection.record.mixin"
    _description = "O2C record of a connection"

    connection_id = fields.Many2one(
        "o2c.connection", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="connection_id.company_id", store=True)


class O2cOrderSourceMixin(models.AbstractModel):
    """A business record received from a connection (sale order, its invoices)."""

    _name = "o2c.order.source.mixin"
    _description = "O2C record from a CRM / web shop"

    o2c_connection_id = fields.Many2one(
        "o2c.connection",
        string="Source Connection",
        index="btree_not_null",
        readonly=True,
        copy=False,
        ondelete="restrict",
    )
    o2c_external_id = fields.Char(
        string="Source Order ID", index="btree_not_null", readonly=True, copy=False
    )


class O2cBinding(models.Model):
    _name = "o2c.binding"
    _inherit = ["o2c.connection.record.mixin"]
    _description = "O2C External ID Binding"
    _order = "id desc"
    _rec_name = "external_id"

    model = fields.Char(required=True)
    external_id = fields.Char(required=True)
    res_id = fields.Integer(
        string="Record ID",
        help="0 while the record is being created in the same transaction, or for a "
        "tombstone (an order cancelled at the source before we ever saw it).",
    )
    record_name = fields.Char(compute="_compute_record_name")
    content_hash = fields.Char(
        readonly=True, help="content_hash() of the last applied order"
    )
    lines_signature = fields.Char(readonly=True)
    source_updated_at = fields.Datetime(
        readonly=True, help="source_updated_at of the last applied document (UTC)"
    )
    tombstone = fields.Boolean(
        readonly=True, help="Cancelled at the source before it was created here."
    )
    last_event_id = fields.Many2one("o2c.event", readonly=True, ondelete="set null")

    _external_uniq = models.UniqueIndex(
        "(connection_id, model, external_id)",
        "This external record is already bound on this connection.",
    )
    _record_idx = models.Index("(model, res_id)")

    # --- COMPUTE METHODS

    def _compute_record_name(self):
        for rec in self:
            record = rec._get_record()
            rec.record_name = record.display_name if record else False

    # --- BUSINESS METHODS

    def _get_record(self):
        """The bound record, or an empty recordset (tombstone, deleted record)."""
        self.ensure_one()
        if not self.res_id or self.model not in self.env:
            return self.env[self.model].browse() if self.model in self.env else None
        return self.env[self.model].browse(self.res_id).exists()

    @api.model
    def _o2c_find(self, connection, model, external_id):
        return self.sudo().search(
            [
                ("connection_id", "=", connection.id),
                ("model", "=", model),
                ("external_id", "=", external_id),
            ],
            limit=1,
        )

    @api.model
    def _o2c_claim(self, connection, model, external_id):
        """Return ``(binding, created)`` for the external id, inserting it first.

        ``created`` is True when this transaction owns a brand new binding (``res_id``
        still 0): the caller creates the record and sets ``res_id``. Raises
        :class:`O2cConcurrentUpdate` (retryable) when a concurrent transaction holds or
        just committed the same key.
        """
        existing = self._o2c_find(connection, model, external_id)
        if existing:
            return existing, False
        try:
            with self.env.cr.savepoint():
                binding = self.sudo().create(
                    {
                        "connection_id": connection.id,
                        "model": model,
                        "external_id": external_id,
                        "res_id": 0,
                    }
                )
                self.env.flush_all()
        except (
            psycopg2.errors.UniqueViolation,
            psycopg2.errors.SerializationFailure,
        ) as exc:
            # The winner committed after our snapshot (REPEATABLE READ): its row is
            # invisible to us until the next transaction. Retry shortly.
            _logger.info(
                "O2C binding %s/%s/%s created concurrently: retrying",
                connection.id,
                model,
                external_id,
            )
            raise O2cConcurrentUpdate(
                f"{model} {external_id} is being created by another worker",
                retry_after=5,
            ) from exc
        return binding, True

    def _o2c_bind(self, record, **vals):
        """Point the binding to ``record`` and store what was applied."""
        self.ensure_one()
        vals.update(res_id=record.id, tombstone=False)
        self.sudo().write(vals)

    # --- PUBLIC ACTIONS

    def action_open_record(self):
        self.ensure_one()
        record = self._get_record()
        if not record:
            return False
        return {
            "type": "ir.actions.act_window",
            "res_model": record._name,
            "res_id": record.id,
            "view_mode": "form",
        }
