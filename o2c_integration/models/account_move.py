# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Invoice status changes of CRM / web-shop orders, sent back to the source.

How a transition is detected (robust against every way Odoo changes an invoice):

* ``o2c_status`` is a STORED computed field depending on ``state`` and
  ``payment_state``. Whatever changes them (posting, reset to draft, cancel, a payment
  registered, a bank line reconciled, an unreconciliation, a credit note) makes the ORM
  recompute it at the next flush. ``o2c_status_sent`` remembers the last status queued
  for the source; a difference is a transition to report.
* The compute registers the moves in a *precommit* hook of the transaction; at commit
  the hook queues one ``status.out`` event per transition (same transaction: the status
  update exists if and only if the change is committed). Queuing is idempotent: a move
  whose status equals ``o2c_status_sent`` is skipped.
* ``_post``, ``button_draft`` and ``button_cancel`` also queue at once (the common
  cases are visible in the same transaction, e.g. in tests and in the order handler).
* A scheduled action (``_cron_o2c_status_drift``) is the safety net: queuing in the
  precommit hook never blocks the accountant's commit (errors are logged), and a
  rolled-back savepoint clears the pending hooks of the transaction (Odoo's
  ``_FlushingSavepoint``); the SQL comparison of the two columns finds such a missed
  transition and queues it.

Note: Odoo runs precommit hooks at every flushing savepoint too, not only at commit,
so the queuing may happen earlier in the transaction; it is re-entrant (the move is
marked sent before its update is queued).

Statuses: ``invoiced`` (posted, not paid), ``partially_paid``, ``in_payment``, ``paid``,
``reversed`` (fully credited), ``invoice_draft`` (reset to draft after being announced)
and ``invoice_cancelled``. The last two are only sent for an invoice the source
heard of.
"""

import logging

from odoo import api, fields, models
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

O2C_STATUSES = [
    ("invoice_draft", "Draft"),
    ("invoiced", "Invoiced"),
    ("partially_paid", "Partially Paid"),
    ("in_payment", "In Payment"),
    ("paid", "Paid"),
    ("reversed", "Reversed"),
    ("invoice_cancelled", "Cancelled"),
]
PAYMENT_STATUS = {
    "not_paid": "invoiced",
    "partial": "partially_paid",
    "in_payment": "in_payment",
    "paid": "paid",
    "reversed": "reversed",
    "blocked": "invoiced",
    "invoicing_legacy": "invoiced",
}
#: statuses that only make sense to a source that already heard of the invoice
_FOLLOW_UP_ONLY = ("invoice_draft", "invoice_cancelled")
_PRECOMMIT_KEY = "o2c_integration.invoice_status"


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = ["account.move", "o2c.order.source.mixin"]

    o2c_status = fields.Selection(
        O2C_STATUSES,
        string="Source Status",
        compute="_compute_o2c_status",
        store=True,
        help="Status of the invoice as reported to the source system.",
    )
    o2c_status_sent = fields.Char(string="Status Sent", readonly=True, copy=False)

    # --- COMPUTE METHODS

    @api.depends("state", "payment_state", "o2c_connection_id", "move_type")
    def _compute_o2c_status(self):
        transitions = []
        for move in self:
            status = False
            if move.o2c_connection_id and move.move_type == "out_invoice":
                if move.state == "posted":
                    status = PAYMENT_STATUS.get(move.payment_state, "invoiced")
                elif move.state == "cancel":
                    status = "invoice_cancelled"
                else:
                    status = "invoice_draft"
            move.o2c_status = status
            if move._o2c_status_to_send(status):
                transitions.append(move.id)
        if transitions:
            self._o2c_register_precommit(transitions)

    def _o2c_status_to_send(self, status):
        self.ensure_one()
        if not status or status == self.o2c_status_sent:
            return False
        return status not in _FOLLOW_UP_ONLY or bool(self.o2c_status_sent)

    def _o2c_register_precommit(self, move_ids):
        """Queue the status updates of ``move_ids`` when the transaction commits."""
        precommit = self.env.cr.precommit
        pending = precommit.data.get(_PRECOMMIT_KEY)
        if pending is None:
            pending = precommit.data[_PRECOMMIT_KEY] = set()
            env = self.env

            @precommit.add
            def _o2c_queue_invoice_status():
                ids = precommit.data.pop(_PRECOMMIT_KEY, set())
                moves = env["account.move"].sudo().browse(ids).exists()
                try:
                    with env.cr.savepoint():
                        moves._o2c_sync_status()
                except (
                    Exception
                ):  # never block the accountant's commit: the cron catches up
                    _logger.exception(
                        "O2C: could not queue invoice status updates %s", ids
                    )

        pending.update(move_ids)

    # --- OVERRIDES

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        posted.filtered("o2c_connection_id")._o2c_sync_status()
        return posted

    def button_draft(self):
        res = super().button_draft()
        self.filtered("o2c_connection_id")._o2c_sync_status()
        return res

    def button_cancel(self):
        res = super().button_cancel()
        self.filtered("o2c_connection_id")._o2c_sync_status()
        return res

    # --- BUSINESS METHODS

    def _o2c_sync_status(self):
        """Queue one status update per move whose status changed since the last one."""
        Status = self.env["o2c.order.status"]
        todo = [
            (move, move.o2c_status)
            for move in self.sudo().filtered("o2c_connection_id")
            if move._o2c_status_to_send(move.o2c_status)
        ]
        if not todo:
            return
        # Marked BEFORE queuing: queuing opens savepoints, a savepoint flushes the
        # cursor and runs the precommit hooks, which re-enter this method. Marked in
        # SQL: an ORM write of account.move runs the whole journal-entry machinery
        # (balance checks, dynamic lines sync) for this bookkeeping column.
        self.env.execute_query(
            SQL(
                """UPDATE account_move AS m SET o2c_status_sent = v.status
                     FROM (VALUES %s) AS v(id, status) WHERE m.id = v.id""",
                SQL(", ").join(
                    SQL("(%s, %s)", move.id, status) for move, status in todo
                ),
            )
        )
        self.browse([move.id for move, _status in todo]).invalidate_recordset(
            ["o2c_status_sent"]
        )
        for move, status in todo:
            order = move.line_ids.sale_line_ids.order_id[:1] or self.env[
                "sale.order"
            ].search(
                [
                    ("o2c_connection_id", "=", move.o2c_connection_id.id),
                    ("o2c_external_id", "=", move.o2c_external_id),
                ],
                limit=1,
            )
            if order:
                Status._o2c_queue(order, status, invoice=move)

    @api.model
    def _cron_o2c_status_drift(self, limit=500):
        """Safety net: queue the transitions whose precommit queuing failed."""
        self.env.flush_all()
        self.env.cr.execute(
            """SELECT id FROM account_move
                WHERE o2c_connection_id IS NOT NULL AND o2c_status IS NOT NULL
                  AND o2c_status IS DISTINCT FROM o2c_status_sent
                  AND (o2c_status NOT IN %s OR o2c_status_sent IS NOT NULL)
                ORDER BY id LIMIT %s""",
            [_FOLLOW_UP_ONLY, limit],
        )
        moves = self.sudo().browse([row[0] for row in self.env.cr.fetchall()])
        if moves:
            _logger.info("O2C: %s invoice status transitions caught up", len(moves))
            moves._o2c_sync_status()
        return moves
