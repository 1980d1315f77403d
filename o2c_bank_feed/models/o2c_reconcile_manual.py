# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Reconciliation by hand: what a person chooses, booked like the engine's.

The manual reconciliation wizard (``wizard/o2c_manual_reconcile_wizard.py``)
and the bulk actions are thin; this service does the work, from the UI and
from code:

* ``_suggestions(line)``: the engine's candidates for one line, scored, by
  running the rules exactly as a batch would (``o2c.reconcile.engine``);
* ``_search_items(line, ...)``: the open items a line may pay, with Odoo's own
  domain of reconcilable items, filtered by partner, amount, reference, date;
* ``_book(line, allocations, ...)``: the counterparts and the reconciliation
  through ``o2c.reconcile.poster`` (hence ``_reconcile_plan``, Odoo's own),
  a write-off on an account the person chose, the exception closed, the
  audit log entry;
* ``_undo(lines)``: Odoo's ``action_undo_reconciliation``, the exception
  reopened;
* ``_accept_top(lines)``: the best suggestion of each line, one savepoint per
  line.

Rights: booking or undoing by hand posts accounting, so it takes an O2C
Manager or an accountant (``account.group_account_user``). Accepting the
engine's own suggestion stays open to O2C Users, as the one-click accept of
an exception does.
"""

import logging
from decimal import Decimal

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Domain

from ..lib import manual_reconcile, matching, references
from .o2c_reconcile_engine import _ItemPool
from .o2c_reconcile_poster import _line_key

_logger = logging.getLogger(__name__)

#: Open items listed per search; the engine's candidates come on top.
SEARCH_LIMIT = 80
RECONCILE_GROUPS = ("o2c_integration.group_o2c_manager", "account.group_account_user")


class O2cReconcileManual(models.AbstractModel):
    _name = "o2c.reconcile.manual"
    _description = "O2C Manual Bank Reconciliation"

    # --- RIGHTS

    @api.model
    def _can_reconcile(self):
        return any(self.env.user.has_group(group) for group in RECONCILE_GROUPS)

    @api.model
    def _check_reconcile_rights(self):
        if not self._can_reconcile():
            raise AccessError(
                self.env._(
                    "Reconciling bank lines by hand posts journal items: it takes "
                    "the O2C Manager group or full accounting rights."
                )
            )

    # --- LINE FIGURES

    @api.model
    def _line_currency(self, line):
        """The transaction currency: the one the line's open amount is in."""
        return (
            line.foreign_currency_id
            or line.journal_id.currency_id
            or line.company_id.currency_id
        )

    @api.model
    def _line_open_amount(self, line):
        """What is still open on the line, signed as the bank sees it."""
        digits = self._line_currency(line).decimal_places
        return -matching.money(line.amount_residual or 0.0, digits)

    @api.model
    def _is_open(self, line):
        return not line.is_reconciled and bool(self._line_open_amount(line))

    # --- SUGGESTIONS AND SEARCH

    @api.model
    def _suggestions(self, line):
        """``[(item id, score, reason)]`` of the engine for ``line``, best first.

        The rules run on this one line as they would in a batch; nothing is
        booked. An item in several candidates keeps its best score.
        """
        company = line.company_id
        engine = self.env["o2c.reconcile.engine"].sudo().with_company(company)
        line = line.sudo().with_company(company)
        patterns = references.default_invoice_patterns(
            engine._get_invoice_prefixes(company)
        )
        data = engine._prepare_bank_line(line, patterns)
        if data is None:
            return []
        pool = _ItemPool(engine._fetch_open_items(company, [data]))
        rules = self.env["o2c.reconcile.rule"].sudo()._get_active_rules(company)
        decision, _owner = engine._decide_line(line, data, pool, rules)
        result, seen = [], set()
        for proposal in decision.candidates:
            for item_id in proposal.item_ids:
                if item_id not in seen:
                    seen.add(item_id)
                    result.append((item_id, proposal.score, proposal.reason))
        return result

    @api.model
    def _open_items_domain(self, line):
        """Odoo's reconcilable open items, as the engine sees them.

        Odoo's domain (posted, not reconciled, reconcilable account, no
        receivable/payable item of a payment) plus the engine's limits: no
        liquidity item, no item of another bank line, an amount still open in
        the line's currency.
        """
        return Domain.AND(
            [
                line._get_default_amls_matching_domain(),
                [
                    ("company_id", "=", line.company_id.id),
                    ("statement_line_id", "=", False),
                    (
                        "account_id.account_type",
                        "not in",
                        ("asset_cash", "liability_credit_card"),
                    ),
                    ("currency_id", "=", self._line_currency(line).id),
                    ("amount_residual_currency", "!=", 0),
                ],
            ]
        )

    @api.model
    def _search_items(
        self,
        line,
        partner=None,
        amount=None,
        reference=None,
        date_from=None,
        date_to=None,
        limit=SEARCH_LIMIT,
    ):
        """Open items ``line`` may pay, filtered; oldest due first.

        ``amount`` matches the open amount on either side; ``reference`` the
        entry's number, label, reference or payment reference.
        """
        domain = [self._open_items_domain(line)]
        if partner:
            domain.append(
                [("partner_id", "child_of", partner.commercial_partner_id.id)]
            )
        if amount:
            value = abs(float(amount))
            domain.append([("amount_residual_currency", "in", [value, -value])])
        if reference:
            domain.append(
                Domain.OR(
                    [
                        [("move_name", "ilike", reference)],
                        [("name", "ilike", reference)],
                        [("move_id.ref", "ilike", reference)],
                        [("move_id.payment_reference", "ilike", reference)],
                    ]
                )
            )
        if date_from:
            domain.append([("date", ">=", date_from)])
        if date_to:
            domain.append([("date", "<=", date_to)])
        return self.env["account.move.line"].search(
            Domain.AND(domain),
            order="date_maturity, date, id",
            limit=limit,
        )

    @api.model
    def _item_residual(self, item, line):
        """Open amount of ``item`` in the line's currency, as the bank sees it."""
        digits = self._line_currency(line).decimal_places
        return matching.money(item.amount_residual_currency or 0.0, digits)

    # --- BOOK

    @api.model
    def _book(
        self,
        line,
        allocations,
        writeoff=Decimal(0),
        writeoff_account=None,
        writeoff_label=None,
        partner=None,
    ):
        """Reconcile ``line`` with ``[(account.move.line, Decimal amount)]``.

        Amounts are signed as the bank sees them; ``writeoff`` is booked on
        ``writeoff_account`` with ``writeoff_label`` so that the applied
        amounts plus the write-off make the line's open amount (see
        ``lib/manual_reconcile.py``). ``partner`` is set on the line.
        Raises ``UserError`` when the booking is not valid or the items moved
        meanwhile; nothing is written then.

        Example::

            env["o2c.reconcile.manual"]._book(
                line, [(inv1_item, Decimal("600")), (inv2_item, Decimal("410"))],
                writeoff=Decimal("-10"), writeoff_account=fees,
                writeoff_label="Bank charges")
        """
        self._check_reconcile_rights()
        line.ensure_one()
        poster = self.env["o2c.reconcile.poster"].sudo().with_company(line.company_id)
        line = line.sudo().with_company(line.company_id)
        items = (
            self.env["account.move.line"].sudo().concat(*[i for i, _a in allocations])
        )
        poster._lock_items(items.ids)
        self.env.cr.execute(
            "SELECT id FROM account_bank_statement_line WHERE id = %s FOR NO KEY UPDATE",
            [line.id],
        )
        line.invalidate_recordset()
        (line.move_id.line_ids | items).invalidate_recordset()
        if line.is_reconciled:
            raise UserError(self.env._("The bank line is already reconciled."))
        if items - items.filtered_domain(self._open_items_domain(line)):
            raise UserError(
                self.env._(
                    "%(items)s cannot be paid by this bank line (not open, other "
                    "currency or company).",
                    items=", ".join(
                        (
                            items - items.filtered_domain(self._open_items_domain(line))
                        ).mapped("display_name")
                    ),
                )
            )
        currency = self._line_currency(line)
        digits = currency.decimal_places
        writeoff = matching.money(writeoff or 0, digits)
        check_list = [
            manual_reconcile.Allocation(
                item.id,
                self._item_residual(item, line),
                matching.money(amount, digits),
            )
            for item, amount in allocations
        ]
        self._check_allocation(
            self._line_open_amount(line), check_list, writeoff, digits
        )
        if writeoff and not writeoff_account:
            raise UserError(self.env._("Choose the account of the write-off."))
        if writeoff and not writeoff_account.active:
            raise UserError(
                self.env._(
                    "The write-off account %(account)s is archived.",
                    account=writeoff_account.display_name,
                )
            )
        if partner and line.partner_id != partner:
            line.with_context(skip_readonly_check=True).partner_id = partner
        proposal = matching.Proposal(
            line_id=line.id,
            item_ids=tuple(items.ids),
            amounts=tuple(a.amount for a in check_list),
            score=0.0,
            strategy="manual",
            reason="",
            writeoff=manual_reconcile.engine_writeoff(writeoff),
            partial=any(a.amount != a.residual for a in check_list),
        )
        writer = _ManualWriteoff(writeoff_account, self.env._("Manual reconciliation"))
        done = poster._write_counterparts([(line, proposal, writer, items)])
        if not done:
            raise UserError(
                self.env._(
                    "The bank line's journal entry was changed by hand: undo its "
                    "reconciliation first."
                )
            )
        poster._reconcile(done[0][1])
        if writeoff:
            # the write-off is the one item of the entry on that account that
            # is reconciled with nothing
            booked = line.move_id.line_ids.filtered(
                lambda aml: (
                    aml.account_id == writeoff_account
                    and not (aml.matched_debit_ids or aml.matched_credit_ids)
                )
            )
            label = writeoff_label or self.env._("Write-off")
            booked.with_context(**poster._entry_context(line.move_id)).write(
                {"name": label}
            )
        if partner and line.partner_id != partner:
            # the poster names the items' partner: the person's choice wins
            context = poster._entry_context(line.move_id)
            line.with_context(**context).write({"partner_id": partner.id})
            line.move_id.with_context(**context).write({"partner_id": partner.id})
            line._seek_for_lines()[0].with_context(**context).write(
                {"partner_id": partner.id}
            )
        user = self.env.user.name
        names = ", ".join(items.mapped("move_name"))
        reason = self.env._("Reconciled by hand by %(user)s", user=user)
        if names:
            reason += f": {names}"
        if writeoff:
            reason += self.env._(
                " + write-off %(amount)s on %(account)s",
                amount=writeoff,
                account=writeoff_account.code,
            )
        poster._write_match_state(
            [(line.id, "manual", reason[:255], 0.0, None, fields.Datetime.now())]
        )
        poster._discard_candidates(line)
        poster._close_line_exceptions(
            line, self.env._("Reconciled by hand by %(user)s.", user=user)
        )
        self.env["o2c.audit.log"]._log(
            "bank.reconcile.manual",
            self.env._(
                "%(user)s reconciled bank line %(line)s by hand",
                user=user,
                line=line.payment_ref or line.id,
            ),
            records=line,
            data={
                "line": line.id,
                "items": items.ids,
                "amounts": [str(a.amount) for a in check_list],
                "writeoff": str(writeoff),
                "writeoff_account": writeoff_account.id if writeoff else None,
                "writeoff_label": writeoff_label if writeoff else None,
                "partner": line.partner_id.id or None,
            },
        )
        return True

    @api.model
    def _check_allocation(self, line_amount, allocations, writeoff, digits):
        """``lib.manual_reconcile.check`` with a translated message."""
        try:
            manual_reconcile.check(line_amount, allocations, writeoff, digits)
        except manual_reconcile.AllocationError as exc:
            names = {
                a.item_id: self.env["account.move.line"].browse(a.item_id).display_name
                for a in allocations
            }
            params = dict(exc.params, item=names.get(exc.params.get("item"), ""))
            _ = self.env._
            messages = {
                "line_zero": lambda: _("The bank line has nothing left to book."),
                "duplicate": lambda: _("%(item)s is chosen twice.", **params),
                "item_closed": lambda: _("%(item)s is no longer open.", **params),
                "amount_zero": lambda: _("No amount is applied to %(item)s.", **params),
                "wrong_sign": lambda: _(
                    "The amount applied to %(item)s must have the sign of its open "
                    "amount (%(residual)s).",
                    **params,
                ),
                "over_residual": lambda: _(
                    "%(amount)s exceeds what is open on %(item)s (%(residual)s): "
                    "the item may have been paid meanwhile.",
                    **params,
                ),
                "empty": lambda: _("Choose open items or a write-off."),
                "unbalanced": lambda: _(
                    "%(remaining)s of the bank line is not booked yet: adjust the "
                    "amounts or write the difference off.",
                    **params,
                ),
            }
            message = messages.get(exc.code)
            raise UserError(message() if message else str(exc)) from exc

    # --- UNDO

    @api.model
    def _undo(self, lines):
        """Unreconcile ``lines`` through Odoo and reopen their exception."""
        self._check_reconcile_rights()
        lines = lines.sudo().filtered(
            lambda line: (
                line.is_reconciled
                or line.o2c_match_state in ("matched", "manual")
                or line._seek_for_lines()[2]
            )
        )
        if not lines:
            raise UserError(self.env._("No reconciled bank line in the selection."))
        user = self.env.user.name
        for line in lines.with_company(lines.company_id[:1]):
            _liquidity, _suspense, counterparts = line._seek_for_lines()
            undone = {
                "line": line.id,
                "state": line.o2c_match_state,
                "items": (
                    counterparts.matched_debit_ids.debit_move_id
                    | counterparts.matched_credit_ids.credit_move_id
                )
                .filtered(lambda aml, cp=counterparts: aml not in cp)
                .ids,
                "accounts": counterparts.account_id.ids,
            }
            line.with_company(line.company_id).action_undo_reconciliation()
            self._reopen_exception(line, user)
            self.env["o2c.audit.log"]._log(
                "bank.reconcile.undo",
                self.env._(
                    "%(user)s undid the reconciliation of bank line %(line)s",
                    user=user,
                    line=line.payment_ref or line.id,
                ),
                records=line,
                data=undone,
            )
        return lines

    @api.model
    def _reopen_exception(self, line, user):
        """The line's last exception opens again (a new one if it had none).

        The poster refreshes it as for any unmatched line: name, amount,
        category; the match state goes back to "unmatched".
        """
        engine = self.env["o2c.reconcile.engine"].sudo().with_company(line.company_id)
        patterns = references.default_invoice_patterns(
            engine._get_invoice_prefixes(line.company_id)
        )
        line.invalidate_recordset()
        data = engine._prepare_bank_line(line, patterns)
        Exc = self.env["o2c.exception"].sudo()
        # a line of an import lives in its import's unmatched list, else on its own
        imp = line.o2c_statement_import_id
        key = Exc._o2c_group_key(imp) if imp else _line_key(line)
        last = Exc.search(
            [
                ("dedup_key", "=", key),
                ("state", "not in", ("new", "in_progress")),
            ],
            order="id desc",
            limit=1,
        )
        if last and not Exc.search_count(
            [
                ("dedup_key", "=", key),
                ("state", "in", ("new", "in_progress")),
            ]
        ):
            last.write(
                {
                    "state": "new",
                    "resolution_note": False,
                    "resolved_by_id": False,
                    "resolved_date": False,
                }
            )
            last.message_post(
                body=self.env._(
                    "Reopened: %(user)s undid the reconciliation of the bank line.",
                    user=user,
                ),
                message_type="comment",
                subtype_xmlid="mail.mt_note",
            )
        if data is not None:
            poster = (
                self.env["o2c.reconcile.poster"].sudo().with_company(line.company_id)
            )
            poster._record_open([], [(line, data)])

    # --- BULK ACCEPT

    @api.model
    def _accept_top(self, lines):
        """Accept the best open suggestion of each line; ``(done, [(line, why)])``.

        Each line in its own savepoint: a suggestion gone stale (an invoice
        paid meanwhile) is reported and spares the others.
        """
        done = self.env["account.bank.statement.line"]
        refused = []
        for line in lines:
            candidate = line.o2c_candidate_ids.filtered(
                lambda c: c.state == "open"
            ).sorted(lambda c: (c.rank, -c.score, c.id))[:1]
            if line.is_reconciled:
                refused.append((line, self.env._("already reconciled")))
                continue
            if not candidate:
                refused.append((line, self.env._("no suggestion")))
                continue
            try:
                with self.env.cr.savepoint():
                    self.env["o2c.reconcile.poster"]._accept_candidate(candidate)
            except UserError as exc:
                refused.append((line, str(exc.args[0] if exc.args else exc)))
                continue
            done |= line
        return done, refused


class _ManualWriteoff:
    """Stands for the rule the poster asks for a write-off account.

    ``o2c.reconcile.poster`` books a rule's write-off on the rule's account;
    by hand, the account is the one the person chose.
    """

    def __init__(self, account, name):
        self.account = account
        self.name = name

    def _get_writeoff_account(self, company):
        return self.account
