# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Status updates sent back to the source system (the fake CRM in tests).

A status update is an ``o2c.event`` of type ``status.out``, stored with
``_store_inbound`` and processed by :meth:`O2cOrderStatus._o2c_handle_status_event`,
which POSTs it to the connection's status path. Riding on the event machinery gives
retry with backoff, the dead-letter queue, the exception for a person and replay for
free; the HTTP call itself is logged as an outbound event by ``_o2c_request``.

Ordering and idempotency: each update carries a per-order ``sequence``; its
``Idempotency-Key`` is ``<order id>:<status>:<sequence>`` so that a retried call is
recognised by the source, while a second real transition to the same status (paid,
unreconciled, paid again) is not swallowed. A source receiving updates out of order
(a retried one arriving after a newer one) keeps the highest sequence.
"""

import json
import logging
from urllib.parse import quote

from odoo import api, fields, models
from odoo.tools import float_repr

from ..lib.exceptions import PermanentError

_logger = logging.getLogger(__name__)

STATUS_EVENT_TYPE = "status.out"
STATUS_SCHEMA_VERSION = "1.0"


def _money(amount, currency):
    return float_repr(currency.round(amount), currency.decimal_places)


class O2cOrderStatus(models.AbstractModel):
    _name = "o2c.order.status"
    _description = "O2C Status Updates to the Source"

    @api.model
    def _o2c_queue(self, order, status, invoice=None, reason=None):
        """Queue ``status`` of ``order`` for its source; return the event (or empty).

        Nothing is queued for orders that did not come from a connection, or when the
        connection has no status path.
        """
        order = order.sudo()
        conn = order.o2c_connection_id
        Event = self.env["o2c.event"].sudo()
        if not conn or not conn.order_status_path or not order.o2c_external_id:
            return Event.browse()
        seq = order.o2c_status_seq + 1
        body = self._o2c_status_body(order, status, seq, invoice, reason)
        order.write({"o2c_status_seq": seq, "o2c_last_status": status})
        event, _created = Event._store_inbound(
            conn,
            STATUS_EVENT_TYPE,
            f"status:{order.o2c_external_id}:{status}:{seq}",
            json.dumps(body),
            correlation_id=f"order:{order.o2c_external_id}",
        )
        return event

    @api.model
    def _o2c_status_body(self, order, status, seq, invoice=None, reason=None):
        body = {
            "schema_version": STATUS_SCHEMA_VERSION,
            "order_external_id": order.o2c_external_id,
            "reference": order.client_order_ref or None,
            "status": status,
            "sequence": seq,
            "occurred_at": fields.Datetime.now().isoformat() + "Z",
            "odoo_order": order.name,
            "order_state": order.state,
            "credit_hold": order.o2c_credit_hold,
            "reason": reason or None,
            "invoice": None,
            "idempotency_key": f"{order.o2c_external_id}:{status}:{seq}",
        }
        if invoice:
            currency = invoice.currency_id
            body["invoice"] = {
                "number": invoice.name,
                "state": invoice.state,
                "payment_state": invoice.payment_state,
                "invoice_date": invoice.invoice_date
                and invoice.invoice_date.isoformat(),
                "currency": currency.name,
                "amount_total": _money(invoice.amount_total, currency),
                "amount_residual": _money(invoice.amount_residual, currency),
            }
        return body

    @api.model
    def _o2c_handle_status_event(self, event):
        """Handler of ``status.out``: one POST, retried by the event machinery.

        The HTTP client's own inline retries are disabled (``max_attempts=1``): the
        backoff lives on the event (minutes, not seconds, and visible), so a CRM down
        for an hour does not hold a worker.
        """
        conn = event.connection_id.sudo()
        path = conn.order_status_path
        if not path:
            raise PermanentError("the connection has no status callback path")
        body = json.loads(event.sudo().payload)
        external_id = body["order_external_id"]
        path = path.replace("{external_id}", quote(str(external_id), safe=""))
        conn._o2c_request(
            "POST",
            path,
            json_body=body,
            idempotency_key=body.get("idempotency_key")
            or f"{external_id}:{body['status']}",
            event_type=STATUS_EVENT_TYPE,
            correlation_id=event.correlation_id,
            client_overrides={"max_attempts": 1},
        )
        return (
            self.env["sale.order"]
            .sudo()
            .search(
                [
                    ("o2c_connection_id", "=", conn.id),
                    ("o2c_external_id", "=", external_id),
                ],
                limit=1,
            )
        )
