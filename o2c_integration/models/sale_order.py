# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Sale orders received from a CRM / web shop: origin, credit hold, status sequence."""

from odoo import fields, models
from odoo.exceptions import UserError

MANAGER_GROUP = "o2c_integration.group_o2c_manager"


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ["sale.order", "o2c.order.source.mixin"]

    o2c_event_id = fields.Many2one(
        "o2c.event",
        string="Source Event",
        readonly=True,
        copy=False,
        ondelete="set null",
    )
    o2c_credit_hold = fields.Boolean(
        string="Credit Hold",
        readonly=True,
        copy=False,
        tracking=True,
        index=True,
        help="Received from the source but not confirmed: the customer is over the "
        "credit limit or flagged 'credit hold'. An O2C manager releases it.",
    )
    o2c_credit_hold_reason = fields.Text(
        string="Hold Reason", readonly=True, copy=False
    )
    o2c_credit_release_reason = fields.Text(
        string="Release Reason", readonly=True, copy=False
    )
    o2c_credit_released_by_id = fields.Many2one(
        "res.users", string="Released By", readonly=True, copy=False
    )
    o2c_credit_released_at = fields.Datetime(
        string="Released On", readonly=True, copy=False
    )
    o2c_status_seq = fields.Integer(
        string="Status Updates Sent",
        readonly=True,
        copy=False,
        help="Sequence of the status updates queued for the source (sent in the body "
        "so that the source can discard an older update delivered late).",
    )
    o2c_last_status = fields.Char(string="Last Status Sent", readonly=True, copy=False)

    # --- CRUD / OVERRIDES

    def action_confirm(self):
        """A held order is confirmed only through the release (manager, with reason)."""
        if not self.env.context.get("o2c_credit_release") and any(
            order.o2c_credit_hold for order in self
        ):
            held = self.filtered("o2c_credit_hold")
            raise UserError(
                self.env._(
                    "%(orders)s is on credit hold: an O2C manager must release it "
                    "first (Release Credit Hold).",
                    orders=", ".join(held.mapped("name")),
                )
            )
        return super().action_confirm()

    def _prepare_invoice(self):
        vals = super()._prepare_invoice()
        if self.o2c_connection_id:
            vals["o2c_connection_id"] = self.o2c_connection_id.id
            vals["o2c_external_id"] = self.o2c_external_id
        return vals

    # --- BUSINESS METHODS

    def _o2c_release_credit_hold(self, reason):
        """Confirm held orders (and invoice them per the connection policy), audited.

        Only O2C managers may release; the confirmation itself runs as superuser
        because an O2C manager needs no Sales rights to take the credit decision.
        """
        if not (self.env.su or self.env.user.has_group(MANAGER_GROUP)):
            raise UserError(self.env._("Only O2C managers can release a credit hold."))
        if not (reason or "").strip():
            raise UserError(self.env._("Give the reason of the release."))
        user = self.env.user
        sync = self.env["o2c.order.sync"].sudo()
        released = self.browse()
        for order in self.sudo().filtered(
            lambda o: o.o2c_credit_hold and o.state in ("draft", "sent")
        ):
            order.write(
                {
                    "o2c_credit_hold": False,
                    "o2c_credit_release_reason": reason,
                    "o2c_credit_released_by_id": user.id,
                    "o2c_credit_released_at": fields.Datetime.now(),
                }
            )
            order.with_context(o2c_credit_release=True).action_confirm()
            self.env["o2c.audit.log"]._log(
                "order.credit_release",
                f"Credit hold of {order.name} released by {user.name}",
                records=order,
                event=order.o2c_event_id or None,
                data={
                    "reason": reason,
                    "amount": order.amount_total,
                    "currency": order.currency_id.name,
                    "partner": order.partner_id.commercial_partner_id.id,
                },
            )
            self.env["o2c.exception"]._close_by_key(
                f"o2c.credit_hold:{order.id}",
                self.env._("Released by %(u)s: %(r)s", u=user.name, r=reason),
            )
            order.message_post(body=self.env._("Credit hold released: %(r)s", r=reason))
            self.env["o2c.order.status"]._o2c_queue(order, "released", reason=reason)
            if order.o2c_connection_id:
                sync._o2c_invoice(order.o2c_connection_id, order)
            released |= order
        return released

    # --- PUBLIC ACTIONS

    def action_o2c_release_credit_hold(self):
        """Open the release wizard (the reason is mandatory)."""
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Release Credit Hold"),
            "res_model": "o2c.credit.release.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_order_ids": self.filtered("o2c_credit_hold").ids},
        }

    def action_o2c_open_event(self):
        self.ensure_one()
        if not self.o2c_event_id:
            return False
        return {
            "type": "ir.actions.act_window",
            "res_model": "o2c.event",
            "res_id": self.o2c_event_id.id,
            "view_mode": "form",
        }
