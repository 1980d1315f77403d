# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Two more strategies: invoices net of credit notes, payers known by name.

Same contract as the strategies of :mod:`.matching`: ``(line, candidates,
params) -> list[Proposal]``, pure, scores from :data:`.matching_types.SCORES`.

* :func:`match_netting`: the customer pays an invoice minus one or a few of
  its open credit notes. The remittance names the invoice, and the notes too
  ("INV/2026/00042 less credit note RINV/2026/00007") or not: then the
  amount tells which of the customer's open notes were deducted. The
  proposal holds the invoice(s) with their residual and the notes with
  theirs (negative for a customer), so that reconciling the bank line with
  all of them pays the invoice and uses the notes.
* :func:`match_name_amount`: no reference, no account number, only the
  payer's name as the bank wrote it. The engine resolves the name to
  partners first (:func:`.matching_names.resolve_name`, indexed lookup);
  this strategy then wants exactly one open item of that partner with the
  amount.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from itertools import combinations

from .matching import (
    MAX_SUBSET_SOLUTIONS,
    _age,
    _eligible,
    _exact_amount,
    _label,
    _q,
    _settle,
    _tolerance,
)
from .matching_types import SCORES, BankLine, MatchParams, OpenItem, Proposal

_logger = logging.getLogger(__name__)

__all__ = ["MAX_NETTING_NOTES", "match_name_amount", "match_netting"]

#: Credit notes one payment nets at most when the remittance does not name
#: them (C(12, 1..4) = 793 sums at most per invoice group).
MAX_NETTING_NOTES = 4


def _same_currency(line: BankLine, item: OpenItem) -> bool:
    return (line.currency or "").upper() == (item.currency or "").upper()


def _opposite(line: BankLine, item: OpenItem, digits: int) -> bool:
    """An item on the other side of the line: a credit note for a receipt."""
    amount, residual = _q(line.amount, digits), _q(item.amount_residual, digits)
    return (
        _same_currency(line, item)
        and bool(amount)
        and bool(residual)
        and (amount > 0) != (residual > 0)
    )


def match_netting(
    line: BankLine, candidates: Sequence[OpenItem], params: MatchParams
) -> list[Proposal]:
    """Referenced invoice(s) of one partner minus that partner's credit notes.

    Per partner of the referenced invoices (the payer, when known from the
    IBAN, must be that partner):

    * the notes the remittance names are netted first; when invoices minus
      those notes equal the amount (exactly, or within the write-off
      tolerance: bank charges on top) the proposal scores
      ``netting_reference_*``;
    * otherwise subsets of up to :data:`MAX_NETTING_NOTES` of the partner's
      other open notes (the ``max_subset_items`` oldest) are tried on top.
      A unique exact subset scores ``netting_subset_exact``; a unique one
      within tolerance ``netting_subset_writeoff``; several subsets are
      listed with ``netting_ambiguous``, for a person to choose.

    Candidates must contain the partner's open notes: the engine adds the
    opposite-side open items of the referenced invoices' partners.
    """
    digits = params.digits
    if not _q(line.amount, digits):
        return []
    groups: dict[int, tuple[list[OpenItem], list[OpenItem]]] = {}
    for item in candidates:
        if item.partner_id is None or not line.refs & item.refs:
            continue
        invoices, notes = groups.setdefault(item.partner_id, ([], []))
        if _eligible(line, item, digits):
            invoices.append(item)
        elif _opposite(line, item, digits):
            notes.append(item)
    out: list[Proposal] = []
    for partner_id in sorted(groups):
        invoices, named = groups[partner_id]
        if not invoices or (
            line.partner_id is not None and line.partner_id != partner_id
        ):
            continue
        invoices.sort(key=_age)
        named.sort(key=_age)
        if named:
            names = ", ".join(_label(i) for i in invoices + named)
            proposal = _settle(
                line,
                invoices + named,
                params,
                "netting",
                f"{names} netted (credit notes named)",
                {
                    "exact": SCORES["netting_reference_exact"],
                    "writeoff": SCORES["netting_reference_writeoff"],
                },
            )
            if proposal:
                out.append(proposal)
                continue
        taken = {i.id for i in named}
        pool = sorted(
            (
                i
                for i in candidates
                if i.partner_id == partner_id
                and i.id not in taken
                and _opposite(line, i, digits)
            ),
            key=_age,
        )[: params.max_subset_items]
        out += _netting_subsets(line, invoices + named, pool, params)
    return [p for p in out if p]


def _netting_subsets(
    line: BankLine,
    base: list[OpenItem],
    pool: list[OpenItem],
    params: MatchParams,
) -> list[Proposal]:
    """Subsets of ``pool`` that, netted with ``base``, pay the line."""
    if not pool:
        return []
    digits = params.digits
    amount = _q(line.amount, digits)
    base_total = sum((_q(i.amount_residual, digits) for i in base), _q(0, digits))
    values = [_q(i.amount_residual, digits) for i in pool]
    exact, within = [], []
    for size in range(1, min(MAX_NETTING_NOTES, len(pool)) + 1):
        for combo in combinations(range(len(pool)), size):
            total = base_total + sum(values[k] for k in combo)
            if not total or (total > 0) != (amount > 0):
                continue
            gap = total - amount
            if not gap:
                exact.append(combo)
            elif abs(gap) <= _tolerance(total, params):
                within.append(combo)
    solutions, fit = (exact, "exact") if exact else (within, "writeoff")
    if not solutions:
        return []
    if len(solutions) > 1:
        score = SCORES["netting_ambiguous"]
        note = f" (ambiguous: {len(solutions)} combinations of credit notes)"
    else:
        score, note = SCORES[f"netting_subset_{fit}"], ""
    out = []
    for combo in solutions[:MAX_SUBSET_SOLUTIONS]:
        notes = [pool[k] for k in combo]
        names = ", ".join(_label(i) for i in base)
        deducted = ", ".join(_label(i) for i in notes)
        out.append(
            _settle(
                line,
                base + notes,
                params,
                "netting",
                f"{names} less open credit note(s) {deducted}{note}",
                {fit: score},
            )
        )
    return [p for p in out if p]


def match_name_amount(
    line: BankLine, candidates: Sequence[OpenItem], params: MatchParams
) -> list[Proposal]:
    """Partner from the payer's name, then its one open item with the amount.

    Only for lines whose payer the IBAN did not give (``line.partner_id``
    empty) and whose name the engine resolved (``line.name_match``). Scores:
    ``name_mapped`` when a person confirmed that bank name before,
    ``name_exact`` for one consistent partner without a sibling; both need
    the amount to be unique among that partner's open items (else
    ``name_amount_ambiguous``); an inferred (not confirmed) name also needs
    no other partner's open item to have the amount (else
    ``name_amount_elsewhere``: the candidates hold every open item with the
    amount, and a name alone does not outweigh another customer's exact
    invoice). A name pointing to several partners gives
    ``name_ambiguous`` to each of their items with the amount: a person
    chooses. Fuzzy-only names are the ``fuzzy_name`` strategy's business.
    """
    if line.partner_id is not None or line.name_match not in (
        "mapped",
        "exact",
        "ambiguous",
    ):
        return []
    digits = params.digits
    several = line.name_match == "ambiguous" or len(line.name_partner_ids) > 1
    how = {
        "mapped": "confirmed before",
        "exact": "unambiguous",
        "ambiguous": f"one of {len(line.name_partner_ids)} similar names",
    }[line.name_match]
    out = []
    for partner_id in line.name_partner_ids:
        exact = sorted(
            (
                i
                for i in candidates
                if i.partner_id == partner_id and _exact_amount(line, i, digits)
            ),
            key=_age,
        )
        # a confirmed name is as good as an IBAN: other customers' items with
        # the amount do not matter then
        elsewhere = line.name_match == "exact" and any(
            i.partner_id != partner_id and _exact_amount(line, i, digits)
            for i in candidates
        )
        if several:
            score = SCORES["name_ambiguous"]
        elif len(exact) > 1:
            score = SCORES["name_amount_ambiguous"]
        elif elsewhere:
            score = SCORES["name_amount_elsewhere"]
        else:
            score = SCORES[
                "name_mapped" if line.name_match == "mapped" else "name_exact"
            ]
        for item in exact:
            evidence = (
                f"payer name {line.counterparty_name!r} -> {item.partner_name!r} "
                f"({how}), {_label(item)}"
            )
            if len(exact) > 1:
                evidence += f" (one of {len(exact)} open items with the amount)"
            elif elsewhere and not several:
                evidence += " (another customer has an open item with the amount)"
            out.append(
                _settle(line, [item], params, "name_amount", evidence, {"exact": score})
            )
    return [p for p in out if p]
