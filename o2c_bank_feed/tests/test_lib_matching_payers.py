# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Tests of the pure netting and payer-name strategies and of name resolution."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from ..lib import matching as m
from ..lib import matching_names as n
from ..lib.matching_payers import match_name_amount, match_netting
from ..lib.references import default_invoice_patterns, line_keys, ref_keys

PATTERNS = default_invoice_patterns(["INV", "RINV"])
DAY = date(2026, 3, 10)
ACME, GLOBEX = 7, 8
PARAMS = m.MatchParams(tolerance_abs=D("5.00"))


def item(id_, amount, partner=ACME, number=None, days=0):
    prefix = "INV" if D(amount) > 0 else "RINV"
    number = number or f"{prefix}/2026/{id_:05d}"
    return m.OpenItem(
        id=id_,
        partner_id=partner,
        partner_name={ACME: "Acme", GLOBEX: "Globex"}.get(partner),
        amount_residual=D(amount),
        currency="EUR",
        date=DAY + timedelta(days=days),
        refs=frozenset(ref_keys(number)),
        name=number,
    )


def line(amount, text="", partner=None, **kw):
    return m.BankLine(
        id=1,
        amount=D(amount),
        currency="EUR",
        date=DAY,
        partner_id=partner,
        refs=line_keys([], text, PATTERNS),
        text=text,
        **kw,
    )


def balanced(bank, proposal):
    total = sum(proposal.amounts, D(0))
    return bank.amount == total - proposal.writeoff + proposal.remainder


# -- netting ------------------------------------------------------------------


def test_netting_both_named_exact():
    items = [item(42, "1000.00"), item(7, "-200.00"), item(8, "-50.00")]
    bank = line("800.00", "INV/2026/00042 less credit note RINV/2026/00007")
    [proposal] = match_netting(bank, items, PARAMS)
    assert proposal.item_ids == (42, 7)
    assert proposal.amounts == (D("1000.00"), D("-200.00"))
    assert proposal.score == m.SCORES["netting_reference_exact"]
    assert balanced(bank, proposal)


def test_netting_named_with_bank_fee_within_tolerance():
    items = [item(42, "1000.00"), item(7, "-200.00")]
    bank = line("797.50", "INV/2026/00042 - RINV/2026/00007")
    [proposal] = match_netting(bank, items, PARAMS)
    assert proposal.writeoff == D("2.50")
    assert proposal.score == m.SCORES["netting_reference_writeoff"]
    assert balanced(bank, proposal)
    # beyond the tolerance: nothing
    assert (
        match_netting(line("780.00", "INV/2026/00042 RINV/2026/00007"), items, PARAMS)
        == []
    )


def test_netting_by_amount_when_only_the_invoice_is_named():
    items = [item(42, "1000.00"), item(7, "-200.00"), item(8, "-35.10"), item(9, "-99")]
    bank = line("764.90", "Invoice INV/2026/00042 minus our credits")
    [proposal] = match_netting(bank, items, PARAMS)
    assert proposal.item_set == {42, 7, 8}
    assert proposal.score == m.SCORES["netting_subset_exact"]
    assert balanced(bank, proposal)


def test_netting_partly_used_note_counts_its_residual():
    items = [item(42, "500.00"), item(7, "-30.00")]  # a 100.00 note, 70 used
    [proposal] = match_netting(line("470.00", "INV/2026/00042"), items, PARAMS)
    assert proposal.amounts == (D("500.00"), D("-30.00"))


def test_netting_ambiguous_subsets_are_only_proposed():
    items = [item(42, "1000.00"), item(7, "-100.00"), item(8, "-100.00")]
    proposals = match_netting(line("900.00", "INV/2026/00042"), items, PARAMS)
    assert len(proposals) == 2
    assert {p.score for p in proposals} == {m.SCORES["netting_ambiguous"]}
    assert m.decide(proposals, 50).kind == "propose"


def test_netting_never_uses_another_partners_notes_or_payer():
    items = [item(42, "1000.00"), item(7, "-200.00", partner=GLOBEX)]
    assert match_netting(line("800.00", "INV/2026/00042"), items, PARAMS) == []
    items = [item(42, "1000.00"), item(7, "-200.00")]
    bank = line("800.00", "INV/2026/00042", partner=GLOBEX)
    assert match_netting(bank, items, PARAMS) == []
    # no invoice referenced: not netting
    assert match_netting(line("800.00", "thanks"), items, PARAMS) == []


def test_netting_vendor_side_signs():
    bill = item(50, "-1000.00", number="BILL/2026/00050")
    refund = item(51, "150.00", number="RBILL/2026/00051")
    bank = m.BankLine(
        id=1,
        amount=D("-850.00"),
        currency="EUR",
        date=DAY,
        refs=frozenset(ref_keys("BILL/2026/00050") | ref_keys("RBILL/2026/00051")),
    )
    [proposal] = match_netting(bank, [bill, refund], PARAMS)
    assert proposal.item_ids == (50, 51) and balanced(bank, proposal)


# -- names ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bank",
    [
        "BRIGHTWATER LOGISTICS GMBH",
        "BRIGHTWATER LOGISTICS",
        "Brightwater Logistics G.m.b.H.",
        "LOGISTICS BRIGHTWATER",
        "brightwater   logistics  gmbh",
    ],
)
def test_name_variants_are_consistent(bank):
    assert n.is_consistent(bank, "Brightwater Logistics GmbH")


def test_name_accents_umlauts_and_abbreviated_forms():
    assert n.is_consistent("MUELLER BAU GMBH + CO KG", "Müller Bau GmbH & Co. KG")
    assert n.is_consistent("SOCIETE GENERALE DES EAUX SA", "Société Générale des Eaux")
    assert n.is_consistent("NORTHWIND TRADERS LTD", "Northwind Traders Limited")
    assert not n.is_consistent("NORTHWIND", "Northwind Traders Limited")
    assert not n.is_consistent("GMBH", "Acme GmbH")


@pytest.mark.parametrize("limit", [35, 70])
def test_truncated_names(limit):
    full = (
        "Brightwater Logistics International Trading and Forwarding Services "
        "Europe GmbH"
    )
    cut = full.upper()[:limit]
    assert n.maybe_truncated(cut)
    assert n.is_consistent(cut, full)
    start, _key = n.search_starts(cut)
    assert n.normalize_name(full).norm.startswith(start)
    # the same text, not at a bank limit, is no prefix match
    assert not n.is_consistent(cut[:-3], full)


def test_truncated_inside_the_legal_form():
    full = "Brightwater Logistics Internation GmbH"
    cut = full.upper()[:35]  # "... INTERNATION GM"
    assert n.is_consistent(cut, full)


def test_resolve_unique_ambiguous_sibling_fuzzy_mapped():
    partners = {1: "Acme Trading GmbH", 2: "Acme Holding AG", 3: "Zeta SA"}
    assert n.resolve_name("ACME TRADING", partners) == n.NameMatch("exact", (1,))
    partners[4] = "Acme Trading Ltd"
    found = n.resolve_name("ACME TRADING", partners)
    assert found.kind == "ambiguous" and found.partner_ids == (1, 4)
    sibling = n.resolve_name("ACME TRADING", {1: "Acme Trading", 5: "Acme Tradings"})
    assert sibling.kind == "ambiguous" and not sibling.unambiguous
    numbered = {1: "Customer 00041 GmbH", 2: "Customer 00042 GmbH"}
    assert n.resolve_name("CUSTOMER 00042", numbered).partner_ids == (2,)
    assert n.resolve_name("ACME TRDING", {1: "Acme Trading"}).kind == "fuzzy"
    assert n.resolve_name("NOBODY", {1: "Acme Trading"}).kind == "none"
    assert n.resolve_name("ACME TRADING", partners, mapped=4).partner_ids == (4,)


def test_mapping_key_keeps_the_legal_form():
    assert n.mapping_key("Acme GmbH") != n.mapping_key("ACME LTD")
    assert n.mapping_key("acme  g.m.b.h.") == n.mapping_key("ACME GMBH")


def test_name_amount_scores():
    items = [item(1, "120.00"), item(2, "80.00"), item(3, "120.00", partner=GLOBEX)]
    bank = line("80.00", name_match="exact", name_partner_ids=(ACME,))
    [proposal] = match_name_amount(bank, items, PARAMS)
    assert proposal.item_ids == (2,) and proposal.score == m.SCORES["name_exact"]
    mapped = line("80.00", name_match="mapped", name_partner_ids=(ACME,))
    assert match_name_amount(mapped, items, PARAMS)[0].score == m.SCORES["name_mapped"]
    # two customers behind the name: each candidate proposed, never auto
    both = line("120.00", name_match="ambiguous", name_partner_ids=(ACME, GLOBEX))
    proposals = match_name_amount(both, items, PARAMS)
    assert {p.item_ids for p in proposals} == {(1,), (3,)}
    assert m.decide(proposals, 60).kind == "propose"
    # the amount twice among the partner's open items
    twice = [*items, item(4, "80.00")]
    proposals = match_name_amount(bank, twice, PARAMS)
    assert {p.score for p in proposals} == {m.SCORES["name_amount_ambiguous"]}
    # a payer known from the IBAN, or a fuzzy name: not this strategy's
    assert (
        match_name_amount(
            line("80.00", partner=ACME, name_match="exact", name_partner_ids=(ACME,)),
            items,
            PARAMS,
        )
        == []
    )
    assert (
        match_name_amount(
            line("80.00", name_match="fuzzy", name_partner_ids=(ACME,)), items, PARAMS
        )
        == []
    )


def test_netting_named_note_plus_one_found_by_amount():
    items = [item(42, "1000.00"), item(7, "-200.00"), item(8, "-45.00"), item(9, "-60")]
    bank = line("755.00", "INV/2026/00042 less RINV/2026/00007")
    [proposal] = match_netting(bank, items, PARAMS)
    assert proposal.item_set == {42, 7, 8}
    assert proposal.score == m.SCORES["netting_subset_exact"]


def test_name_amount_with_the_amount_at_another_customer_is_proposed():
    items = [item(1, "80.00"), item(2, "80.00", partner=GLOBEX)]
    bank = line("80.00", name_match="exact", name_partner_ids=(ACME,))
    [proposal] = match_name_amount(bank, items, PARAMS)
    assert proposal.item_ids == (1,)
    assert proposal.score == m.SCORES["name_amount_elsewhere"]
    assert m.decide([proposal], 90).kind == "propose"
    mapped = line("80.00", name_match="mapped", name_partner_ids=(ACME,))
    assert match_name_amount(mapped, items, PARAMS)[0].score == m.SCORES["name_mapped"]
