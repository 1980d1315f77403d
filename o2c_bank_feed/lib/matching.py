# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Reconciliation matching core: pure strategies and the auto/propose decision.

The Odoo engine fetches candidate open items with indexed SQL (by reference
key, partner, amount, date range) and hands them to the strategy functions
here. Each strategy has the signature ``(line, candidates, params) ->
list[Proposal]``, looks only at what it is given, and never touches a
database, so it is cheap to test and to run for tens of thousands of lines.

Scores (0..100) are fixed per situation, listed in :data:`SCORES`, so a rule's
auto-reconcile threshold means the same thing on every run. Strategies never
break a tie between equally plausible candidates: they give them the same
score and :func:`decide` refuses to auto-reconcile, because picking one of two
identical invoices at random is exactly the silent error finance cannot audit.

Money rule: every amount is quantised to ``params.digits`` decimals before it
is compared, and amounts are compared as :class:`~decimal.Decimal` (or exact
integer cents in the subset search), never as floats.

Sign convention: ``BankLine.amount`` and ``OpenItem.amount_residual`` are both
signed as the bank sees them (money in positive: receivables; money out
negative: payables). An item can only be matched by a line of the same sign.
For every proposal::

    line.amount == sum(amounts) - writeoff + remainder

``writeoff`` is what the engine posts to the tolerance account (positive: the
bank paid less than the items, e.g. deducted charges); ``remainder`` is what
stays unreconciled on the line when it pays more than the items.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from decimal import ROUND_DOWN, Decimal

from rapidfuzz import fuzz

from .matching_types import (
    MAX_SUBSET_ITEMS_CAP,
    SCORES,
    ZERO,
    BankLine,
    Decision,
    InvalidParams,
    MatchingError,
    MatchParams,
    MixedLinesError,
    OpenItem,
    Proposal,
    money,
)
from .subset_sum import subsets_summing_to

_logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_STRATEGIES",
    "MAX_SUBSET_ITEMS_CAP",
    "MAX_SUBSET_SOLUTIONS",
    "SCORES",
    "BankLine",
    "Decision",
    "InvalidParams",
    "MatchParams",
    "MatchingError",
    "MixedLinesError",
    "OpenItem",
    "Proposal",
    "decide",
    "match_amount_date_window",
    "match_fuzzy_name",
    "match_iban_partner_amount",
    "match_reference",
    "match_subset_sum",
    "money",
    "run_strategies",
]

#: Subset solutions kept for display when a subset sum is ambiguous.
MAX_SUBSET_SOLUTIONS = 3

# -- helpers ------------------------------------------------------------------

_q = money


def _cents(amount: Decimal, digits: int) -> int:
    return int(_q(amount, digits).scaleb(digits))


def _fmt(amount: Decimal, digits: int) -> str:
    return f"{_q(amount, digits):f}"


def _eligible(line: BankLine, item: OpenItem, digits: int) -> bool:
    """Same currency and same (non-zero) sign: the only items a line can pay."""
    if (line.currency or "").upper() != (item.currency or "").upper():
        return False
    amount, residual = _q(line.amount, digits), _q(item.amount_residual, digits)
    if not amount or not residual:
        return False
    return (amount > 0) == (residual > 0)


def _tolerance(total: Decimal, params: MatchParams) -> Decimal:
    """Largest absolute difference that may be written off against ``total``."""
    bounds = []
    if params.tolerance_abs:
        bounds.append(params.tolerance_abs)
    if params.tolerance_pct:
        bounds.append(abs(total) * params.tolerance_pct / 100)
    if not bounds:
        return ZERO
    # Rounded down: a tolerance never grows by rounding.
    return min(bounds).quantize(Decimal(1).scaleb(-params.digits), ROUND_DOWN)


def _label(item: OpenItem) -> str:
    return item.name or f"item {item.id}"


def _age(item: OpenItem) -> tuple:
    """Sort key, oldest first: the order in which customers usually pay."""
    return (item.due_date or item.date, item.date, item.id)


def _settle(
    line: BankLine,
    items: Sequence[OpenItem],
    params: MatchParams,
    strategy: str,
    evidence: str,
    scores: dict[str, float],
) -> Proposal | None:
    """Fit the line amount on ``items`` and score the fit with ``scores``.

    The fit is one of ``exact``, ``writeoff`` (difference within tolerance),
    ``partial`` (the line pays less: allocated oldest item first) or
    ``overpaid`` (the line pays more: the remainder stays open on the line).
    ``scores`` maps the fits a strategy accepts to their score; any other fit
    gives ``None``.
    """
    digits = params.digits
    amount = _q(line.amount, digits)
    residuals = [_q(i.amount_residual, digits) for i in items]
    total = sum(residuals, ZERO)
    gap = total - amount
    allocations, extra = residuals, {}
    if gap == 0:
        fit, detail = "exact", "exact amount"
    elif abs(gap) <= _tolerance(total, params):
        fit, detail = "writeoff", f"difference {_fmt(gap, digits)} within tolerance"
        extra["writeoff"] = gap
    elif abs(amount) > abs(total):
        fit, detail = "overpaid", f"line exceeds by {_fmt(-gap, digits)}"
        extra["remainder"] = -gap
    else:
        if not params.allow_partial:
            return None
        fit = "partial"
        detail = f"partial payment of {_fmt(amount, digits)} on {_fmt(total, digits)}"
        allocations, left = [], amount
        for residual in residuals:
            share = residual if abs(residual) <= abs(left) else left
            allocations.append(share)
            left -= share
        extra["partial"] = True
    if fit not in scores:
        return None
    kept = [(i.id, a) for i, a in zip(items, allocations, strict=True) if a]
    return Proposal(
        line_id=line.id,
        item_ids=tuple(i for i, _a in kept),
        amounts=tuple(a for _i, a in kept),
        score=scores[fit],
        strategy=strategy,
        reason=f"{evidence} + {detail}",
        **extra,
    )


def _scores(prefix: str, *fits: str) -> dict[str, float]:
    return {fit: SCORES[f"{prefix}_{fit}"] for fit in fits}


def _exact_amount(line: BankLine, item: OpenItem, digits: int) -> bool:
    return _eligible(line, item, digits) and _q(item.amount_residual, digits) == _q(
        line.amount, digits
    )


# -- strategies ---------------------------------------------------------------


def match_reference(
    line: BankLine, candidates: Sequence[OpenItem], params: MatchParams
) -> list[Proposal]:
    """Items sharing a reference key with the line (strategies 1, 2, 5, 6).

    Per item: exact amount, amount within tolerance (write-off), less than the
    residual (partial, if allowed) or more (the remainder stays open, low
    score). When several items are referenced, one more proposal covers them
    all: exact sum, sum within tolerance, or a partial allocation oldest
    first. A reference is strong evidence, but an amount that does not fit is
    not, hence the graded scores.
    """
    digits = params.digits
    hits = sorted(
        (i for i in candidates if line.refs & i.refs and _eligible(line, i, digits)),
        key=_age,
    )
    fits = ("exact", "writeoff", "partial", "overpaid")
    out = [
        _settle(
            line,
            [item],
            params,
            "reference",
            f"reference {_label(item)}",
            _scores("reference", *fits),
        )
        for item in hits
    ]
    if len(hits) > 1:
        names = ", ".join(_label(i) for i in hits)
        out.append(
            _settle(
                line,
                hits,
                params,
                "reference_multi",
                f"references {names}",
                _scores("reference_multi", *fits),
            )
        )
    return [p for p in out if p]


def match_iban_partner_amount(
    line: BankLine, candidates: Sequence[OpenItem], params: MatchParams
) -> list[Proposal]:
    """Partner known from the IBAN + exact amount (strategy 3).

    A unique exact match scores high. Several open items of that partner with
    the same amount get the same, lower score: the bank line cannot tell which
    invoice was meant. Only without any exact match are amounts within
    tolerance proposed, with a write-off.
    """
    if line.partner_id is None:
        return []
    digits = params.digits
    own = sorted(
        (
            i
            for i in candidates
            if i.partner_id == line.partner_id and _eligible(line, i, digits)
        ),
        key=_age,
    )
    exact = [i for i in own if _exact_amount(line, i, digits)]
    if len(exact) > 1:
        evidence = "partner from IBAN, {} (one of %d open items with the amount)"
        evidence %= len(exact)
        scores = {"exact": SCORES["partner_amount_ambiguous"]}
    elif exact:
        evidence, scores = "partner from IBAN, {}", {"exact": SCORES["partner_amount"]}
    else:
        exact = own
        evidence = "partner from IBAN, {}"
        scores = {"writeoff": SCORES["partner_amount_writeoff"]}
    out = [
        _settle(
            line,
            [i],
            params,
            "partner_amount",
            evidence.format(_label(i)),
            scores,
        )
        for i in exact
    ]
    return [p for p in out if p]


def match_amount_date_window(
    line: BankLine, candidates: Sequence[OpenItem], params: MatchParams
) -> list[Proposal]:
    """Exact amount with the invoice or due date within +-N days (strategy 4).

    The score depends only on the partner evidence, never on which candidate
    is closer in time: equal candidates must stay equal so that the caller
    sees the ambiguity instead of a coin toss.
    """
    out = []
    for item in sorted(candidates, key=_age):
        if not _exact_amount(line, item, params.digits):
            continue
        days = min(abs((line.date - d).days) for d in (item.date, item.due_date) if d)
        if days > params.date_window_days:
            continue
        if line.partner_id is None:
            score, who = SCORES["date_window_no_partner"], "partner unknown"
        elif item.partner_id == line.partner_id:
            score, who = SCORES["date_window_partner"], "same partner"
        else:
            score, who = SCORES["date_window_other_partner"], "another partner"
        evidence = f"{_label(item)} {days} day(s) away, {who}"
        out.append(
            _settle(line, [item], params, "amount_date", evidence, {"exact": score})
        )
    return out


def match_subset_sum(
    line: BankLine, candidates: Sequence[OpenItem], params: MatchParams
) -> list[Proposal]:
    """Several open items of ONE partner that sum exactly to the line.

    Only the ``max_subset_items`` oldest items (by due date) that could take
    part are searched, with meet-in-the-middle over integer cents: at most
    2 * 2**(n/2) partial sums, so the cost is bounded whatever the input.
    Subsets of at least two items only (one item is the amount strategies'
    job). Without a line partner each partner's items are searched on their
    own and the solutions of all partners pooled.

    A unique solution is proposed with a high score (a bit lower when items
    were left out by the cap, since uniqueness then holds only among those
    searched). Several solutions make the result ambiguous: the oldest
    :data:`MAX_SUBSET_SOLUTIONS` are proposed with the same low score.
    """
    digits = params.digits
    target = _cents(line.amount, digits)
    groups: dict[int, list[OpenItem]] = {}
    for item in candidates:
        if item.partner_id is None or not _eligible(line, item, digits):
            continue
        if line.partner_id is not None and item.partner_id != line.partner_id:
            continue
        if abs(_cents(item.amount_residual, digits)) <= abs(target):
            groups.setdefault(item.partner_id, []).append(item)
    solutions: list[tuple[int, ...]] = []
    searched: list[list[OpenItem]] = []
    truncated = False
    for partner_id in sorted(groups):
        pool = sorted(groups[partner_id], key=_age)
        truncated = truncated or len(pool) > params.max_subset_items
        pool = pool[: params.max_subset_items]
        cents = [_cents(i.amount_residual, digits) for i in pool]
        for combo in subsets_summing_to(cents, target):
            solutions.append((len(searched), *combo))
        searched.append(pool)
    if not solutions:
        return []
    # Index tuples refer to age-sorted pools: smaller tuples are older items.
    solutions.sort(key=lambda s: (s[1:], s[0]))
    ambiguous = len(solutions) > 1
    if ambiguous:
        score = SCORES["subset_sum_ambiguous"]
        note = f" (ambiguous: {len(solutions)} combinations)"
    else:
        key = "subset_sum" if line.partner_id is not None else "subset_sum_no_partner"
        score, note = SCORES[key], ""
        if truncated:
            score -= SCORES["subset_sum_truncated_malus"]
            note = f" (among the {params.max_subset_items} oldest items)"
    out = []
    for group, *indexes in solutions[:MAX_SUBSET_SOLUTIONS]:
        items = [searched[group][k] for k in indexes]
        names = ", ".join(_label(i) for i in items)
        evidence = f"open items {names} of one partner{note}"
        out.append(
            _settle(line, items, params, "subset_sum", evidence, {"exact": score})
        )
    return out


#: Legal forms and filler words dropped before fuzzy comparison. Without this
#: token_set_ratio scores "GmbH" against "Foo GmbH" 100 (one token set is a
#: subset of the other), and every German company would match every other.
_NAME_NOISE = frozenset(
    """ab ag and aps as bv co corp corporation ev gbr gmbh inc kg kgaa limited
    llc llp lp ltd mbh nv oy plc sa sarl sas sl sp spa srl the und zoo""".split()
)
_NAME_TOKEN = re.compile(r"[^\W_]+")


def _clean_name(name: str | None) -> str:
    tokens = _NAME_TOKEN.findall((name or "").casefold())
    return " ".join(t for t in tokens if t not in _NAME_NOISE)


def match_fuzzy_name(
    line: BankLine, candidates: Sequence[OpenItem], params: MatchParams
) -> list[Proposal]:
    """Counterparty name close to the item's partner name + exact amount.

    The weakest evidence (strategy 7): scores stay between
    ``fuzzy_name_min`` and ``fuzzy_name_max``, scaled by how far the
    similarity is above the threshold, so a rule must lower its threshold
    on purpose to auto-reconcile on a name.
    """
    name = _clean_name(line.counterparty_name)
    if not name:
        return []
    low, high = SCORES["fuzzy_name_min"], SCORES["fuzzy_name_max"]
    span = 100.0 - params.fuzzy_threshold
    ratios: dict[str, float] = {}
    out = []
    for item in sorted(candidates, key=_age):
        if not item.partner_name or not _exact_amount(line, item, params.digits):
            continue
        if item.partner_name not in ratios:
            other = _clean_name(item.partner_name)
            ratio = fuzz.token_set_ratio(name, other) if other else 0.0
            ratios[item.partner_name] = ratio
        ratio = ratios[item.partner_name]
        if ratio < params.fuzzy_threshold:
            continue
        score = round(
            low + (high - low) * ((ratio - params.fuzzy_threshold) / span)
            if span
            else high,
            2,
        )
        evidence = (
            f"name {line.counterparty_name!r} ~ {item.partner_name!r} "
            f"({ratio:.0f}%), {_label(item)}"
        )
        out.append(
            _settle(line, [item], params, "fuzzy_name", evidence, {"exact": score})
        )
    return out


Strategy = Callable[[BankLine, Sequence[OpenItem], MatchParams], list[Proposal]]

#: Strongest first, as in the design's "Reconciliation engine" section.
DEFAULT_STRATEGIES: tuple[Strategy, ...] = (
    match_reference,
    match_iban_partner_amount,
    match_amount_date_window,
    match_subset_sum,
    match_fuzzy_name,
)


def run_strategies(
    line: BankLine,
    candidates: Sequence[OpenItem],
    params: MatchParams,
    strategies: Sequence[Strategy] = DEFAULT_STRATEGIES,
) -> list[Proposal]:
    """Proposals of all ``strategies`` for one line, ready for :func:`decide`."""
    proposals: list[Proposal] = []
    for strategy in strategies:
        proposals.extend(strategy(line, candidates, params))
    _logger.debug("line %s: %s proposal(s)", line.id, len(proposals))
    return proposals


def decide(
    proposals: Sequence[Proposal], auto_threshold: float, margin: float = 5.0
) -> Decision:
    """Choose between reconciling automatically, proposing, or nothing.

    Proposals with the same item set (several strategies finding the same
    invoice) are merged, keeping the best score. Then:

    * no proposal: ``"none"``;
    * best score >= ``auto_threshold`` and no proposal with a *different* item
      set within ``margin`` points of it: ``"auto"``;
    * anything else: ``"propose"``, with every candidate, best first.

    The margin rule is what makes the engine never reconcile ambiguously: two
    equally good candidates (a tie, or nearly) always go to a person. Ties in
    the ordering are broken by strategy name and item ids only to keep the
    output deterministic, never to choose. ``candidates`` always holds every
    merged proposal, best first, also for "auto" (for the audit trail).

    :raises MixedLinesError: when the proposals belong to several lines.
    """
    if len({p.line_id for p in proposals}) > 1:
        raise MixedLinesError("decide() takes the proposals of a single line")
    best_by_set: dict[frozenset[int], Proposal] = {}
    for proposal in proposals:
        current = best_by_set.get(proposal.item_set)
        if current is None or proposal.score > current.score:
            best_by_set[proposal.item_set] = proposal
    ranked = tuple(
        sorted(
            best_by_set.values(),
            key=lambda p: (-p.score, p.strategy, sorted(p.item_ids)),
        )
    )
    if not ranked:
        return Decision("none")
    best = ranked[0]
    rivals = [p for p in ranked[1:] if p.score >= best.score - margin]
    kind = "auto" if best.score >= auto_threshold and not rivals else "propose"
    if kind == "propose":
        _logger.debug(
            "line %s: %s candidate(s), best %s", best.line_id, len(ranked), best.score
        )
    return Decision(kind, best, ranked)
