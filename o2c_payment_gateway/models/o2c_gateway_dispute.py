# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Disputes (chargebacks): the finance worklist and their accounting outcome.

Opened: a dispute record, an exception of category "dispute" with the amount held
and the evidence deadline, and the customer put on dispute hold. Inquiries (Stripe
``warning_*`` statuses) withdraw no funds: they are recorded and queued for a
response, without hold.

Won: the dispute is closed and the hold released when the customer has no other open
dispute and nobody changed the hold since. The gateway gives the funds back in a later
payout (a dispute reversal line), which the settlement books against the clearing
account.

Lost (design choice): the disputed amount is booked as a LOSS - debit the configured
lost-disputes account, credit the clearing account - rather than re-opening the
invoice's receivable. The invoice was paid and the money then taken back by the
card scheme: collecting it again is a separate, rare, manual decision (a new
invoice), while the loss is certain. The gateway withdrew the funds when the dispute
opened (a dispute line in a payout), so this entry brings the clearing account back
to zero. The customer stays on hold and a "credit hold" exception asks finance to
review it.
"""

import logging

from odoo import Command, api, fields, models

from odoo.addons.o2c_integration.lib.exceptions import RetryableError

from .o2c_gateway_processor import WAIT_RETRY_AFTER, to_naive_utc

_logger = logging.getLogger(__name__)

#: Start of the credit hold reason this addon writes (and only this one it lifts).
HOLD_PREFIX = "Gateway dispute"


class O2cGatewayDispute(models.Model):
    _name = "o2c.gateway.dispute"
    _description = "O2C Gateway Dispute"
    _inherit = "mail.thread"
    _order = "state_rank, due_by, id desc"
    _rec_name = "dispute_ref"

    connection_id = fields.Many2one(
        "o2c.connection", required=True, index=True, ondelete="restrict", readonly=True
    )
    company_id = fields.Many2one(
        related="connection_id.company_id", store=True, index=True
    )
    gateway = fields.Char(readonly=True)
    dispute_ref = fields.Char(string="Dispute", required=True, readonly=True)
    charge_ref = fields.Char(string="Charge", index=True, readonly=True)
    amount = fields.Monetary(string="Amount Held", readonly=True)
    fee = fields.Monetary(readonly=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    reason = fields.Char(readonly=True)
    gateway_status = fields.Char(readonly=True)
    is_inquiry = fields.Boolean(
        readonly=True, help="An inquiry (retrieval request): no funds were withdrawn."
    )
    due_by = fields.Datetime(string="Evidence Due By", readonly=True, index=True)
    state = fields.Selection(
        [("open", "Open"), ("won", "Won"), ("lost", "Lost")],
        default="open",
        required=True,
        index=True,
        tracking=True,
    )
    state_rank = fields.Integer(compute="_compute_state_rank", store=True)
    opened_at = fields.Datetime(readonly=True)
    closed_at = fields.Datetime(readonly=True)
    invoice_id = fields.Many2one("account.move", readonly=True)
    partner_id = fields.Many2one("res.partner", readonly=True, index=True)
    transaction_id = fields.Many2one(
        "o2c.gateway.transaction", string="Disputed Payment", readonly=True
    )
    exception_id = fields.Many2one("o2c.exception", readonly=True)
    move_id = fields.Many2one("account.move", string="Loss Entry", readonly=True)
    event_id = fields.Many2one("o2c.event", readonly=True, ondelete="set null")

    _dispute_uniq = models.UniqueIndex(
        "(connection_id, dispute_ref)", "This dispute is already recorded."
    )

    @api.depends("state")
    def _compute_state_rank(self):
        for rec in self:
            rec.state_rank = 0 if rec.state == "open" else 1

    # --- EVENT HANDLERS (called by o2c.gateway.processor)

    def _pg_exception_key(self):
        self.ensure_one()
        return f"o2c.pg.dispute:{self.connection_id.id}:{self.dispute_ref}"

    @api.model
    def _pg_find(self, conn, ev):
        dispute = self.search(
            [("connection_id", "=", conn.id), ("dispute_ref", "=", ev.object_ref)],
            limit=1,
        )
        if not dispute:
            raise RetryableError(
                f"dispute {ev.object_ref} ({ev.kind.value}) is not opened yet",
                retry_after=WAIT_RETRY_AFTER,
            )
        return dispute

    @api.model
    def _pg_on_dispute_opened(self, conn, ev, event):
        Processor = self.env["o2c.gateway.processor"]
        Tx = self.env["o2c.gateway.transaction"]
        currency = Processor._pg_currency(ev.currency, ev.amount)
        original = Tx._pg_find_payment(conn, ev.charge_ref, ev.payment_ref)
        partner = original.partner_id
        tx, created = Tx._pg_insert(
            Processor._pg_tx_vals(
                conn,
                ev,
                event,
                currency,
                original_id=original.id,
                partner_id=partner.id,
                invoice_id=original.invoice_id.id,
            )
        )
        if not created:
            return None
        inquiry = (ev.status or "").startswith("warning_")
        dispute = self.create(
            {
                "connection_id": conn.id,
                "gateway": ev.gateway,
                "dispute_ref": ev.object_ref,
                "charge_ref": ev.charge_ref,
                "amount": float(ev.amount),
                "fee": float(ev.fee or 0),
                "currency_id": currency.id,
                "reason": ev.reason,
                "gateway_status": ev.status,
                "is_inquiry": inquiry,
                "due_by": to_naive_utc(ev.due_by),
                "opened_at": to_naive_utc(ev.occurred_at),
                "invoice_id": original.invoice_id.id,
                "partner_id": partner.id,
                "transaction_id": original.id,
                "event_id": event.id,
            }
        )
        label = self.env._("Inquiry") if inquiry else self.env._("Dispute")
        exception = self.env["o2c.exception"]._raise(
            "dispute",
            self.env._(
                "%(l)s %(d)s on %(c)s: %(a)s %(cur)s (%(r)s)",
                l=label,
                d=ev.object_ref,
                c=ev.charge_ref,
                a=ev.amount,
                cur=ev.currency,
                r=ev.reason or "-",
            ),
            dedup_key=dispute._pg_exception_key(),
            severity="medium" if inquiry else "high",
            amount=ev.amount,
            currency=currency,
            partner=partner or None,
            event=event,
            record=dispute,
            connection=conn,
            description=self.env._(
                "Submit evidence at the gateway before the due date. Invoice: "
                "%(i)s. Payment: %(p)s.",
                i=original.invoice_id.name or "-",
                p=original.payment_id.name or "-",
            ),
            details={
                "dispute": ev.object_ref,
                "charge": ev.charge_ref,
                "reason": ev.reason,
                "status": ev.status,
                "due_by": ev.due_by.isoformat() if ev.due_by else None,
            },
        )
        if ev.due_by:
            exception.date_deadline = ev.due_by.date()
        dispute.exception_id = exception
        tx.note = ev.reason
        if partner and not inquiry:
            partner._o2c_set_credit_hold(
                f"{HOLD_PREFIX} {ev.object_ref} ({ev.amount} {ev.currency})"
            )
        self.env["o2c.gateway.processor"]._pg_audit(
            "gateway.dispute.open",
            f"{label} {ev.object_ref} opened on {ev.charge_ref}",
            dispute,
            event,
            ev,
        )
        return [tx, dispute]

    @api.model
    def _pg_on_dispute_won(self, conn, ev, event):
        dispute = self._pg_find(conn, ev)
        tx, created = self._pg_close_tx(conn, ev, event, dispute)
        if not created:
            return None
        if dispute.state != "open":
            return self._pg_conflict(dispute, ev, event, tx)
        dispute.write({"state": "won", "closed_at": to_naive_utc(ev.occurred_at)})
        self.env["o2c.exception"]._close_by_key(
            dispute._pg_exception_key(),
            self.env._("Dispute won: the gateway reinstates the funds."),
        )
        dispute._pg_release_hold()
        self.env["o2c.audit.log"]._log(
            "gateway.dispute.won",
            f"Dispute {dispute.dispute_ref} won",
            records=dispute,
            event=event,
        )
        return [tx, dispute]

    @api.model
    def _pg_on_dispute_lost(self, conn, ev, event):
        dispute = self._pg_find(conn, ev)
        conn._pg_check_accounting("pg_journal_id", "pg_dispute_loss_account_id")
        tx, created = self._pg_close_tx(conn, ev, event, dispute)
        if not created:
            return None
        if dispute.state != "open":
            return self._pg_conflict(dispute, ev, event, tx)
        move = dispute._pg_book_loss(conn, ev)
        dispute.write(
            {
                "state": "lost",
                "closed_at": to_naive_utc(ev.occurred_at),
                "move_id": move.id,
            }
        )
        tx.write({"state": "posted", "move_id": move.id})
        self.env["o2c.exception"]._close_by_key(
            dispute._pg_exception_key(),
            self.env._("Dispute lost: loss booked in %(m)s.", m=move.name),
        )
        if dispute.partner_id:
            self.env["o2c.exception"]._raise(
                "credit_hold",
                self.env._(
                    "%(p)s lost dispute %(d)s: review the credit hold.",
                    p=dispute.partner_id.display_name,
                    d=dispute.dispute_ref,
                ),
                dedup_key=f"o2c.pg.dispute_hold:{dispute.partner_id.id}",
                severity="low",
                amount=dispute.amount,
                currency=dispute.currency_id,
                partner=dispute.partner_id,
                record=dispute.partner_id,
                connection=conn,
            )
        self.env["o2c.gateway.processor"]._pg_audit(
            "gateway.dispute.lost",
            f"Dispute {dispute.dispute_ref} lost: {move.name}",
            move,
            event,
            ev,
        )
        return [tx, dispute, move]

    # --- BUSINESS METHODS

    @api.model
    def _pg_close_tx(self, conn, ev, event, dispute):
        Processor = self.env["o2c.gateway.processor"]
        return self.env["o2c.gateway.transaction"]._pg_insert(
            Processor._pg_tx_vals(
                conn,
                ev,
                event,
                dispute.currency_id,
                original_id=dispute.transaction_id.id,
                partner_id=dispute.partner_id.id,
                invoice_id=dispute.invoice_id.id,
            )
        )

    def _pg_conflict(self, dispute, ev, event, tx):
        """A second outcome for a closed dispute (lost, then pre-arbitration won)."""
        self.env["o2c.exception"]._raise(
            "dispute",
            self.env._(
                "Dispute %(d)s is %(s)s but the gateway now reports %(k)s.",
                d=dispute.dispute_ref,
                s=dispute.state,
                k=ev.kind.value,
            ),
            dedup_key=f"{dispute._pg_exception_key()}:{ev.kind.value}",
            severity="high",
            amount=ev.amount,
            currency=dispute.currency_id,
            partner=dispute.partner_id or None,
            event=event,
            record=dispute,
        )
        return tx

    def _pg_book_loss(self, conn, ev):
        """Dr lost-disputes account / Cr clearing account, on the clearing journal."""
        self.ensure_one()
        date = ev.occurred_at.date()
        label = self.env._(
            "Dispute lost %(d)s (%(c)s)", d=self.dispute_ref, c=self.charge_ref or "-"
        )
        company = conn.company_id
        amount_currency = float(ev.amount)
        balance = self.currency_id._convert(
            amount_currency, company.currency_id, company, date
        )

        def line(account, sign):
            return Command.create(
                {
                    "name": label,
                    "account_id": account.id,
                    "partner_id": self.partner_id.id,
                    "currency_id": self.currency_id.id,
                    "amount_currency": sign * amount_currency,
                    "balance": sign * balance,
                }
            )

        move = self.env["account.move"].create(
            {
                "move_type": "entry",
                "journal_id": conn.pg_journal_id.id,
                "date": date,
                "ref": label,
                "line_ids": [
                    line(conn.pg_dispute_loss_account_id, 1),
                    line(conn.pg_journal_id.default_account_id, -1),
                ],
            }
        )
        move.action_post()
        return move

    def _pg_release_hold(self):
        """Lift the credit hold a dispute set, once the customer has no open dispute.

        Only a hold this addon set (its reason starts with ``HOLD_PREFIX``) is lifted:
        a hold a person set, or changed since, stays until a person releases it.
        """
        for partner in self.partner_id.commercial_partner_id:
            others = self.search_count(
                [
                    ("partner_id", "child_of", partner.id),
                    ("state", "=", "open"),
                    ("is_inquiry", "=", False),
                    ("id", "not in", self.ids),
                ]
            )
            reason = partner.o2c_credit_hold_reason or ""
            if (
                others
                or not partner.o2c_credit_hold
                or not reason.startswith(HOLD_PREFIX)
            ):
                continue
            partner.write({"o2c_credit_hold": False, "o2c_credit_hold_reason": False})
            self.env["o2c.audit.log"]._log(
                "partner.credit_release",
                f"{partner.name}: credit hold of a won dispute released",
                records=partner,
                data={"reason": reason},
            )

    # --- PUBLIC ACTIONS

    def action_open_exception(self):
        self.ensure_one()
        return self.exception_id._get_records_action() if self.exception_id else False
