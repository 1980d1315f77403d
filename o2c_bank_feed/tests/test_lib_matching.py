# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Tests of the pure reconciliation matching core."""

import random
import time
from datetime import date, timedelta
from decimal import Decimal as D
from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ..lib import matching as m
from ..lib.references import default_invoice_patterns, line_keys, ref_keys
from ..lib.subset_sum import SubsetSumError, subsets_summing_to

PATTERNS = default_invoice_patterns(["INV", "RINV", "BILL"])
DAY = date(2026, 3, 10)
ACME, GLOBEX = 7, 8
NAMES = {ACME: "Acme Trading GmbH", GLOBEX: "Globex Corporation"}
PARAMS = m.MatchParams(tolerance_abs=D("1.00"), date_window_days=5)


def item(id_, amount, partner=ACME, number=None, days=0, due_days=None, cur="EUR"):
    number = number if number is not None else f"INV/2026/{id_:05d}"
    due = DAY + timedelta(days=due_days) if due_days is not None else None
    return m.OpenItem(
        id=id_,
        partner_id=partner,
        partner_name=NAMES.get(partner),
        amount_residual=D(amount),
        currency=cur,
        date=DAY + timedelta(days=days),
        due_date=due,
        refs=frozenset(ref_keys(number)),
        account_kind="receivable" if D(amount) > 0 else "payable",
        name=number,
    )


def line(amount, partner=None, name=None, text="", refs=(), days=0, cur="EUR"):
    return m.BankLine(
        id=1,
        amount=D(amount),
        currency=cur,
        date=DAY + timedelta(days=days),
        partner_id=partner,
        counterparty_name=name,
        refs=line_keys(refs, text, PATTERNS),
        text=text,
    )


def check_invariant(bank_line, proposal, digits=2):
    """line.amount == sum(amounts) - writeoff + remainder, exactly."""
    total = sum(proposal.amounts, D(0))
    amount = m._q(bank_line.amount, digits)
    assert amount == total - proposal.writeoff + proposal.remainder


# -- params -------------------------------------------------------------------


def test_params_validation():
    assert m.MatchParams(tolerance_abs="0.50").tolerance_abs == D("0.50")
    with pytest.raises(m.InvalidParams):
        m.MatchParams(tolerance_abs=0.5)  # float money is refused
    with pytest.raises(m.InvalidParams):
        m.MatchParams(tolerance_pct=D("-1"))
    with pytest.raises(m.InvalidParams):
        m.MatchParams(max_subset_items=m.MAX_SUBSET_ITEMS_CAP + 1)
    with pytest.raises(m.InvalidParams):
        m.MatchParams(digits=9)
    with pytest.raises(m.InvalidParams):
        m.MatchParams(tolerance_abs="abc")


def test_money_quantizes_half_up_and_reads_floats_by_repr():
    assert m.money(D("2.675")) == D("2.68")
    assert m.money(2.675) == D("2.68")  # Decimal(2.675) would give 2.67
    assert m.money("10.1255", 3) == D("10.126")
    assert m.money(7, 0) == D("7")


def test_tolerance_smaller_bound_wins():
    params = m.MatchParams(tolerance_abs=D("5"), tolerance_pct=D("2"))
    assert m._tolerance(D("100"), params) == D("2.00")
    assert m._tolerance(D("100000"), params) == D("5.00")
    assert m._tolerance(D("100"), m.MatchParams()) == D(0)


# -- match_reference ----------------------------------------------------------


def test_reference_exact_amount():
    items = [item(42, "1190.00"), item(43, "1190.00")]
    bank = line("1190.00", text="Payment inv 2026 42 thanks")
    [proposal] = m.match_reference(bank, items, PARAMS)
    assert proposal.item_ids == (42,)
    assert proposal.score == m.SCORES["reference_exact"]
    assert proposal.reason == "reference INV/2026/00042 + exact amount"
    assert proposal.writeoff == 0 and not proposal.partial


def test_reference_with_typo_in_padding_and_separators():
    items = [item(42, "500.00")]
    for text in ("INV-2026-42", "inv2026/00042", "INV/2026/0042", "1NV 2O26 00042"):
        [proposal] = m.match_reference(line("500.00", text=text), items, PARAMS)
        assert proposal.item_ids == (42,), text


def test_reference_structured_rf():
    rf = "RF18539007547034"
    items = [item(5, "80.00", number=rf)]
    [proposal] = m.match_reference(line("80.00", refs=[rf]), items, PARAMS)
    assert proposal.item_ids == (5,)
    assert (
        m.match_reference(line("80.00", refs=["RF19539007547034"]), items, PARAMS) == []
    )


def test_reference_negative_no_ref_other_currency_other_sign():
    items = [item(42, "100.00")]
    assert m.match_reference(line("100.00", text="no reference"), items, PARAMS) == []
    assert m.match_reference(line("100.00", text="INV/2026/00043"), items, PARAMS) == []
    assert (
        m.match_reference(line("100", text="INV/2026/42", cur="USD"), items, PARAMS)
        == []
    )
    assert m.match_reference(line("-100", text="INV/2026/42"), items, PARAMS) == []


def test_reference_tolerance_writeoff_bank_charges():
    items = [item(42, "1000.00")]
    bank = line("999.50", text="INV/2026/00042")
    [proposal] = m.match_reference(bank, items, PARAMS)
    assert proposal.score == m.SCORES["reference_writeoff"]
    assert proposal.amounts == (D("1000.00"),)
    assert proposal.writeoff == D("0.50")
    assert not proposal.partial
    check_invariant(bank, proposal)


def test_reference_without_tolerance_is_partial():
    items = [item(42, "1000.00")]
    bank = line("999.50", text="INV/2026/00042")
    [proposal] = m.match_reference(bank, items, m.MatchParams())
    assert proposal.partial and proposal.writeoff == 0


def test_reference_partial_payment():
    items = [item(42, "1000.00")]
    bank = line("400.00", text="INV/2026/00042")
    [proposal] = m.match_reference(bank, items, PARAMS)
    assert proposal.partial
    assert proposal.amounts == (D("400.00"),)
    assert proposal.score == m.SCORES["reference_partial"]
    check_invariant(bank, proposal)
    no_partial = m.MatchParams(allow_partial=False)
    assert m.match_reference(bank, items, no_partial) == []


def test_reference_overpayment_leaves_remainder():
    items = [item(42, "100.00")]
    bank = line("150.00", text="INV/2026/00042")
    [proposal] = m.match_reference(bank, items, PARAMS)
    assert proposal.remainder == D("50.00")
    assert proposal.score < 50
    check_invariant(bank, proposal)


def test_reference_multi_invoice_listed_refs():
    items = [item(1, "100.00", due_days=10), item(2, "250.50", due_days=5)]
    items.append(item(3, "999.00"))
    bank = line("350.50", text="INV/2026/00001, INV/2026/00002")
    proposals = m.match_reference(bank, items, PARAMS)
    multi = [p for p in proposals if p.strategy == "reference_multi"]
    assert len(multi) == 1
    assert multi[0].item_set == {1, 2}
    assert multi[0].score == m.SCORES["reference_multi_exact"]
    assert multi[0].item_ids == (2, 1)  # oldest due date first
    decision = m.decide(proposals, 90)
    assert decision.kind == "auto" and decision.best.item_set == {1, 2}


def test_reference_multi_partial_allocates_oldest_first():
    items = [item(1, "100.00", due_days=1), item(2, "200.00", due_days=9)]
    bank = line("150.00", text="INV/2026/1 INV/2026/2")
    multi = [
        p
        for p in m.match_reference(bank, items, PARAMS)
        if p.strategy == "reference_multi"
    ]
    assert multi[0].amounts == (D("100.00"), D("50.00"))
    assert multi[0].partial
    check_invariant(bank, multi[0])


# -- match_iban_partner_amount ------------------------------------------------


def test_partner_amount_unique():
    items = [item(1, "75.00"), item(2, "80.00"), item(3, "75.00", partner=GLOBEX)]
    [proposal] = m.match_iban_partner_amount(line("75.00", partner=ACME), items, PARAMS)
    assert proposal.item_ids == (1,)
    assert proposal.score == m.SCORES["partner_amount"]


def test_partner_amount_negative():
    items = [item(1, "75.00")]
    assert m.match_iban_partner_amount(line("75.00"), items, PARAMS) == []
    assert m.match_iban_partner_amount(line("75.00", GLOBEX), items, PARAMS) == []
    assert m.match_iban_partner_amount(line("70.00", ACME), items, PARAMS) == []


def test_partner_amount_ambiguous_goes_to_person():
    items = [item(1, "75.00"), item(2, "75.00")]
    proposals = m.match_iban_partner_amount(line("75.00", ACME), items, PARAMS)
    assert {p.score for p in proposals} == {m.SCORES["partner_amount_ambiguous"]}
    assert m.decide(proposals, 60).kind == "propose"


def test_partner_amount_tolerance_only_without_exact():
    items = [item(1, "75.50")]
    [proposal] = m.match_iban_partner_amount(line("75.00", ACME), items, PARAMS)
    assert proposal.writeoff == D("0.50")
    assert (
        m.match_iban_partner_amount(line("75.00", ACME), items, m.MatchParams()) == []
    )


# -- match_amount_date_window -------------------------------------------------


def test_date_window_with_and_without_partner():
    items = [item(1, "42.00", days=-3)]
    with_partner = m.match_amount_date_window(line("42.00", ACME), items, PARAMS)
    without = m.match_amount_date_window(line("42.00"), items, PARAMS)
    other = m.match_amount_date_window(line("42.00", GLOBEX), items, PARAMS)
    assert with_partner[0].score > without[0].score > other[0].score


def test_date_window_outside_window_or_amount():
    assert (
        m.match_amount_date_window(line("42.00"), [item(1, "42.00", days=-6)], PARAMS)
        == []
    )
    assert m.match_amount_date_window(line("42.01"), [item(1, "42.00")], PARAMS) == []


def test_date_window_uses_due_date_too():
    items = [item(1, "42.00", days=-30, due_days=-2)]
    assert m.match_amount_date_window(line("42.00"), items, PARAMS)


def test_date_window_equal_candidates_equal_scores():
    items = [item(1, "42.00", days=-1), item(2, "42.00", days=-4)]
    proposals = m.match_amount_date_window(line("42.00", ACME), items, PARAMS)
    assert len(proposals) == 2
    assert proposals[0].score == proposals[1].score
    decision = m.decide(proposals, 80)
    assert decision.kind == "propose"
    assert {p.item_ids for p in decision.candidates} == {(1,), (2,)}


# -- match_subset_sum ---------------------------------------------------------


def test_subset_sum_unique():
    items = [item(1, "100.00"), item(2, "230.00"), item(3, "45.10"), item(4, "1000")]
    bank = line("275.10", ACME)
    [proposal] = m.match_subset_sum(bank, items, PARAMS)
    assert proposal.item_set == {2, 3}
    assert proposal.score == m.SCORES["subset_sum"]
    assert sum(proposal.amounts) == D("275.10")


def test_subset_sum_ambiguous():
    items = [item(1, "100.00"), item(2, "50.00"), item(3, "50.00"), item(4, "100.00")]
    proposals = m.match_subset_sum(line("150.00", ACME), items, PARAMS)
    assert len(proposals) == m.MAX_SUBSET_SOLUTIONS
    assert {p.score for p in proposals} == {m.SCORES["subset_sum_ambiguous"]}
    assert "ambiguous" in proposals[0].reason
    assert m.decide(proposals, 50).kind == "propose"


def test_subset_sum_prefers_oldest_when_listing():
    items = [item(1, "10", due_days=9), item(2, "10", due_days=1), item(3, "5")]
    items.append(item(4, "5", due_days=2))
    proposals = m.match_subset_sum(line("15.00", ACME), items, PARAMS)
    assert proposals[0].item_set == {2, 3}


def test_subset_sum_none_and_single_item_excluded():
    items = [item(1, "100.00"), item(2, "230.00")]
    assert m.match_subset_sum(line("101.00", ACME), items, PARAMS) == []
    assert m.match_subset_sum(line("100.00", ACME), items, PARAMS) == []


def test_subset_sum_one_partner_only():
    items = [item(1, "100.00"), item(2, "50.00", partner=GLOBEX)]
    assert m.match_subset_sum(line("150.00", ACME), items, PARAMS) == []
    assert m.match_subset_sum(line("150.00"), items, PARAMS) == []
    items.append(item(3, "50.00"))
    [proposal] = m.match_subset_sum(line("150.00"), items, PARAMS)
    assert proposal.item_set == {1, 3}
    assert proposal.score == m.SCORES["subset_sum_no_partner"]


def test_subset_sum_performance_capped():
    # 50 open items with distinct awkward amounts: only the 12 oldest are
    # searched, the answer is among them and the search takes milliseconds.
    rng = random.Random(2026)
    cents = rng.sample(range(100_000, 900_000), 50)
    items = [item(i, D(c) / 100, due_days=i) for i, c in enumerate(cents, 1)]
    target = sum(items[k].amount_residual for k in (0, 5, 11))
    start = time.perf_counter()
    proposals = m.match_subset_sum(line(target, ACME), items, PARAMS)
    elapsed = time.perf_counter() - start
    assert elapsed < 0.2, elapsed
    assert proposals[0].item_set == {1, 6, 12}
    assert "12 oldest" in proposals[0].reason
    big = m.MatchParams(max_subset_items=24)
    start = time.perf_counter()
    m.match_subset_sum(line("1.00", ACME), items, big)
    assert time.perf_counter() - start < 0.5


def test_subsets_summing_to_rejects_oversized_input():
    with pytest.raises(SubsetSumError):
        subsets_summing_to([1] * 25, 3)
    assert len(subsets_summing_to([1] * 20, 2, limit=5)) == 5


@settings(max_examples=150, deadline=None)
@given(
    cents=st.lists(st.integers(1, 500_000), max_size=14),
    picks=st.lists(st.integers(0, 13), max_size=5),
    shift=st.sampled_from([0, 0, 1, -1]),
)
def test_subset_sum_result_always_sums_to_amount(cents, picks, shift):
    items = [item(i + 1, D(c) / 100) for i, c in enumerate(cents)]
    chosen = {p for p in picks if p < len(cents)}
    target = max(1, sum(cents[p] for p in chosen) + shift)
    bank = line(D(target) / 100, ACME)
    params = m.MatchParams(max_subset_items=14)
    proposals = m.match_subset_sum(bank, items, params)
    for proposal in proposals:
        assert sum(proposal.amounts) == bank.amount
        assert len(proposal.item_set) == len(proposal.item_ids) >= 2
        check_invariant(bank, proposal)
    brute = [
        combo
        for size in range(2, len(cents) + 1)
        for combo in combinations(range(len(cents)), size)
        if sum(cents[k] for k in combo) == target
    ]
    assert bool(proposals) == bool(brute)
    assert (len(proposals) == 1) == (len(brute) == 1)


# -- match_fuzzy_name ---------------------------------------------------------


def test_fuzzy_name_positive():
    items = [item(1, "42.00"), item(2, "42.00", partner=GLOBEX)]
    [proposal] = m.match_fuzzy_name(line("42.00", name="ACME TRADING"), items, PARAMS)
    assert proposal.item_ids == (1,)
    assert m.SCORES["fuzzy_name_min"] <= proposal.score <= m.SCORES["fuzzy_name_max"]


def test_fuzzy_name_negative():
    items = [item(1, "42.00")]
    assert m.match_fuzzy_name(line("42.00", name="Initech Ltd"), items, PARAMS) == []
    assert m.match_fuzzy_name(line("41.00", name="Acme Trading"), items, PARAMS) == []
    assert m.match_fuzzy_name(line("42.00", name=None), items, PARAMS) == []


def test_fuzzy_name_legal_form_alone_does_not_match():
    # token_set_ratio("gmbh", "acme trading gmbh") would be 100.
    items = [item(1, "42.00")]
    assert m.match_fuzzy_name(line("42.00", name="GmbH"), items, PARAMS) == []


# -- decide -------------------------------------------------------------------


def proposal(items, score, strategy="s"):
    amounts = tuple(D(1) for _i in items)
    return m.Proposal(1, tuple(items), amounts, float(score), strategy, "r")


def test_decide_none_auto_propose():
    assert m.decide([], 90).kind == "none"
    assert m.decide([proposal([1], 95)], 90).kind == "auto"
    assert m.decide([proposal([1], 85)], 90).kind == "propose"


def test_decide_rival_within_margin_blocks_auto():
    decision = m.decide([proposal([1], 98), proposal([2], 94)], 90)
    assert decision.kind == "propose"
    assert [p.item_ids for p in decision.candidates] == [(1,), (2,)]
    assert m.decide([proposal([1], 98), proposal([2], 92)], 90).kind == "auto"


def test_decide_same_item_set_is_not_a_rival():
    decision = m.decide([proposal([1, 2], 95, "a"), proposal([2, 1], 93, "b")], 90)
    assert decision.kind == "auto"
    assert len(decision.candidates) == 1


def test_decide_refuses_mixed_lines():
    other = m.Proposal(2, (1,), (D(1),), 90.0, "s", "r")
    with pytest.raises(m.MixedLinesError):
        m.decide([proposal([1], 90), other], 90)


@settings(deadline=None)
@given(
    top=st.floats(0, 100),
    others=st.lists(st.tuples(st.integers(1, 6), st.floats(0, 100)), max_size=6),
    threshold=st.floats(0, 100),
)
def test_decide_never_auto_on_tie(top, others, threshold):
    # Two different item sets share the top score; the rest score lower.
    proposals = [proposal([100], top), proposal([200], top)]
    # min(): s * top / 100 with s == 100 can round above top
    proposals += [proposal([i], min(s * top / 100, top)) for i, s in others]
    decision = m.decide(proposals, threshold)
    assert decision.best.score == top
    assert decision.kind == "propose"


# -- end to end over all strategies -------------------------------------------


def test_run_strategies_reference_beats_ambiguous_amounts():
    items = [item(1, "200.00"), item(2, "200.00"), item(3, "120.00")]
    bank = line("200.00", ACME, name="Acme Trading", text="INV/2026/00002")
    decision = m.decide(m.run_strategies(bank, items, PARAMS), 90)
    assert decision.kind == "auto"
    assert decision.best.item_ids == (2,)


def test_run_strategies_no_reference_two_equal_invoices_propose():
    items = [item(1, "200.00"), item(2, "200.00")]
    bank = line("200.00", ACME, name="Acme Trading")
    decision = m.decide(m.run_strategies(bank, items, PARAMS), 60)
    assert decision.kind == "propose"
    assert {p.item_ids for p in decision.candidates} == {(1,), (2,)}


def test_run_strategies_three_decimal_currency():
    params = m.MatchParams(digits=3)
    items = [item(1, "10.125", cur="KWD")]
    bank = line("10.125", ACME, cur="KWD")
    assert m.decide(m.run_strategies(bank, items, params), 90).kind == "auto"
    assert m.run_strategies(line("10.12", ACME, cur="KWD"), items, params) == []


@settings(max_examples=100, deadline=None)
@given(
    amounts=st.lists(st.integers(-30000, 30000).filter(bool), min_size=1, max_size=8),
    line_cents=st.integers(-60000, 60000).filter(bool),
    ref_index=st.integers(0, 10),
    partner=st.sampled_from([None, ACME, GLOBEX]),
)
def test_every_proposal_balances(amounts, line_cents, ref_index, partner):
    items = [
        item(i + 1, D(c) / 100, partner=ACME if i % 2 else GLOBEX)
        for i, c in enumerate(amounts)
    ]
    text = f"INV/2026/{ref_index}"
    bank = line(D(line_cents) / 100, partner, name="Acme Trading", text=text)
    for prop in m.run_strategies(bank, items, PARAMS):
        check_invariant(bank, prop)
        assert 0 <= prop.score <= 100
        assert len(prop.amounts) == len(prop.item_ids)
