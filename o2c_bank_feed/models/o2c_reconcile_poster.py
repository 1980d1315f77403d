# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Posting the engine's decisions: Odoo reconciliation, exceptions, suggestions.

``o2c.reconcile.engine`` decides; this service books. An automatic match
turns the line's suspense journal item into counterparts on the items'
accounts (plus a write-off within tolerance, or a remainder left on
suspense) and reconciles each counterpart with its item through
``account.move.line._reconcile_plan``, Odoo's own reconciliation: partials,
full reconciles, exchange differences and the invoice's payment state come
from there. Undecided lines get one open exception each (proposal or
unmatched) with their suggestions; a person accepts one with a click.
"""

import json
import logging
from datetime import timedelta
from decimal import Decimal

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Command

from ..lib import matching

_logger = logging.getLogger(__name__)

#: Suggestions kept per line.
MAX_CANDIDATES = 5
#: Strategies whose acceptance confirms the payer's name: the bank name is
#: then mapped to the partner (``o2c.bank.name.mapping``).
NAME_STRATEGIES = ("name_amount", "fuzzy_name")
UNMATCHED_DEADLINE_DAYS = 5
#: Journal item fields Odoo's reconciliation reads on every item of a plan.
RECONCILE_PREFETCH = [
    "move_id",
    "account_id",
    "partner_id",
    "company_id",
    "currency_id",
    "company_currency_id",
    "date",
    "date_maturity",
    "balance",
    "amount_currency",
    "amount_residual",
    "amount_residual_currency",
    "reconciled",
    "parent_state",
    "display_type",
    "full_reconcile_id",
    "matched_debit_ids",
    "matched_credit_ids",
]


class O2cReconcilePoster(models.AbstractModel):
    _name = "o2c.reconcile.poster"
    _description = "O2C Bank Reconciliation Posting"

    # --- APPLY (auto)

    @api.model
    def _apply_auto(self, decisions):
        """Reconcile the decided lines through Odoo, then record the outcome.

        Returns the decisions left alone because the line's entry was changed
        by hand meanwhile (see ``_prepare_counterparts``).
        """
        if not decisions:
            return []
        item_ids = sorted({i for _l, d, _r in decisions for i in d.best.item_ids})
        self._lock_items(item_ids)
        # One recordset for all items: every per-line slice shares its
        # prefetch, so their fields are read in a few queries, not one each.
        all_items = self.env["account.move.line"].browse(item_ids)
        all_items.fetch(["account_id", "partner_id", "move_id", "currency_id"])
        entries = [
            (
                line,
                decision.best,
                rule,
                all_items.browse(decision.best.item_ids).with_prefetch(
                    all_items._prefetch_ids
                ),
            )
            for line, decision, rule in decisions
        ]
        # The plain matches are booked in bulk (same rows as Odoo's, proven
        # field by field), the others through Odoo's reconciliation.
        analytic_models = self._analytic_models_exist()
        plain, other = self.env["o2c.reconcile.bulk"]._split(entries, analytic_models)
        done = self._write_counterparts(other, analytic_models)
        self._reconcile([pair for _line, pairs in done for pair in pairs])
        done += self._book_plain(plain)
        now = fields.Datetime.now()
        updates, audit = [], []
        done_ids = {line.id for line, _pairs in done}
        for line, decision, rule in decisions:
            if line.id not in done_ids:
                continue
            proposal = decision.best
            updates.append(
                (
                    line.id,
                    "matched",
                    proposal.reason[:255],
                    proposal.score,
                    rule.id,
                    now,
                )
            )
            audit.append(
                {
                    "line": line.id,
                    "items": list(proposal.item_ids),
                    "amounts": [str(a) for a in proposal.amounts],
                    "writeoff": str(proposal.writeoff),
                    "score": proposal.score,
                    "rule": rule.id,
                    "strategy": proposal.strategy,
                }
            )
        self._write_match_state(updates)
        matched = self.env["account.bank.statement.line"].browse(
            [u[0] for u in updates]
        )
        self._close_line_exceptions(matched, self.env._("Reconciled automatically."))
        self._discard_candidates(matched)
        if audit:
            self.env["o2c.audit.log"]._log(
                "bank.reconcile.auto",
                self.env._("Reconciled %(n)s bank lines automatically", n=len(audit)),
                records=matched[:1],
                data={"lines": audit},
            )
        return [entry for entry in decisions if entry[0].id not in done_ids]

    @api.model
    def _apply_auto_isolated(self, decisions):
        """``_apply_auto``, where a line Odoo refuses to book spares the others.

        The batch is booked in one savepoint. When Odoo refuses it with a
        business error (an archived write-off account, a lock date, a closed
        journal: a ``UserError``), each line is booked in a savepoint of its
        own, so one line does not hold up hundreds. Returns ``[(entry,
        message)]`` for the lines refused, and for those whose entry was
        changed by hand meanwhile: a person must look at them. Database
        concurrency errors are not caught: queue_job retries the job.
        """
        if not decisions:
            return []
        edited = self.env._(
            "The bank line's journal entry was changed by hand meanwhile."
        )
        try:
            with self.env.cr.savepoint():
                skipped = self._apply_auto(decisions)
            refused = [(entry, edited) for entry in skipped]
        except UserError as exc:
            refused = [(decisions[0], _error_message(exc))]
            if len(decisions) > 1:
                refused = []
                for entry in decisions:
                    try:
                        with self.env.cr.savepoint():
                            skipped = self._apply_auto([entry])
                        refused += [(e, edited) for e in skipped]
                    except UserError as line_exc:
                        refused.append((entry, _error_message(line_exc)))
        for (line, _decision, _rule), message in refused:
            _logger.warning(
                "O2C: automatic reconciliation of bank line %s refused: %s",
                line.id,
                message,
            )
        return refused

    @api.model
    def _reconcile(self, pairs):
        """Odoo's own reconciliation of ``[counterpart | item]`` pairs, in one plan.

        Partials, full reconciles, exchange differences and the invoices'
        payment state all come from ``account.move.line._reconcile_plan``.
        ``skip_invoice_sync``: reconciling changes no invoice line, so the
        re-synchronisation of taxes and payment terms Odoo wraps around it
        would only re-read every invoice of the batch.
        """
        if not pairs:
            return
        Aml = self.env["account.move.line"].with_context(skip_invoice_sync=True)
        # Odoo sorts and groups each pair's items by date, currency and
        # amounts. Separate recordsets would each load those fields with
        # their own queries (two per pair); one prefetch set for all the pairs
        # loads them once for the batch.
        everything = Aml.browse(
            sorted({aml_id for pair in pairs for aml_id in pair.ids})
        )
        everything.fetch(RECONCILE_PREFETCH)
        everything.move_id.fetch(["state", "move_type", "currency_id", "company_id"])
        Aml._reconcile_plan(
            [
                pair.with_env(Aml.env).with_prefetch(everything._prefetch_ids)
                for pair in pairs
            ]
        )

    @api.model
    def _lock_items(self, item_ids):
        """Row-lock the items about to be paid (concurrent jobs then retry)."""
        if item_ids:
            self.env.cr.execute(
                "SELECT id FROM account_move_line WHERE id = ANY(%s) FOR NO KEY UPDATE",
                [item_ids],
            )

    @api.model
    def _prepare_counterparts(self, line, proposal, rule, items):
        """Journal items replacing the suspense item of ``line`` for ``proposal``.

        Returns ``(liquidity, suspense, partner, remainder_vals, new_vals)`` or
        None when the line's entry is not in its imported shape any more (a
        person started working on it).
        """
        liquidity, suspense, other = line._seek_for_lines()
        if other or len(suspense) != 1 or len(liquidity) != 1:
            _logger.info("O2C: bank line %s was edited meanwhile, left alone", line.id)
            return None
        journal_currency = line.journal_id.currency_id or line.company_id.currency_id
        currency = line.foreign_currency_id or journal_currency
        company_currency = line.company_currency_id
        label = line.payment_ref or "/"
        transaction_amount = -suspense.amount_currency
        simple = currency == company_currency and journal_currency == company_currency

        def counterpart(amount_currency, **vals):
            if simple:
                balance = amount_currency
            else:
                balance = line._prepare_counterpart_amounts_using_st_line_rate(
                    currency, 0.0, amount_currency
                )["balance"]
            return {
                "move_id": line.move_id.id,
                "currency_id": currency.id,
                "amount_currency": amount_currency,
                "balance": balance,
                **vals,
            }

        new_vals = [
            counterpart(
                -float(amount),
                name=label,
                account_id=item.account_id.id,
                partner_id=item.partner_id.id,
            )
            for item, amount in zip(items, proposal.amounts, strict=True)
        ]
        partner = items.partner_id if len(items.partner_id) == 1 else line.partner_id
        if proposal.writeoff:
            account = rule._get_writeoff_account(line.company_id)
            if not account:
                raise UserError(
                    self.env._(
                        "Rule %(rule)s has no write-off account.", rule=rule.name
                    )
                )
            if not account.active:
                # Odoo checks archived accounts when an entry is posted, not
                # when items are added to a posted one: check it here.
                raise UserError(
                    self.env._(
                        "The write-off account %(account)s of rule %(rule)s is "
                        "archived.",
                        account=account.display_name,
                        rule=rule.name,
                    )
                )
            new_vals.append(
                counterpart(
                    float(proposal.writeoff),
                    name=self.env._("Write-off: %(label)s", label=label),
                    account_id=account.id,
                    partner_id=partner.id,
                )
            )
        remainder = None
        if proposal.remainder:
            remainder = counterpart(-float(proposal.remainder))
            remainder.pop("move_id")
        # Each converted balance is rounded on its own; the entry must still
        # balance, so the last journal item takes the rounding difference.
        last = remainder or new_vals[-1]
        gap = (
            -liquidity.balance
            - sum(v["balance"] for v in new_vals)
            - (remainder["balance"] if remainder else 0.0)
        )
        if not company_currency.is_zero(gap):
            last["balance"] = company_currency.round(last["balance"] + gap)
        if not transaction_amount:
            return None
        return liquidity, suspense, partner, remainder, new_vals

    @api.model
    def _write_counterparts(self, entries, analytic_models=None):
        """Turn the suspense items of several lines into counterparts, in batch.

        ``entries`` is ``[(line, proposal, rule, items)]``; ``analytic_models``
        whether the database has analytic distribution models (asked when
        not given). The suspense items
        are removed and the counterparts created with one ``unlink`` and one
        ``create`` for the whole batch, inside one balance check of all the
        entries (Odoo checks at the end of the outermost block): the same
        journal items as one write per line, at a fraction of the cost.
        Returns ``[(line, [counterpart | item, ...])]`` ready for
        ``_reconcile_plan``.
        """
        prepared = self._prepare_all(entries)
        if not prepared:
            return []
        moves = self.env["account.move"].browse([p[0].move_id.id for p in prepared])
        context = self._entry_context(moves)
        Aml = self.env["account.move.line"].with_context(**context)
        with moves._check_balanced({"records": moves}):
            self._write_partners(prepared, context)
            for _line, _items, _liq, suspense, _partner, remainder, _vals in prepared:
                if remainder:
                    suspense.with_context(**context).write(remainder)
            Aml.browse([p[3].id for p in prepared if not p[5]]).unlink()
            # Counterparts on receivable / payable / clearing accounts never
            # carry analytics; write-off lines (expenses) may, so they keep
            # Odoo's analytic synchronisation, unless the database has no
            # distribution model: then Odoo computes no distribution for any
            # of these items (they have no product), so say so instead of
            # asking once per item.
            all_vals = [vals for p in prepared for vals in p[6]]
            if analytic_models is None:
                analytic_models = self._analytic_models_exist()
            if analytic_models:
                writeoff_accounts = {
                    rule._get_writeoff_account(line.company_id).id
                    for line, proposal, rule, _items in entries
                    if proposal.writeoff
                }
            else:
                writeoff_accounts = set()
                for vals in all_vals:
                    vals["analytic_distribution"] = False
            plain = [v for v in all_vals if v["account_id"] not in writeoff_accounts]
            analytic = [v for v in all_vals if v["account_id"] in writeoff_accounts]
            created_plain = Aml.with_context(skip_analytic_sync=True).create(plain)
            created_analytic = Aml.create(analytic) if analytic else Aml
            by_vals = dict(zip(map(id, plain), created_plain, strict=True))
            by_vals.update(zip(map(id, analytic), created_analytic, strict=True))
            created = Aml.concat(*[by_vals[id(v)] for v in all_vals])
        done, position = [], 0
        for line, items, _liq, _susp, _partner, _rem, new_vals in prepared:
            counterparts = created[position : position + len(items)]
            position += len(new_vals)
            done.append(
                (
                    line,
                    [cp | item for cp, item in zip(counterparts, items, strict=True)],
                )
            )
        return done

    @api.model
    def _prepare_all(self, entries):
        """``[(line, items, *_prepare_counterparts(...))]``, edited lines left out."""
        lines = self.env["account.bank.statement.line"].concat(*[e[0] for e in entries])
        lines.move_id.line_ids.fetch(
            ["account_id", "partner_id", "balance", "amount_currency", "currency_id"]
        )
        prepared = []
        for line, proposal, rule, items in entries:
            result = self._prepare_counterparts(line, proposal, rule, items)
            if result is not None:
                prepared.append((line, items, *result))
        return prepared

    @api.model
    def _entry_context(self, moves):
        """Context of the writes on the bank entries."""
        # Bank entries carry no taxes nor payment terms: Odoo's invoice line
        # synchronisation has nothing to do on them, and the statement line
        # fields it would re-derive from the entry (amount, label, currency)
        # do not change. The partner is the one field to follow
        # (``_write_partners``).
        context = {
            "skip_readonly_check": True,
            "force_delete": True,
            "skip_invoice_sync": True,
            "skip_account_move_synchronization": True,
        }
        if not any(moves.company_id.mapped("restrictive_audit_trail")):
            # The o2c audit log records the reconciliation; per-item chatter
            # messages on every bank entry would cost more than the matching.
            context["tracking_disable"] = True
        return context

    @api.model
    def _write_partners(self, prepared, context):
        """The matched partner on lines that had none: line, entry, bank item."""
        by_partner = {}
        for line, _items, liquidity, _suspense, partner, _rem, _vals in prepared:
            if partner and liquidity.partner_id != partner:
                by_partner.setdefault(partner, []).append(line)
        Aml = self.env["account.move.line"].with_context(**context)
        for partner, lines in by_partner.items():
            lines = self.env["account.bank.statement.line"].concat(*lines)
            lines.with_context(**context).write({"partner_id": partner.id})
            lines.move_id.with_context(**context).write({"partner_id": partner.id})
            Aml.browse([p[2].id for p in prepared if p[0] in lines]).write(
                {"partner_id": partner.id}
            )

    @api.model
    def _book_plain(self, entries):
        """``o2c.reconcile.bulk`` books these entries (counterparts + reconcile)."""
        prepared = self._prepare_all(entries)
        if not prepared:
            return []
        moves = self.env["account.move"].browse([p[0].move_id.id for p in prepared])
        with moves._check_balanced({"records": moves}):
            self._write_partners(prepared, self._entry_context(moves))
            return self.env["o2c.reconcile.bulk"]._book(prepared)

    @api.model
    def _analytic_models_exist(self):
        return bool(
            self.env["account.analytic.distribution.model"]
            .sudo()
            .search_count([], limit=1)
        )

    @api.model
    def _write_match_state(self, updates):
        """Store (line id, state, reason, score, rule id, date) in one statement."""
        if not updates:
            return
        ids, states, reasons, scores, rules, dates = (
            list(col) for col in zip(*updates, strict=True)
        )
        self.env.flush_all()
        self.env.cr.execute(
            """UPDATE account_bank_statement_line line
                  SET o2c_match_state = u.state, o2c_match_reason = u.reason,
                      o2c_match_score = u.score, o2c_rule_id = u.rule_id,
                      o2c_match_date = u.run_at
                 FROM unnest(%s::int[], %s::varchar[], %s::varchar[], %s::numeric[],
                             %s::int[], %s::timestamp[])
                      AS u(id, state, reason, score, rule_id, run_at)
                WHERE line.id = u.id""",
            [ids, states, reasons, scores, rules, dates],
        )
        self.env["account.bank.statement.line"].browse(ids).invalidate_recordset(
            [
                "o2c_match_state",
                "o2c_match_reason",
                "o2c_match_score",
                "o2c_rule_id",
                "o2c_match_date",
            ]
        )

    # --- PROPOSE / UNMATCHED

    @api.model
    def _record_open(self, proposed, unmatched):
        """Exceptions (one open per line) and suggestions for undecided lines."""
        lines = self.env["account.bank.statement.line"].browse(
            [p[0].id for p in proposed] + [u[0].id for u in unmatched]
        )
        if not lines:
            return
        self._discard_candidates(lines, unlink=True)
        now = fields.Datetime.now()
        entries, updates = [], []
        for line, decision, owner, data in proposed:
            best = decision.best
            refused = data.get("refused")
            candidates = [
                {
                    "rank": rank,
                    "items": list(p.item_ids),
                    "amounts": [str(a) for a in p.amounts],
                    "score": p.score,
                    "strategy": p.strategy,
                    "reason": p.reason,
                    "writeoff": str(p.writeoff),
                    "partial": p.partial,
                    "rule": owner[id(p)].id if id(p) in owner else None,
                }
                for rank, p in enumerate(decision.candidates[:MAX_CANDIDATES], start=1)
            ]
            if refused:
                name = self.env._(
                    "Bank line %(line)s: Odoo refused the automatic reconciliation "
                    "(%(error)s)",
                    line=line.payment_ref or line.id,
                    error=refused,
                )
            else:
                name = self.env._(
                    "Bank line %(line)s: %(n)s suggestion(s), best %(reason)s",
                    line=line.payment_ref or line.id,
                    n=len(decision.candidates),
                    reason=best.reason,
                )
            details = {
                "line_id": line.id,
                "amount": str(data["amount"]),
                "currency": data["currency"],
                "candidates": candidates,
            }
            if refused:
                details["error"] = refused
            entries.append(
                {
                    "line": line,
                    "category": "proposal",
                    # a match the engine was sure of, that could not be booked
                    "severity": "high" if refused else "low",
                    "name": name[:250],
                    "details": details,
                    "candidates": candidates,
                    "data": data,
                }
            )
            updates.append(
                (
                    line.id,
                    "proposed",
                    (f"{refused} | {best.reason}" if refused else best.reason)[:255],
                    best.score,
                    owner[id(best)].id,
                    now,
                )
            )
        # unmatched lines of an import: one exception per import (o2c.exception)
        grouped = [u[0].id for u in unmatched if u[0].o2c_statement_import_id]
        unmatched = [u for u in unmatched if not u[0].o2c_statement_import_id]
        for line_id in grouped:
            updates.append((line_id, "unmatched", None, 0.0, None, now))
        for line, data in unmatched:
            entries.append(
                {
                    "line": line,
                    "category": "unmatched",
                    "severity": "medium",
                    "name": self.env._(
                        "Unmatched bank line %(line)s (%(amount)s %(currency)s)",
                        line=line.payment_ref or line.id,
                        amount=data["amount"],
                        currency=data["currency"],
                    )[:250],
                    "details": {
                        "line_id": line.id,
                        "amount": str(data["amount"]),
                        "currency": data["currency"],
                        "counterparty": data["name"],
                        "text": data["text"][:500],
                    },
                    "candidates": [],
                    "data": data,
                }
            )
            updates.append((line.id, "unmatched", None, 0.0, None, now))
        exceptions = self._raise_line_exceptions(entries)
        self._create_candidates(entries, exceptions)
        self._write_match_state(updates)
        Line = self.env["account.bank.statement.line"]
        self.env["o2c.exception"]._o2c_release_bank_lines(
            Line.browse([p[0].id for p in proposed]),
            self.env._("The matching rules found suggestions."),
        )
        self.env["o2c.exception"]._o2c_raise_unmatched_lines(Line.browse(grouped))

    @api.model
    def _raise_line_exceptions(self, entries):
        """Open (or update) one exception per line; batch version of ``_raise``."""
        Exc = self.env["o2c.exception"].sudo()
        keys = [_line_key(e["line"]) for e in entries]
        existing = {
            exc.dedup_key: exc
            for exc in Exc.search(
                [("dedup_key", "in", keys), ("state", "in", ("new", "in_progress"))]
            )
        }
        deadline = fields.Date.today() + timedelta(days=UNMATCHED_DEADLINE_DAYS)
        to_create, result = [], {}
        for entry, key in zip(entries, keys, strict=True):
            line, data = entry["line"], entry["data"]
            vals = {
                "name": entry["name"],
                "category": entry["category"],
                "severity": entry["severity"],
                "company_id": line.company_id.id,
                "amount": float(abs(data["amount"])),
                "currency_id": (line.foreign_currency_id or line.currency_id).id,
                "partner_id": line.partner_id.commercial_partner_id.id or False,
                "res_model": line._name,
                "res_id": line.id,
                "details": entry["details"],
                "last_seen": fields.Datetime.now(),
                "event_id": line.o2c_statement_import_id.event_id.id or False,
            }
            if key in existing:
                exc = existing[key]
                vals["occurrence_count"] = exc.occurrence_count + 1
                exc.write(vals)
                result[line.id] = exc
            else:
                vals["dedup_key"] = key
                if entry["category"] == "unmatched":
                    vals["date_deadline"] = deadline
                to_create.append(vals)
        if to_create:
            created = Exc.with_context(
                mail_create_nolog=True, tracking_disable=True, mail_notrack=True
            ).create(to_create)
            for exc in created:
                result[exc.res_id] = exc
        return result

    @api.model
    def _create_candidates(self, entries, exceptions):
        vals_list = []
        for entry in entries:
            line = entry["line"]
            for cand in entry["candidates"]:
                vals_list.append(
                    {
                        "statement_line_id": line.id,
                        "exception_id": exceptions[line.id].id,
                        "rule_id": cand["rule"],
                        "rank": cand["rank"],
                        "score": cand["score"],
                        "strategy": cand["strategy"],
                        "reason": cand["reason"][:255],
                        "move_line_ids": [Command.set(cand["items"])],
                        "item_order": json.dumps(cand["items"]),
                        "amounts": json.dumps(cand["amounts"]),
                        "writeoff": float(Decimal(cand["writeoff"])),
                        "partial": cand["partial"],
                    }
                )
        if vals_list:
            self.env["o2c.reconcile.candidate"].sudo().create(vals_list)

    @api.model
    def _discard_candidates(self, lines, unlink=False):
        open_candidates = (
            self.env["o2c.reconcile.candidate"]
            .sudo()
            .search([("statement_line_id", "in", lines.ids), ("state", "=", "open")])
        )
        if unlink:
            open_candidates.unlink()
        else:
            open_candidates.write({"state": "discarded"})

    @api.model
    def _close_line_exceptions(self, lines, note):
        if not lines:
            return
        self.env["o2c.exception"]._o2c_release_bank_lines(lines, note)
        open_exc = (
            self.env["o2c.exception"]
            .sudo()
            .search(
                [
                    ("dedup_key", "in", [_line_key(line) for line in lines]),
                    ("state", "in", ("new", "in_progress")),
                ]
            )
        )
        if open_exc:
            open_exc._mark_done("resolved", note)

    # --- ACCEPT (a person)

    @api.model
    def _accept_candidate(self, candidate):
        """Apply a suggestion chosen by a person, after checking it still holds."""
        line = candidate.statement_line_id.sudo()
        if line.is_reconciled:
            raise UserError(self.env._("The bank line is already reconciled."))
        allocation = candidate.sudo()._get_allocation()
        items = self.env["account.move.line"].sudo()
        for item, amount in allocation:
            self._lock_items(item.ids)
            item.invalidate_recordset(["amount_residual_currency", "reconciled"])
            if item.reconciled or abs(
                matching.money(item.amount_residual_currency or 0.0, 6)
            ) < abs(amount):
                raise UserError(
                    self.env._(
                        "%(item)s is no longer open for %(amount)s: the suggestion is "
                        "outdated. Run the reconciliation again.",
                        item=item.move_name,
                        amount=amount,
                    )
                )
            items |= item
        proposal = matching.Proposal(
            line_id=line.id,
            item_ids=tuple(items.ids),
            amounts=tuple(a for _i, a in allocation),
            score=candidate.score,
            strategy=candidate.strategy or "manual",
            reason=candidate.reason or "",
            writeoff=Decimal(repr(candidate.writeoff or 0.0)),
            partial=candidate.partial,
        )
        line_amount = -matching.money(line.amount_residual or 0.0, 6)
        proposal.remainder = line_amount - sum(proposal.amounts) + proposal.writeoff
        rule = candidate.rule_id or self.env["o2c.reconcile.rule"].search([], limit=1)
        poster = self.sudo().with_company(line.company_id)
        done = poster._write_counterparts([(line, proposal, rule, items)])
        if not done:
            raise UserError(
                self.env._("The bank line was edited meanwhile: reconcile it by hand.")
            )
        poster._reconcile(done[0][1])
        user = self.env.user.name
        poster._write_match_state(
            [
                (
                    line.id,
                    "manual",
                    self.env._(
                        "Accepted by %(user)s: %(reason)s",
                        user=user,
                        reason=candidate.reason or "",
                    )[:255],
                    candidate.score,
                    candidate.rule_id.id or None,
                    fields.Datetime.now(),
                ),
            ]
        )
        candidate.sudo().state = "accepted"
        (line.o2c_candidate_ids - candidate).filtered(
            lambda c: c.state == "open"
        ).write({"state": "discarded"})
        poster._close_line_exceptions(
            line, self.env._("Suggestion accepted by %(user)s.", user=user)
        )
        if candidate.strategy in NAME_STRATEGIES and len(items.partner_id) == 1:
            # a person just confirmed who this bank name is
            self.env["o2c.bank.name.mapping"].with_company(line.company_id)._learn(
                line, items.partner_id
            )
        self.env["o2c.audit.log"]._log(
            "bank.reconcile.accept",
            self.env._(
                "%(user)s accepted a suggestion for bank line %(line)s",
                user=user,
                line=line.payment_ref or line.id,
            ),
            records=line,
            data={
                "line": line.id,
                "items": list(proposal.item_ids),
                "amounts": [str(a) for a in proposal.amounts],
                "writeoff": str(proposal.writeoff),
                "score": candidate.score,
            },
        )
        return True


def _error_message(exc):
    return str(exc.args[0] if exc.args else exc)


def _line_key(line):
    return f"o2c.bank.line:{line.id}"
