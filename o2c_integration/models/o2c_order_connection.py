# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Order-flow settings of a connection: CRM / web-shop orders in, status back.

Orders arrive two ways, both ending as ``o2c.event`` rows processed by the order handler
(``o2c_order_event.py``):

* pushed to the generic webhook ``/o2c/webhook/<key>``: either a bare order document
  (see ``readme/ORDER_FORMAT.md``) or an envelope ``{"type": "order.created", "id":
  "<event id>", "data": {order}}``;
* pulled by a scheduled action created per connection (``GET <pull path>?cursor=..
  &limit=..``, answer ``{"orders": [...], "next_cursor": "..", "has_more": true}``),
  the cursor bookmark being saved on the connection.

Idempotency of a bare or pulled order: its event key is the order's external id plus
its ``content_hash()``. The same order pulled again (or re-sent with other whitespace,
key order or number spelling) is a duplicate and is not processed again; a changed order
has another hash, is stored as a new event and is applied as an update.
"""

import json
import logging
from decimal import Decimal

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..lib import json_depth
from ..lib.exceptions import O2CError, ValidationError
from ..lib.order_format import validate_order
from ..lib.signature import content_hash
from .o2c_access import MANAGER_GROUP, o2c_require

_logger = logging.getLogger(__name__)

ACTION_EVENT_TYPES = {
    "create": "order.created",
    "update": "order.updated",
    "cancel": "order.cancelled",
}
ORDER_EVENT_TYPES = tuple(ACTION_EVENT_TYPES.values())
_CRON_FIELDS = {
    "active",
    "order_flow_enabled",
    "order_pull_path",
    "order_pull_interval",
    "name",
}


def order_event_key(doc):
    """``(event_type, external_id)`` of an order document (dict).

    The external id combines the order's id and the hash of its normalised content, so
    an identical re-send is a duplicate and a changed order a new event. A document
    that does not validate is keyed by the hash of its canonical JSON: it is stored
    anyway and fails at processing with the list of its violations (nothing lost).
    The hash is cut to 128 bits (32 hex digits): ample against collisions between the
    versions of one order, and short enough to read in the event list.
    """
    try:
        order = validate_order(doc)
    except ValidationError:
        canonical = json.dumps(doc, sort_keys=True, separators=(",", ":"), default=str)
        action = doc.get("action") if isinstance(doc.get("action"), str) else "create"
        ext = doc.get("external_id") if isinstance(doc.get("external_id"), str) else "?"
        digest = content_hash(canonical.encode())
        return ACTION_EVENT_TYPES.get(action, "order.created"), _key(ext[:200], digest)
    return ACTION_EVENT_TYPES[order.action], _key(
        order.external_id, order.content_hash()
    )


def _key(external_id, digest):
    return f"order:{external_id}:{digest[:32]}"


def parse_json_exact(text):
    """Parse JSON keeping decimals exact (re-serialised as strings, never floats).

    The nesting depth is bounded (``ValueError`` beyond it), see ``lib/json_depth``.
    """
    return json_depth.loads(text, parse_float=Decimal)


def dump_json_exact(data):
    return json.dumps(data, default=str, ensure_ascii=False)


class O2cConnection(models.Model):
    _inherit = "o2c.connection"

    order_flow_enabled = fields.Boolean(
        string="Order Flow",
        tracking=True,
        help="Turn orders received from this source into sale orders and invoices.",
    )
    order_invoice_policy = fields.Selection(
        [
            ("post", "Post the invoice at once"),
            ("batch", "Post the invoice at once, in batches"),
            ("delivery", "Invoice at delivery"),
        ],
        string="Invoicing",
        default="post",
        required=True,
        tracking=True,
        help="Post the invoice at once: the confirmed order is invoiced and the "
        "invoice posted right away, in the same transaction.\n"
        "Post at once, in batches: for high volumes; a queued job invoices the "
        "orders confirmed in the last seconds together (one order after the other "
        "costs about twice as much).\nInvoice at delivery: the order is confirmed "
        "only; a scheduled action invoices it once every goods line is delivered.",
    )
    order_credit_check = fields.Boolean(
        string="Credit Control",
        default=True,
        tracking=True,
        help="Hold orders that take the customer over the credit limit (Odoo's partner "
        "credit limit), or whose customer is flagged 'credit hold'.",
    )
    order_team_id = fields.Many2one("crm.team", string="Sales Team")
    order_pricelist_id = fields.Many2one(
        "product.pricelist",
        string="Pricelist",
        help="Used when its currency is the order's; otherwise a pricelist in the "
        "order's currency is looked up.",
    )
    order_shipping_product_id = fields.Many2one(
        "product.product",
        string="Shipping Product",
        help="Service product of the shipping line when the order has no shipping SKU",
    )
    order_pull_path = fields.Char(
        string="Pull Path",
        help="e.g. /api/orders: GET with ?cursor=..&limit=.. "
        "answering {orders: [...], next_cursor, has_more}. Empty: webhooks only.",
    )
    order_pull_cursor = fields.Char(
        string="Pull Cursor", copy=False, help="Bookmark of the last page pulled."
    )
    order_pull_page_size = fields.Integer(string="Page Size", default=100)
    order_pull_interval = fields.Integer(string="Pull Every (min)", default=15)
    order_pull_cron_id = fields.Many2one(
        "ir.cron",
        string="Pull Schedule",
        copy=False,
        readonly=True,
        ondelete="set null",
    )
    order_last_pull_at = fields.Datetime(string="Last Pull", readonly=True, copy=False)
    order_status_path = fields.Char(
        string="Status Callback Path",
        help="POST target on the source for status updates (held, released, "
        "confirmed, invoiced, paid, ...). May contain {external_id}. Empty: no "
        "status is sent.",
    )
    tax_mapping_ids = fields.One2many("o2c.tax.mapping", "connection_id")
    payment_term_mapping_ids = fields.One2many(
        "o2c.payment.term.mapping", "connection_id"
    )
    fiscal_position_mapping_ids = fields.One2many(
        "o2c.fiscal.position.mapping", "connection_id"
    )
    order_count = fields.Integer(compute="_compute_order_count", string="Orders")

    # --- COMPUTE METHODS

    def _compute_order_count(self):
        counts = dict(
            self.env["sale.order"]._read_group(
                [("o2c_connection_id", "in", self.ids)],
                ["o2c_connection_id"],
                ["__count"],
            )
        )
        for rec in self:
            rec.order_count = counts.get(rec, 0)

    # --- CRUD

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        records.filtered("order_pull_path")._o2c_sync_pull_cron()
        return records

    def write(self, vals):
        res = super().write(vals)
        if _CRON_FIELDS & set(vals):
            self._o2c_sync_pull_cron()
        return res

    def unlink(self):
        crons = self.sudo().order_pull_cron_id
        res = super().unlink()
        crons.unlink()
        return res

    def _o2c_sync_pull_cron(self):
        """One scheduled action per connection that pulls orders (created on demand)."""
        model_id = self.env["ir.model"]._get_id("o2c.connection")
        for conn in self.sudo():
            wanted = bool(
                conn.active and conn.order_flow_enabled and conn.order_pull_path
            )
            vals = {
                "name": f"O2C: pull orders from {conn.name}",
                "interval_number": max(conn.order_pull_interval, 1),
                "interval_type": "minutes",
                "active": wanted,
            }
            if conn.order_pull_cron_id:
                conn.order_pull_cron_id.write(vals)
            elif wanted:
                conn.order_pull_cron_id = (
                    self.env["ir.cron"]
                    .sudo()
                    .create(
                        {
                            **vals,
                            "model_id": model_id,
                            "state": "code",
                            "code": f"model.browse({conn.id})._cron_o2c_pull_orders()",
                            "user_id": self.env.ref("base.user_root").id,
                        }
                    )
                )

    # --- WEBHOOK HOOKS

    def _o2c_parse_webhook(self, body, headers):
        """Accept a bare order document as well as the generic envelope.

        A body with ``schema_version`` and ``external_id`` at the top is an order: its
        event type comes from ``X-O2C-Event-Type`` or its ``action``, its key from
        ``X-O2C-Event-Id`` or (order id + content hash).
        """
        self.ensure_one()
        if self.connection_type != "generic" or not self.order_flow_enabled:
            return super()._o2c_parse_webhook(body, headers)
        text = body.decode("utf-8")
        data = parse_json_exact(text)
        if not (
            isinstance(data, dict)
            and "schema_version" in data
            and "external_id" in data
            and "type" not in data
        ):
            return super()._o2c_parse_webhook(body, headers)
        event_type, external_id = order_event_key(data)
        return [
            {
                "event_type": headers.get("X-O2C-Event-Type") or event_type,
                "external_id": headers.get("X-O2C-Event-Id") or external_id,
                "payload": text,
            }
        ]

    # --- PULL

    def _o2c_pull_orders(self, max_pages=20):
        """Pull order pages from the cursor bookmark; return the number of new events.

        Every order is stored as an inbound event (deduplicated by order id + content
        hash, see the module docstring) and queued. The bookmark is written after each
        page, in this transaction: a crash re-pulls the last pages, which only produces
        duplicates that are recognised as such.
        """
        self.ensure_one()
        if not (self.order_flow_enabled and self.order_pull_path):
            return 0
        Event = self.env["o2c.event"].sudo()
        cursor = self.order_pull_cursor
        stored = 0
        for _page in range(max_pages):
            params = {"limit": max(self.order_pull_page_size, 1)}
            if cursor:
                params["cursor"] = cursor
            response = self._o2c_request(
                "GET", self.order_pull_path, params=params, event_type="order.pull"
            )
            try:
                data = parse_json_exact(response.text)
                orders = data.get("orders", [])
            except (ValueError, AttributeError) as exc:
                raise UserError(
                    self.env._(
                        "The order pull of %(c)s answered something that is not an "
                        "order page: %(e)s",
                        c=self.name,
                        e=str(exc)[:200],
                    )
                ) from exc
            for doc in orders:
                if not isinstance(doc, dict):
                    continue
                event_type, external_id = order_event_key(doc)
                _event, created = Event._store_inbound(
                    self,
                    event_type,
                    external_id,
                    dump_json_exact(doc),
                    correlation_id=f"pull:{self.id}:{cursor or ''}",
                )
                stored += int(created)
            next_cursor = data.get("next_cursor")
            if next_cursor:
                cursor = str(next_cursor)
                self.sudo().order_pull_cursor = cursor
            if not data.get("has_more") or not next_cursor:
                break
        self.sudo().order_last_pull_at = fields.Datetime.now()
        _logger.info("O2C order pull %s: %s new order events", self.id, stored)
        return stored

    def _cron_o2c_pull_orders(self):
        """Scheduled action wrapper: a failing source opens a 'connection down' item."""
        key = f"o2c.order.pull:{self.id}"
        try:
            count = self._o2c_pull_orders()
        except (O2CError, UserError) as exc:
            _logger.warning("O2C order pull %s failed: %s", self.id, exc)
            self.env["o2c.exception"]._raise(
                "connection_down",
                self.env._("Order pull from %(c)s failed", c=self.name),
                dedup_key=key,
                severity="high",
                connection=self,
                record=self,
                description=str(exc)[:2000],
            )
            return 0
        self.env["o2c.exception"]._close_by_key(
            key, self.env._("The order pull works again.")
        )
        return count

    # --- PUBLIC ACTIONS

    def action_o2c_pull_orders(self):
        self.ensure_one()
        o2c_require(self, MANAGER_GROUP, "connection.pull_orders")
        count = self._o2c_pull_orders()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.name,
                "message": self.env._("%(n)s new order events queued.", n=count),
                "type": "success",
            },
        }

    def action_o2c_open_orders(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Orders"),
            "res_model": "sale.order",
            "view_mode": "list,form",
            "domain": [("o2c_connection_id", "=", self.id)],
        }
