# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Credit control of incoming orders, and the release wizard.

Exposure of a customer (commercial partner), in company currency:

    open receivables   residual of its posted, unreconciled receivable lines
  + open orders        confirmed orders: what is still to invoice
                       (``amount_to_invoice``)
                       + orders already on credit hold (``amount_total``)
  + this order         its total (taxes included)

Ordinary quotations are left out: they commit nobody. The limit is Odoo's own partner
``credit_limit`` (Accounting > Customers, shown when "Sales Credit Limit" is enabled in
the settings); a limit of 0 means "no limit", as in Odoo. Independently of any limit, a
customer flagged ``o2c_credit_hold`` (by a person or a gateway dispute) is always held.
"""

from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, float_repr


class O2cCreditControl(models.AbstractModel):
    _name = "o2c.credit.control"
    _description = "O2C Credit Control"

    def _o2c_exposure(self, partner, company, order):
        """Figures of the customer's exposure (floats in company currency)."""
        currency = company.currency_id
        today = fields.Date.context_today(self)
        self.env["account.move.line"].flush_model(
            [
                "account_id",
                "amount_residual",
                "company_id",
                "parent_state",
                "partner_id",
                "reconciled",
                "date_maturity",
            ]
        )
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        rows = self.env.execute_query(
            SQL(
                """SELECT COALESCE(SUM(l.amount_residual), 0),
                      COALESCE(SUM(l.amount_residual)
                               FILTER (WHERE l.date_maturity < %s), 0)
                 FROM account_move_line l
                 JOIN account_account a ON a.id = l.account_id
                 JOIN res_partner p ON p.id = l.partner_id
                WHERE l.parent_state = 'posted'
                  AND a.account_type = 'asset_receivable'
                  AND l.reconciled IS NOT TRUE
                  AND l.company_id = %s
                  AND p.commercial_partner_id = %s""",
                today,
                company.id,
                partner.id,
            )
        )
        receivable, overdue = (float(v) for v in rows[0])
        # Confirmed orders already fully invoiced (the bulk of a customer's history)
        # are filtered out in SQL on the stored untaxed amount to invoice, as Odoo's
        # own credit warning does: the non-stored ``amount_to_invoice`` is only
        # computed for the orders that still have something to invoice.
        others = (
            self.env["sale.order"]
            .sudo()
            .search(
                [
                    ("company_id", "=", company.id),
                    ("partner_invoice_id.commercial_partner_id", "=", partner.id),
                    ("id", "!=", order.id),
                    "|",
                    "&",
                    ("state", "=", "sale"),
                    ("order_line", "any", [("untaxed_amount_to_invoice", "!=", 0)]),
                    "&",
                    ("state", "in", ("draft", "sent")),
                    ("o2c_credit_hold", "=", True),
                ]
            )
        )
        open_orders = 0.0
        for other_currency, orders in others.grouped("currency_id").items():
            amount = sum(
                other.amount_to_invoice if other.state == "sale" else other.amount_total
                for other in orders
            )
            open_orders += other_currency._convert(amount, currency, company, today)
        this = order.currency_id._convert(order.amount_total, currency, company, today)
        return {
            "open_receivables": currency.round(receivable),
            "overdue": currency.round(overdue),
            "open_orders": currency.round(open_orders),
            "order_amount": currency.round(this),
            "exposure": currency.round(receivable + open_orders + this),
        }

    def _o2c_serialize_customer(self, partner):
        """Serialise the credit checks of one customer across transactions.

        Two orders of the same customer checked at the same time would each miss the
        other (under REPEATABLE READ neither sees the other's uncommitted order) and
        could together exceed the limit. A no-op UPDATE of the customer's row makes
        the second transaction wait for the first and then fail with a serialisation
        error, which the event machinery retries: the retry sees the first order.
        """
        self.env.cr.execute(
            "UPDATE res_partner SET write_date = write_date WHERE id = %s", [partner.id]
        )

    def _o2c_credit_check(self, connection, order):
        """``None`` when ``order`` may be confirmed, else the hold details (dict)."""
        if not connection.order_credit_check:
            return None
        company = order.company_id
        partner = order.partner_invoice_id.commercial_partner_id.sudo().with_company(
            company
        )
        limit = partner.credit_limit or 0.0
        flagged = partner.o2c_credit_hold
        if not flagged and limit <= 0:
            return None
        self._o2c_serialize_customer(partner)
        figures = self._o2c_exposure(partner, company, order)
        currency = company.currency_id
        over = limit > 0 and currency.compare_amounts(figures["exposure"], limit) > 0
        if not (over or flagged):
            return None
        details = {
            key: float_repr(value, currency.decimal_places)
            for key, value in figures.items()
        }
        details.update(
            limit=float_repr(limit, currency.decimal_places) if limit > 0 else None,
            currency=currency.name,
            partner_on_hold=flagged,
            partner_hold_reason=partner.o2c_credit_hold_reason or None,
            over_limit=over,
        )
        reasons = []
        if over:
            reasons.append(
                self.env._(
                    "exposure %(e)s %(c)s over the credit limit of %(l)s %(c)s "
                    "(open receivables %(r)s, overdue %(o)s, open orders %(oo)s, "
                    "this order %(t)s)",
                    e=details["exposure"],
                    c=currency.name,
                    l=details["limit"],
                    r=details["open_receivables"],
                    o=details["overdue"],
                    oo=details["open_orders"],
                    t=details["order_amount"],
                )
            )
        if flagged:
            reasons.append(
                self.env._(
                    "the customer is flagged credit hold: %(r)s",
                    r=partner.o2c_credit_hold_reason or "-",
                )
            )
        details["reason"] = "; ".join(reasons)
        return details


class O2cCreditReleaseWizard(models.TransientModel):
    _name = "o2c.credit.release.wizard"
    _description = "Release O2C credit hold"

    order_ids = fields.Many2many("sale.order", string="Orders", required=True)
    reason = fields.Text(required=True)

    def action_release(self):
        self.ensure_one()
        if not self.order_ids.filtered("o2c_credit_hold"):
            raise UserError(self.env._("None of these orders is on credit hold."))
        self.order_ids._o2c_release_credit_hold(self.reason)
        return {"type": "ir.actions.act_window_close"}
