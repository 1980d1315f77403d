# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The reconciliation engine service: SQL in, pure matching, Odoo reconcile out.

For a batch of bank lines:

1. ONE query fetches the candidate open items of the whole batch: items on
   reconcilable accounts, posted, not reconciled, of the lines' company,
   whose reference keys, partner or residual amount meet the batch's (each
   condition is served by a partial index, see ``account_move_line.py``).
2. Each line gets the items sharing its keys, partner or amount, and every
   applicable rule runs its pure strategy (``lib/matching.py``).
3. ``matching.decide`` chooses: reconcile, propose (an exception with the
   candidates and a one-click accept), or nothing (an "unmatched" exception
   with the amount). ``o2c.reconcile.poster`` books the outcome through
   Odoo's own reconciliation.

Items consumed by a line are taken out of the batch's pool at once, so two
lines of a batch never pay the same invoice twice; items locked or changed by
a concurrent transaction raise a serialization error that queue_job retries.
"""

import logging
import re
import time
from dataclasses import replace

from odoo import api, models

from ..lib import matching, matching_names, references
from .account_move_line import OPEN_ITEM_PREDICATE
from .o2c_reconcile_rule import BANK_FEES_XMLID, STRATEGY_FUNCTIONS

_logger = logging.getLogger(__name__)

#: Proposal strategies that rest on a reference (see lib/matching.py).
REFERENCE_STRATEGIES = ("reference", "reference_multi")
#: An inexact fit whose payer is not confirmed is not trusted beyond this
#: score: it goes to a person (see ``_guard_payer``).
FOREIGN_PAYER_CAP = 60.0
#: A remittance this short (alphanumerics) is also tried as one whole reference.
WHOLE_TEXT_KEY_MAX = 35
_TOKEN = re.compile(r"[^\s,;()\[\]{}\"']+")

_OPEN = " AND ".join(f"aml.{c.strip()}" for c in OPEN_ITEM_PREDICATE.split("AND"))
_CANDIDATES_SQL = f"""
WITH hit AS (
    SELECT aml.id FROM account_move_line aml
     WHERE {_OPEN} AND aml.company_id = %(company)s
       AND o2c_ref_key(aml.move_name) = ANY(%(keys)s::text[])
    UNION
    SELECT aml.id FROM account_move_line aml
     WHERE {_OPEN} AND aml.company_id = %(company)s
       AND o2c_ref_canon(aml.move_name) = ANY(%(keys)s::text[])
    UNION
    SELECT aml.id FROM account_move_line aml
     WHERE {_OPEN} AND aml.company_id = %(company)s
       AND o2c_ref_key(aml.name) = ANY(%(keys)s::text[])
    UNION
    SELECT aml.id FROM account_move move
      JOIN account_move_line aml ON aml.move_id = move.id
     WHERE move.payment_reference IS NOT NULL
       AND o2c_ref_key(move.payment_reference) = ANY(%(keys)s::text[])
       AND {_OPEN} AND aml.company_id = %(company)s
    UNION
    SELECT aml.id FROM account_move move
      JOIN account_move_line aml ON aml.move_id = move.id
     WHERE move.ref IS NOT NULL AND o2c_ref_key(move.ref) = ANY(%(keys)s::text[])
       AND {_OPEN} AND aml.company_id = %(company)s
    UNION
    SELECT aml.id FROM account_move_line aml
     WHERE {_OPEN} AND aml.company_id = %(company)s
       AND aml.partner_id = ANY(%(partners)s::int[])
    UNION
    SELECT aml.id FROM account_move_line aml
     WHERE {_OPEN} AND aml.company_id = %(company)s
       AND aml.amount_residual_currency = ANY(%(amounts)s::numeric[])
)
SELECT aml.id, aml.partner_id, partner.name, aml.amount_residual_currency,
       currency.name, currency.decimal_places, aml.date, aml.date_maturity,
       aml.move_name, aml.name, move.ref, move.payment_reference, account.account_type
  FROM hit
  JOIN account_move_line aml ON aml.id = hit.id
  JOIN account_account account ON account.id = aml.account_id
  JOIN account_move move ON move.id = aml.move_id
  JOIN res_currency currency ON currency.id = aml.currency_id
  LEFT JOIN res_partner partner ON partner.id = aml.partner_id
 WHERE account.reconcile
   AND account.account_type NOT IN ('asset_cash', 'liability_credit_card')
   AND aml.amount_residual_currency != 0
   AND aml.statement_line_id IS NULL
   AND (aml.display_type IS NULL
        OR aml.display_type NOT IN ('line_section', 'line_subsection', 'line_note'))
   AND NOT (account.account_type IN ('asset_receivable', 'liability_payable')
            AND aml.payment_id IS NOT NULL)
"""
#: The columns every item lookup returns (see ``_fetch_open_items``).
_ITEM_COLUMNS_SQL = _CANDIDATES_SQL[
    _CANDIDATES_SQL.index("SELECT aml.id, aml.partner_id, partner.name") :
]
#: Open items of the partners a bank name designates (all of them: the amount
#: must be unique among them), and the credit notes (items on the other side)
#: of the partners whose invoices a line references (netting).
_PARTNER_ITEMS_SQL = f"""
WITH hit AS (
    SELECT aml.id FROM account_move_line aml
     WHERE {_OPEN} AND aml.company_id = %(company)s
       AND aml.partner_id = ANY(%(partners)s::int[])
    UNION
    SELECT aml.id FROM account_move_line aml
     WHERE {_OPEN} AND aml.company_id = %(company)s
       AND aml.partner_id = ANY(%(credit_partners)s::int[])
       AND aml.amount_residual_currency < 0
    UNION
    SELECT aml.id FROM account_move_line aml
     WHERE {_OPEN} AND aml.company_id = %(company)s
       AND aml.partner_id = ANY(%(debit_partners)s::int[])
       AND aml.amount_residual_currency > 0
)
{_ITEM_COLUMNS_SQL}"""
#: Partners whose names sort around each bank name: a few rows on each side,
#: by the name in word order and by its sorted words, four index range scans
#: per name (``res_partner_o2c_name_*_o2c_idx``). Truncated names start at
#: their last complete word, so the partners they begin come right after.
NAME_NEIGHBOURS_AFTER = 8
NAME_NEIGHBOURS_BEFORE = 3
_NAME_NEIGHBOURS_SQL = """
SELECT q.n, p.id, p.name
  FROM unnest(%(starts)s::text[], %(keys)s::text[]) WITH ORDINALITY AS q(start, key, n)
 CROSS JOIN LATERAL (
    (SELECT id, name FROM res_partner
      WHERE o2c_name_norm >= q.start
        AND o2c_name_norm IS NOT NULL AND parent_id IS NULL
      ORDER BY o2c_name_norm LIMIT %(after)s)
    UNION
    (SELECT id, name FROM res_partner
      WHERE o2c_name_norm < q.start
        AND o2c_name_norm IS NOT NULL AND parent_id IS NULL
      ORDER BY o2c_name_norm DESC LIMIT %(before)s)
    UNION
    (SELECT id, name FROM res_partner
      WHERE o2c_name_key >= q.key
        AND o2c_name_norm IS NOT NULL AND parent_id IS NULL
      ORDER BY o2c_name_key LIMIT %(after)s)
    UNION
    (SELECT id, name FROM res_partner
      WHERE o2c_name_key < q.key
        AND o2c_name_norm IS NOT NULL AND parent_id IS NULL
      ORDER BY o2c_name_key DESC LIMIT %(before)s)
 ) p
  JOIN res_partner partner ON partner.id = p.id
 WHERE partner.active
   AND (partner.company_id IS NULL OR partner.company_id = %(company)s)
"""
#: Rule strategies that need more than the batch's candidates.
NETTING_STRATEGY = "netting"
NAME_STRATEGY = "name_amount"


class O2cReconcileEngine(models.AbstractModel):
    _name = "o2c.reconcile.engine"
    _description = "O2C Bank Reconciliation Engine"

    # --- ENTRY POINTS

    @api.model
    def _reconcile_lines(self, lines):
        """Run the rules on ``lines``; return counts {auto, proposed, unmatched}.

        Lines already reconciled, matched, or locked by another job are
        skipped. Runs with elevated rights (a job of a finance user books
        journal items) but only on the lines' own company.
        """
        started = time.monotonic()
        stats = {"auto": 0, "proposed": 0, "unmatched": 0}
        lines = self._lock_open_lines(lines)
        lines.fetch(
            [
                "date",
                "amount_residual",
                "payment_ref",
                "partner_name",
                "o2c_structured_ref",
                "o2c_end_to_end_id",
                "transaction_details",
            ]
        )
        for company in lines.company_id:
            company_lines = lines.filtered(lambda line, c=company: line.company_id == c)
            engine = self.sudo().with_company(company)
            result = engine._reconcile_company_lines(
                company_lines.sudo().with_company(company)
            )
            for key, value in result.items():
                stats[key] = stats.get(key, 0) + value
        _logger.info(
            "O2C reconciliation of %s lines: %s auto, %s proposed, %s unmatched "
            "in %.2fs",
            len(lines),
            stats["auto"],
            stats["proposed"],
            stats["unmatched"],
            time.monotonic() - started,
        )
        return stats

    @api.model
    def _lock_open_lines(self, lines):
        if not lines:
            return lines
        self.env.flush_all()
        self.env.cr.execute(
            """SELECT id FROM account_bank_statement_line
                WHERE id = ANY(%s) AND is_reconciled IS NOT TRUE
                  AND o2c_match_state IN ('unmatched', 'proposed')
                ORDER BY id FOR UPDATE SKIP LOCKED""",
            [lines.ids],
        )
        return lines.browse([row[0] for row in self.env.cr.fetchall()])

    # --- BATCH

    @api.model
    def _reconcile_company_lines(self, lines):
        company = self.env.company
        rules = self.env["o2c.reconcile.rule"]._get_active_rules(company)
        patterns = references.default_invoice_patterns(
            self._get_invoice_prefixes(company)
        )
        lines = lines.sorted(lambda line: (line.date, line.id))
        bank_lines = {
            line.id: self._prepare_bank_line(line, patterns) for line in lines
        }
        bank_lines = {k: v for k, v in bank_lines.items() if v is not None}
        started = time.monotonic()
        strategies = set(rules.mapped("strategy"))
        if NAME_STRATEGY in strategies:
            self._resolve_payer_names(company, bank_lines.values(), rules)
        items = self._fetch_open_items(company, bank_lines.values())
        pool = _ItemPool(items)
        self._fetch_partner_items(
            company, bank_lines.values(), pool, NETTING_STRATEGY in strategies
        )
        outcome = {"auto": [], "propose": [], "none": []}
        owners = {}
        settings = {}  # per rule: values the loop would otherwise ask each line
        for line in lines:
            data = bank_lines.get(line.id)
            if data is None:
                continue
            decision, owner = self._decide_line(line, data, pool, rules, settings)
            if decision.kind == "auto":
                pool.consume(decision.best)
                outcome["auto"].append((line, decision, owner[id(decision.best)]))
                owners[line.id] = owner
            elif decision.kind == "propose":
                outcome["propose"].append((line, decision, owner, data))
            else:
                outcome["none"].append((line, data))
        matched_at = time.monotonic()
        poster = self.env["o2c.reconcile.poster"]
        refused = poster._apply_auto_isolated(outcome["auto"])
        for (line, decision, _rule), message in refused:
            # Odoo would not book it: the match waits for a person, with why.
            decision.kind = "propose"
            data = dict(bank_lines[line.id], refused=message)
            outcome["propose"].append((line, decision, owners[line.id], data))
        poster._record_open(outcome["propose"], outcome["none"])
        self.env.flush_all()
        return {
            "auto": len(outcome["auto"]) - len(refused),
            "proposed": len(outcome["propose"]),
            "unmatched": len(outcome["none"]),
            "match_seconds": matched_at - started,
            "post_seconds": time.monotonic() - matched_at,
        }

    @api.model
    def _get_invoice_prefixes(self, company):
        """Journal codes whose numbers people write in remittances."""
        journals = self.env["account.journal"].search(
            [("company_id", "=", company.id), ("type", "in", ("sale", "purchase"))]
        )
        prefixes = set(journals.mapped("code"))
        # Credit notes are numbered "R" + code by default.
        prefixes |= {f"R{code}" for code in journals.mapped("code")}
        return sorted(p for p in prefixes if p)

    @api.model
    def _prepare_bank_line(self, line, patterns):
        """Matching view of a statement line, in its transaction currency."""
        journal_currency = line.journal_id.currency_id or line.company_id.currency_id
        currency = line.foreign_currency_id or journal_currency
        digits = currency.decimal_places
        amount = -matching.money(line.amount_residual or 0.0, digits)
        if not amount:
            return None
        structured = [line.o2c_structured_ref, line.o2c_end_to_end_id]
        structured_keys = set()
        for ref in structured:
            if ref:
                structured_keys |= references.ref_keys(ref)
                structured_keys.update(references.extract_candidates(ref, patterns))
        text = line.payment_ref or ""
        text_keys = set(references.extract_rf(text))
        text_keys.update(references.extract_candidates(text, patterns))
        text_keys |= _token_keys(text)
        if 4 <= len(references.normalize_ref(text)) <= WHOLE_TEXT_KEY_MAX:
            # Banks often carry the payment reference alone in the free text.
            text_keys |= references.ref_keys(text)
        details = line.transaction_details or {}
        partner = line.partner_id.commercial_partner_id
        return {
            "amount": amount,
            "currency": currency.name,
            "digits": digits,
            "partner_id": partner.id or None,
            "name": line.partner_name or details.get("counterparty_name") or None,
            "structured_keys": frozenset(structured_keys),
            "text_keys": frozenset(text_keys),
            "text": text,
            "journal": line.journal_id,
        }

    @api.model
    def _fetch_open_items(self, company, bank_lines):
        """Candidate open items of a whole batch: ONE query (indexed conditions)."""
        bank_lines = list(bank_lines)
        keys, partners, amounts = set(), set(), set()
        for data in bank_lines:
            keys |= data["structured_keys"] | data["text_keys"]
            if data["partner_id"]:
                partners.add(data["partner_id"])
            amounts.add(data["amount"])
        if not bank_lines:
            return []
        self.env.flush_all()
        self.env.cr.execute(
            _CANDIDATES_SQL,
            {
                "company": company.id,
                "keys": sorted(keys),
                "partners": sorted(partners),
                "amounts": sorted(amounts),
            },
        )
        return self._open_items_from_rows(self.env.cr.fetchall())

    @api.model
    def _open_items_from_rows(self, rows):
        """``matching.OpenItem`` of the rows of an item lookup query."""
        items = []
        for (
            aml_id,
            partner_id,
            partner_name,
            residual,
            currency,
            digits,
            date,
            due,
            move_name,
            label,
            ref,
            payment_ref,
            account_type,
        ) in rows:
            refs = set()
            for value in (move_name, label, ref, payment_ref):
                if value:
                    refs |= references.ref_keys(value)
            items.append(
                matching.OpenItem(
                    id=aml_id,
                    partner_id=partner_id,
                    partner_name=partner_name,
                    # Odoo's cursor reads numeric columns as floats: back to
                    # exact currency units, or the pool's amount index (a
                    # dict) would miss 456.78 read as 456.779999...
                    amount_residual=matching.money(residual, digits),
                    currency=currency,
                    date=date,
                    due_date=due,
                    refs=frozenset(refs),
                    account_kind=_ACCOUNT_KINDS.get(account_type, "other"),
                    name=move_name or label,
                )
            )
        return items

    @api.model
    def _resolve_payer_names(self, company, bank_lines, rules):
        """Partners of the payers known only by name (no IBAN partner).

        Sets ``name_match``, ``name_partner_ids`` and ``name_ratio`` on the
        lines' data. A name a person confirmed before (``o2c.bank.name.mapping``)
        resolves directly; the others are decided by
        ``matching_names.resolve_name`` among the partners sorting around them
        (one indexed query for the batch).
        """
        wanted = [d for d in bank_lines if not d["partner_id"] and d["name"]]
        if not wanted:
            return
        names = sorted({d["name"] for d in wanted})
        mapped = self.env["o2c.bank.name.mapping"]._get_mapped_partners(company, names)
        todo = [name for name in names if name not in mapped]
        neighbours = {name: {} for name in todo}
        if todo:
            starts = [matching_names.search_starts(name) for name in todo]
            self.env["res.partner"].flush_model(["o2c_name_norm", "o2c_name_key"])
            self.env.cr.execute(
                _NAME_NEIGHBOURS_SQL,
                {
                    "starts": [start for start, _key in starts],
                    "keys": [key for _start, key in starts],
                    "after": NAME_NEIGHBOURS_AFTER,
                    "before": NAME_NEIGHBOURS_BEFORE,
                    "company": company.id,
                },
            )
            for position, partner_id, partner_name in self.env.cr.fetchall():
                neighbours[todo[position - 1]][partner_id] = partner_name
        threshold = max(
            [r.fuzzy_threshold for r in rules if r.strategy == NAME_STRATEGY] or [85.0]
        )
        resolved = {
            name: matching_names.resolve_name(
                name, neighbours.get(name, {}), mapped.get(name), threshold
            )
            for name in names
        }
        for data in wanted:
            match = resolved[data["name"]]
            data["name_match"] = match.kind
            data["name_partner_ids"] = match.partner_ids
            data["name_ratio"] = match.ratio

    @api.model
    def _fetch_partner_items(self, company, bank_lines, pool, netting):
        """Add to ``pool`` the items the netting and name strategies need.

        The name-resolved partners' open items (all of them: an amount is
        only telling when it is unique among them) and, with ``netting``,
        the other-side items (credit notes) of the partners whose items the
        lines reference. One indexed query for the batch.
        """
        partners, credit, debit = set(), set(), set()
        for data in bank_lines:
            if data.get("name_match") in ("mapped", "exact", "ambiguous"):
                partners.update(data["name_partner_ids"])
            if not netting:
                continue
            for item in pool.referenced(data):
                if item.partner_id and (item.amount_residual > 0) == (
                    data["amount"] > 0
                ):
                    (credit if item.amount_residual > 0 else debit).add(item.partner_id)
        if not (partners or credit or debit):
            return
        self.env.cr.execute(
            _PARTNER_ITEMS_SQL,
            {
                "company": company.id,
                "partners": sorted(partners),
                "credit_partners": sorted(credit),
                "debit_partners": sorted(debit),
            },
        )
        pool.add(self._open_items_from_rows(self.env.cr.fetchall()))

    @api.model
    def _decide_line(self, line, data, pool, rules, settings=None):
        """Run every applicable rule on one line; return (Decision, owner map).

        ``settings`` (a dict kept over a batch) remembers each rule's match
        parameters and partners, the same for every line of a company.
        """
        settings = {} if settings is None else settings
        candidates = pool.for_line(data)
        extra = {}  # per strategy needing them: candidates plus more items
        proposals, owner = [], {}
        all_keys = data["structured_keys"] | data["text_keys"]
        for rule in rules:
            if not rule._applies_to(data["journal"], data["amount"]):
                continue
            key = (rule.id, data["digits"], line.company_id.id)
            if key not in settings:
                settings[key] = (
                    rule._get_match_params(data["digits"], line.company_id),
                    set(rule.partner_ids.ids),
                )
            params, allowed = settings[key]
            items = candidates
            if rule.strategy in (NETTING_STRATEGY, NAME_STRATEGY):
                if rule.strategy not in extra:
                    extra[rule.strategy] = pool.with_partner_items(
                        candidates, data, rule.strategy == NETTING_STRATEGY
                    )
                items = extra[rule.strategy]
            if allowed:
                items = [i for i in items if i.partner_id in allowed]
            if not items:
                continue
            refs = {
                "reference": data["structured_keys"],
                "free_text": data["text_keys"],
            }.get(rule.strategy, all_keys)
            bank_line = matching.BankLine(
                id=line.id,
                amount=data["amount"],
                currency=data["currency"],
                date=line.date,
                partner_id=data["partner_id"],
                counterparty_name=data["name"],
                refs=refs,
                text=data["text"],
                name_match=data.get("name_match", ""),
                name_partner_ids=data.get("name_partner_ids", ()),
                name_ratio=data.get("name_ratio", 0.0),
            )
            for strategy in STRATEGY_FUNCTIONS[rule.strategy]:
                for proposal in strategy(bank_line, items, params):
                    if (
                        rule.strategy == "multi"
                        and strategy is matching.match_reference
                        and len(proposal.item_ids) < 2
                    ):
                        continue
                    self._guard_payer(proposal, data, pool)
                    proposals.append(proposal)
                    owner[id(proposal)] = rule
        if not proposals:
            return matching.Decision("none"), owner
        ranking = matching.decide(proposals, float("inf"))
        rule = owner[id(ranking.best)]
        decision = matching.decide(proposals, rule.auto_threshold, rule.margin)
        if decision.kind == "auto" and self._contradicted(decision.best, proposals):
            decision.kind = "propose"
        return decision, owner

    @api.model
    def _guard_payer(self, proposal, data, pool):
        """Cap inexact fits whose payer does not confirm the items' partner.

        A reference can be mistyped into another customer's invoice number.
        With the exact amount that is still strong evidence; with a partial
        payment or an overpayment it is not, unless the payer (known from
        the IBAN) is the items' partner. A write-off within tolerance keeps
        its score unless the payer is known to be someone else.
        """
        if proposal.score <= FOREIGN_PAYER_CAP:
            return
        partners = {pool.items[i].partner_id for i in proposal.item_ids}
        payer = data["partner_id"]
        if proposal.partial or proposal.remainder:
            suspicious = payer is None or payer not in partners
        elif proposal.writeoff:
            suspicious = payer is not None and payer not in partners
        else:
            return
        if suspicious:
            proposal.score = FOREIGN_PAYER_CAP
            proposal.reason += " (payer not confirmed)"

    @staticmethod
    def _contradicted(best, proposals):
        """A line naming items by reference must not auto-pay other items."""
        if best.strategy in REFERENCE_STRATEGIES:
            return False
        referenced = set()
        for proposal in proposals:
            if proposal.strategy in REFERENCE_STRATEGIES:
                referenced.update(proposal.item_ids)
        return bool(referenced) and not referenced.intersection(best.item_ids)

    # --- HELPERS

    @api.model
    def _get_default_writeoff_account(self, company):
        """The chart's bank fees account, when the chart has one."""
        cache = self.env.cr.cache.setdefault("o2c_bank_fees_account", {})
        if company.id not in cache:
            account = (
                self.env["account.chart.template"]
                .with_company(company)
                .ref(BANK_FEES_XMLID, raise_if_not_found=False)
            )
            cache[company.id] = account.id if account else False
        return self.env["account.account"].browse(cache[company.id])


class _ItemPool:
    """The batch's open items, indexed by key, partner and amount.

    ``consume`` lowers the residual of the items a line reconciled, so the
    next lines of the batch see what is really left.
    """

    def __init__(self, items):
        self.items = {item.id: item for item in items}
        self.consumed = set()
        self.by_key, self.by_partner, self.by_amount = {}, {}, {}
        for item in items:
            for key in item.refs:
                self.by_key.setdefault(key, []).append(item.id)
            if item.partner_id:
                self.by_partner.setdefault(item.partner_id, []).append(item.id)
            self.by_amount.setdefault((item.currency, item.amount_residual), []).append(
                item.id
            )

    def add(self, items):
        """Add items fetched later (those already known are kept as they are)."""
        for item in items:
            if item.id in self.items or item.id in self.consumed:
                continue
            self.items[item.id] = item
            for key in item.refs:
                self.by_key.setdefault(key, []).append(item.id)
            if item.partner_id:
                self.by_partner.setdefault(item.partner_id, []).append(item.id)
            self.by_amount.setdefault((item.currency, item.amount_residual), []).append(
                item.id
            )

    def referenced(self, data):
        """Open items sharing a reference key with the line."""
        ids = set()
        for key in data["structured_keys"] | data["text_keys"]:
            ids.update(self.by_key.get(key, ()))
        return [self.items[i] for i in sorted(ids) if i in self.items]

    def with_partner_items(self, candidates, data, netting):
        """``candidates`` plus the items the netting or name strategy needs.

        Netting: the other-side items (credit notes) of the partners of the
        referenced items. Name: every open item of the name's partners.
        """
        if netting:
            # the partners of the referenced items on the line's side (invoices
            # for a receipt), and the other side of their open items
            incoming = data["amount"] > 0
            wanted = {
                item.partner_id: incoming
                for item in self.referenced(data)
                if item.partner_id and (item.amount_residual > 0) == incoming
            }
            extra = [
                self.items[i]
                for partner_id, positive in wanted.items()
                for i in self.by_partner.get(partner_id, ())
                if i in self.items and (self.items[i].amount_residual > 0) != positive
            ]
        else:
            extra = [
                self.items[i]
                for partner_id in data.get("name_partner_ids", ())
                for i in self.by_partner.get(partner_id, ())
                if i in self.items
            ]
        if not extra:
            return candidates
        known = {item.id for item in candidates}
        more = {item.id: item for item in extra if item.id not in known}
        return candidates + [more[i] for i in sorted(more)]

    def for_line(self, data):
        ids = set()
        for key in data["structured_keys"] | data["text_keys"]:
            ids.update(self.by_key.get(key, ()))
        if data["partner_id"]:
            ids.update(self.by_partner.get(data["partner_id"], ()))
        ids.update(self.by_amount.get((data["currency"], data["amount"]), ()))
        return [self.items[i] for i in sorted(ids) if i in self.items]

    def consume(self, proposal):
        for item_id, amount in zip(proposal.item_ids, proposal.amounts, strict=True):
            item = self.items.get(item_id)
            if item is None:
                continue
            left = item.amount_residual - amount
            if left:
                self.items[item_id] = replace(item, amount_residual=left)
            else:
                del self.items[item_id]
                self.consumed.add(item_id)


_ACCOUNT_KINDS = {
    "asset_receivable": "receivable",
    "liability_payable": "payable",
}


def _token_keys(text):
    """Keys of reference-looking tokens of free text (payout ids, own numbers).

    A token counts when it has at least 6 alphanumerics with both letters and
    digits: "po_1Abc23" or "SO-2026-0042" do, "2026" or "invoice" do not.
    """
    keys = set()
    for token in _TOKEN.findall(text or ""):
        norm = references.normalize_ref(token)
        if len(norm) >= 6 and not norm.isdigit() and not norm.isalpha():
            keys |= references.ref_keys(token)
    return keys
