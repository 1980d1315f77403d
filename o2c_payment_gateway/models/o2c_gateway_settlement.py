# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Settlements (payouts): what a gateway transferred to the bank, and why.

A settlement is built from the gateway's breakdown of one payout (Stripe balance
transactions pulled from the API, Adyen settlement detail report rows imported by a
user), checked, then booked in ONE entry on the clearing journal::

    Dr gateway fees account        fees
    Dr/Cr adjustments account      -adjustments
    Dr payouts in transit          net          (label and ref = payout id)
        Cr clearing account        fees + net - adjustments
                                   (= gross - refunds - disputes)

Payments, refunds and lost disputes were already booked on the clearing account by
their own events, so after the payout the clearing account keeps only what the
gateway still holds. The transit line is the one open item the bank feed matches to
the bank line (by the payout id); once reconciled the settlement is "matched".

Checks before booking, each an "amount_mismatch" exception when it fails (the
settlement stays pending, visible with its lines):

* ``gross - fees - refunds - disputes + adjustments == net`` (a missing page, a line
  in the wrong payout, a gateway correction);
* every line's ``net == gross - fee``;
* every charge line equals the payment booked from its webhook.

A payout whose charges (or refunds) were not all booked yet WAITS: the event raises a
RetryableError and is retried with backoff (webhooks are not ordered; a payout often
arrives before the last payments' events are processed).
"""

import json
import logging
import re
from decimal import Decimal

from odoo import Command, api, fields, models
from odoo.fields import Domain

from odoo.addons.o2c_integration.lib.exceptions import RetryableError

from ..lib import adyen as adyen_lib
from ..lib import stripe as stripe_lib
from ..lib.events import GatewayError, Kind
from ..lib.settlement import LINE_KINDS
from .o2c_connection import gateway_error
from .o2c_gateway_processor import to_naive_utc

_logger = logging.getLogger(__name__)

#: Seconds before a payout waiting for its charges is tried again.
PAYOUT_RETRY_AFTER = 300
#: How many missing references an error message lists.
MAX_LISTED = 10
ADYEN_BATCH_RE = re.compile(r"batch_(\d+)")


class O2cGatewaySettlement(models.Model):
    _name = "o2c.gateway.settlement"
    _description = "O2C Gateway Settlement (Payout)"
    _inherit = "mail.thread"
    _order = "date desc, id desc"
    _rec_name = "payout_id"

    connection_id = fields.Many2one(
        "o2c.connection", required=True, index=True, ondelete="restrict", readonly=True
    )
    company_id = fields.Many2one(
        related="connection_id.company_id", store=True, index=True
    )
    gateway = fields.Char(readonly=True)
    payout_id = fields.Char(string="Payout", required=True, readonly=True)
    bank_reference = fields.Char(
        readonly=True, help="Reference the bank statement shows for this payout"
    )
    description = fields.Char(readonly=True)
    date = fields.Date(string="Payout Date", readonly=True)
    arrival_date = fields.Date(readonly=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    gross = fields.Monetary(readonly=True, help="Charges")
    fees = fields.Monetary(readonly=True)
    refunds = fields.Monetary(readonly=True)
    disputes = fields.Monetary(readonly=True)
    adjustments = fields.Monetary(readonly=True)
    net = fields.Monetary(readonly=True, help="Payout amount as the gateway states it")
    difference = fields.Monetary(
        readonly=True, help="Lines' computed net minus the stated payout amount"
    )
    state = fields.Selection(
        [("pending", "Pending"), ("booked", "Booked"), ("matched", "Matched")],
        compute="_compute_state",
        store=True,
        index=True,
        tracking=True,
        help="Pending: not booked (a check failed). Booked: the payout waits in the "
        "transit account. Matched: its bank line is reconciled with it.",
    )
    check_note = fields.Text(readonly=True, string="Check Problems")
    line_ids = fields.One2many(
        "o2c.gateway.settlement.line", "settlement_id", readonly=True
    )
    line_count = fields.Integer(compute="_compute_line_count")
    transaction_ids = fields.One2many(
        "o2c.gateway.transaction", "settlement_id", readonly=True
    )
    # Indexed: every posting or reconciliation of any journal item looks up the
    # settlements pointing at it to recompute their state.
    move_id = fields.Many2one(
        "account.move",
        string="Journal Entry",
        readonly=True,
        index="btree_not_null",
    )
    transit_line_id = fields.Many2one(
        "account.move.line", readonly=True, index="btree_not_null"
    )
    event_id = fields.Many2one("o2c.event", readonly=True, ondelete="set null")

    _payout_uniq = models.Constraint(
        "UNIQUE(connection_id, payout_id)", "This payout is already recorded."
    )

    # --- COMPUTE METHODS

    @api.depends("move_id.state", "transit_line_id.reconciled")
    def _compute_state(self):
        for rec in self:
            if rec.move_id.state != "posted":
                rec.state = "pending"
            elif rec.transit_line_id and not rec.transit_line_id.reconciled:
                rec.state = "booked"
            else:  # reconciled, or nothing in transit (zero payout)
                rec.state = "matched"

    def _compute_line_count(self):
        for rec in self:
            rec.line_count = len(rec.line_ids)

    # --- EVENT HANDLERS (called by o2c.gateway.processor)

    @api.model
    def _pg_on_payout_paid(self, conn, ev, event):
        if conn.connection_type != "stripe":
            # Adyen's PAYOUT_THIRDPARTY pays a third party; the merchant's own
            # payouts come with the settlement detail report (import wizard).
            _logger.info(
                "O2C gateway: %s payout %s has no settlement to pull",
                conn.connection_type,
                ev.object_ref,
            )
            return None
        existing = self._pg_get(conn, ev.object_ref)
        if existing.state in ("booked", "matched"):
            return None
        conn._pg_check_accounting(
            "pg_journal_id", "pg_transit_account_id", "pg_fee_account_id"
        )
        payout = json.loads(event.payload)["data"]["object"]
        transactions = conn._pg_stripe_list(
            "/v1/balance_transactions",
            {"payout": ev.object_ref, "expand[]": "data.source"},
            correlation_id=event.correlation_id,
        )
        try:
            data = stripe_lib.balance_transactions_to_settlement(payout, transactions)
        except GatewayError as exc:
            raise gateway_error(f"stripe payout {ev.object_ref}: {exc}") from exc
        return self._pg_complete(conn, data, event)

    @api.model
    def _pg_on_payout_failed(self, conn, ev, event):
        """The bank refused the payout: the transit item will never be matched."""
        settlement = self._pg_get(conn, ev.object_ref)
        return self.env["o2c.gateway.processor"]._pg_record_problem(
            conn,
            ev,
            event,
            {"settlement_id": settlement.id},
            self.env._(
                "Payout %(p)s failed (%(r)s): the gateway keeps the funds; "
                "reverse its transit entry %(m)s.",
                p=ev.object_ref,
                r=ev.reason or "-",
                m=settlement.move_id.name or "-",
            ),
            f"o2c.pg.payout_failed:{conn.id}:{ev.object_ref}",
            record=settlement or None,
        )

    @api.model
    def _pg_import_adyen_report(self, conn, event):
        """Book every payable batch of a settlement detail report (all or nothing)."""
        headers = json.loads(event.headers or "{}")
        match = ADYEN_BATCH_RE.search(headers.get("X-O2C-Filename") or "")
        try:
            batches = adyen_lib.parse_settlement_report(
                (event.payload or "").encode("utf-8"),
                batch_number=match.group(1) if match else None,
            )
        except GatewayError as exc:
            raise gateway_error(f"adyen settlement report: {exc}") from exc
        conn._pg_check_accounting(
            "pg_journal_id", "pg_transit_account_id", "pg_fee_account_id"
        )
        results = []
        for data in batches:
            result = self._pg_complete(conn, data, event)
            results.extend(result or [])
        return results

    # --- BUSINESS METHODS

    @api.model
    def _pg_get(self, conn, payout_id):
        return self.search(
            [("connection_id", "=", conn.id), ("payout_id", "=", payout_id)], limit=1
        )

    @api.model
    def _pg_complete(self, conn, data, event):
        """Create (or complete a pending) settlement from a lib Settlement; book it."""
        existing = self._pg_get(conn, data.payout_id)
        if existing.state in ("booked", "matched"):
            return None  # replay: the payout is booked, nothing changes
        currency = self.env["o2c.gateway.processor"]._pg_currency(data.currency)
        matches, missing = self._pg_match_lines(conn, data)
        if missing:
            raise RetryableError(
                f"payout {data.payout_id} waits for {len(missing)} transactions not "
                f"booked yet: {', '.join(sorted(missing)[:MAX_LISTED])}",
                retry_after=PAYOUT_RETRY_AFTER,
            )
        vals = self._pg_prepare_vals(conn, data, currency, event, matches)
        if existing:
            existing.line_ids.unlink()
            existing.write(vals)
            settlement = existing
        else:
            settlement = self.create(vals)
        problems = settlement._pg_check(data, matches)
        key = f"o2c.pg.settlement:{settlement.id}"
        if problems:
            settlement.check_note = "\n".join(problems)
            self.env["o2c.exception"]._raise(
                "amount_mismatch",
                self.env._(
                    "Payout %(p)s does not add up: %(d)s %(c)s off",
                    p=data.payout_id,
                    d=data.check_sums(),
                    c=data.currency,
                ),
                dedup_key=key,
                severity="high",
                amount=abs(data.check_sums()) or abs(data.net),
                currency=currency,
                event=event,
                record=settlement,
                connection=conn,
                description="\n".join(problems),
            )
            return [settlement]
        settlement._pg_book(conn)
        self.env["o2c.exception"]._close_by_key(
            key, self.env._("The payout adds up and is booked.")
        )
        self.env["o2c.audit.log"]._log(
            "gateway.payout",
            f"Payout {data.payout_id} booked: {settlement.move_id.name}",
            records=settlement.move_id,
            event=event,
            data={
                "net": str(data.net),
                "fees": str(data.fees),
                "currency": data.currency,
                "lines": len(data.lines),
            },
        )
        return [settlement, settlement.move_id]

    @api.model
    def _pg_match_lines(self, conn, data):
        """Map each line to its booked transaction; return ``(matches, missing)``.

        ``matches`` is ``{line index: transaction}``. Charges must all be booked;
        refunds too (matched on the refund id, else on charge + amount for refunds
        reported without id); a refund reversal (positive gross) and dispute lines
        need nothing booked beforehand.
        """
        Tx = self.env["o2c.gateway.transaction"]
        booked = [("state", "in", ("posted", "settled"))]

        def refs_of(kinds, both=True):
            return {
                ref
                for line in data.lines
                if line.kind in kinds
                for ref in (
                    (line.source_ref, line.reference) if both else (line.reference,)
                )
                if ref
            }

        def facts(kind, refs, fields, extra=()):
            """Transactions of ``kind`` whose ``fields`` hold one of ``refs`` (1 query)."""
            if not refs:
                return Tx
            domain = Domain.OR(Domain(name, "in", list(refs)) for name in fields)
            return Tx.search(
                Domain.AND(
                    [
                        Domain("connection_id", "=", conn.id),
                        Domain("kind", "=", kind.value),
                        Domain(list(extra)),
                        domain,
                    ]
                )
            )

        by_charge = {}
        for tx in facts(
            Kind.PAYMENT_SUCCEEDED,
            refs_of(("charge",), both=False),
            ("charge_ref", "object_ref"),
            booked,
        ):
            by_charge.setdefault(tx.charge_ref, tx)
            by_charge.setdefault(tx.object_ref, tx)
        refunds = facts(
            Kind.REFUND_SUCCEEDED,
            refs_of(("refund",)),
            ("object_ref", "charge_ref"),
            booked,
        )
        disputes = facts(
            Kind.DISPUTE_OPENED,
            refs_of(("dispute", "dispute_reversal")),
            ("object_ref",),
        )
        matches, missing, used = {}, set(), set()
        for index, line in enumerate(data.lines):
            tx = Tx
            if line.kind == "charge":
                tx = by_charge.get(line.reference, Tx)
                if not tx:
                    missing.add(line.reference or line.source_ref or f"line {index}")
            elif line.kind == "refund" and line.gross < 0:
                tx = refunds.filtered(lambda r, ln=line: r.object_ref == ln.source_ref)
                if not tx:  # refund reported without its own id (charge.refunded)
                    tx = refunds.filtered(
                        lambda r, ln=line: (
                            r.charge_ref == ln.reference
                            and r.id not in used
                            and not r.currency_id.compare_amounts(
                                r.amount, float(-ln.gross)
                            )
                        )
                    )[:1]
                if not tx:
                    missing.add(line.source_ref or line.reference or f"line {index}")
            elif line.kind in ("dispute", "dispute_reversal"):
                tx = disputes.filtered(
                    lambda d, ln=line: d.object_ref in (ln.source_ref, ln.reference)
                )[:1]
            if tx:
                matches[index] = tx[:1]
                used.add(tx[:1].id)
        return matches, missing

    @api.model
    def _pg_prepare_vals(self, conn, data, currency, event, matches):
        bank_reference = data.payout_id
        if conn.connection_type == "adyen" and data.description:
            # Adyen's transfer text starts with the reference the bank shows
            # ("TX4263872641XT O2CShopEUR batch 37, 2024-06-19").
            bank_reference = data.description.split()[0]
        created = data.created_at.date() if data.created_at else False
        return {
            "connection_id": conn.id,
            "gateway": data.gateway,
            "payout_id": data.payout_id,
            "bank_reference": bank_reference,
            "description": data.description or False,
            "date": created or data.arrival_date or fields.Date.context_today(self),
            "arrival_date": data.arrival_date or False,
            "currency_id": currency.id,
            "gross": float(data.gross),
            "fees": float(data.fees),
            "refunds": float(data.refunds),
            "disputes": float(data.disputes),
            "adjustments": float(data.adjustments),
            "net": float(data.net),
            "difference": float(data.check_sums()),
            "check_note": False,
            "event_id": event.id if event else False,
            "line_ids": [
                Command.create(
                    {
                        "sequence": index,
                        "kind": line.kind,
                        "reference": line.reference,
                        "source_ref": line.source_ref,
                        "merchant_ref": line.merchant_ref,
                        "description": (line.description or "")[:256],
                        "gross": float(line.gross),
                        "fee": float(line.fee),
                        "net": float(line.net),
                        "occurred_at": to_naive_utc(line.occurred_at),
                        "transaction_id": matches[index].id
                        if index in matches
                        else False,
                    }
                )
                for index, line in enumerate(data.lines)
            ],
        }

    def _pg_check(self, data, matches):
        """Problems preventing the booking (empty list: the payout adds up)."""
        self.ensure_one()
        problems = []
        if not data.is_consistent:
            problems.append(
                self.env._(
                    "Lines add up to %(c)s but the payout is %(n)s (difference %(d)s).",
                    c=data.computed_net,
                    n=data.net,
                    d=data.check_sums(),
                )
            )
        for line in data.inconsistent_lines():
            problems.append(
                self.env._(
                    "Line %(r)s: net %(n)s is not gross %(g)s minus fee %(f)s.",
                    r=line.source_ref or line.reference,
                    n=line.net,
                    g=line.gross,
                    f=line.fee,
                )
            )
        for index, line in enumerate(data.lines):
            tx = matches.get(index)
            if line.kind != "charge" or not tx:
                continue
            if (
                tx.currency_id.compare_amounts(tx.amount, float(line.gross))
                or tx.currency_id != self.currency_id
            ):
                problems.append(
                    self.env._(
                        "Charge %(r)s: %(g)s %(c)s in the payout, %(a)s %(tc)s booked.",
                        r=line.reference,
                        g=line.gross,
                        c=data.currency,
                        a=tx.amount,
                        tc=tx.currency_id.name,
                    )
                )
        return problems

    def _pg_book(self, conn):
        """Post the payout entry (see module docstring) and settle its transactions."""
        self.ensure_one()
        company = conn.company_id
        date = self.date
        currency = self.currency_id
        clearing = conn.pg_journal_id.default_account_id
        adjustment_account = conn.pg_adjustment_account_id or conn.pg_fee_account_id
        fees = Decimal(str(self.fees))
        adjustments = Decimal(str(self.adjustments))
        net = Decimal(str(self.net))

        def line(name, account, amount):
            amount = float(amount)
            return {
                "name": name,
                "account_id": account.id,
                "currency_id": currency.id,
                "amount_currency": amount,
                "balance": currency._convert(
                    amount, company.currency_id, company, date
                ),
            }

        lines = []
        if fees:
            lines.append(
                line(
                    self.env._("Gateway fees %(p)s", p=self.payout_id),
                    conn.pg_fee_account_id,
                    fees,
                )
            )
        if adjustments:
            lines.append(
                line(
                    self.env._("Gateway adjustments %(p)s", p=self.payout_id),
                    adjustment_account,
                    -adjustments,
                )
            )
        if net:
            lines.append(line(self.payout_id, conn.pg_transit_account_id, net))
        clearing_amount = fees + net - adjustments
        if clearing_amount:
            lines.append(
                line(
                    self.env._("Payout %(p)s", p=self.payout_id),
                    clearing,
                    -clearing_amount,
                )
            )
        if not lines:
            return
        # Converted balances may be off by a cent: the clearing line absorbs it.
        imbalance = sum(vals["balance"] for vals in lines)
        if lines[-1]["account_id"] == clearing.id and imbalance:
            lines[-1]["balance"] -= imbalance
        move = self.env["account.move"].create(
            {
                "move_type": "entry",
                "journal_id": conn.pg_journal_id.id,
                "date": date,
                "ref": self.bank_reference or self.payout_id,
                "line_ids": [Command.create(vals) for vals in lines],
            }
        )
        move.action_post()
        transit = move.line_ids.filtered(
            lambda aml: aml.account_id == conn.pg_transit_account_id
        )
        self.write({"move_id": move.id, "transit_line_id": transit[:1].id})
        self.line_ids.transaction_id.filtered(
            lambda tx: (
                tx.kind in (Kind.PAYMENT_SUCCEEDED.value, Kind.REFUND_SUCCEEDED.value)
            )
        ).write({"settlement_id": self.id, "state": "settled"})

    # --- PUBLIC ACTIONS

    def action_retry_booking(self):
        """Re-run the source event of a pending settlement (after a fix)."""
        self.filtered(
            lambda s: s.state == "pending" and s.event_id
        ).event_id.action_replay()
        return True

    def action_open_move(self):
        self.ensure_one()
        return self.move_id._get_records_action() if self.move_id else False


class O2cGatewaySettlementLine(models.Model):
    _name = "o2c.gateway.settlement.line"
    _description = "O2C Gateway Settlement Line"
    _order = "settlement_id, sequence, id"

    settlement_id = fields.Many2one(
        "o2c.gateway.settlement", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="settlement_id.company_id", store=True)
    currency_id = fields.Many2one(related="settlement_id.currency_id")
    sequence = fields.Integer()
    kind = fields.Selection(
        [(kind, kind.replace("_", " ").title()) for kind in sorted(LINE_KINDS)],
        required=True,
    )
    reference = fields.Char(help="Charge / payment the line belongs to")
    source_ref = fields.Char(string="Source", help="Refund, dispute or fee object")
    merchant_ref = fields.Char(string="Merchant Reference")
    description = fields.Char()
    gross = fields.Monetary()
    fee = fields.Monetary()
    net = fields.Monetary()
    occurred_at = fields.Datetime()
    transaction_id = fields.Many2one("o2c.gateway.transaction", index="btree_not_null")
    partner_id = fields.Many2one(related="transaction_id.partner_id")
