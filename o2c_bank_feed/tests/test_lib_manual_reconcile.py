# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Tests of the money rules of a reconciliation by hand (pure)."""

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ..lib import manual_reconcile as mr
from ..lib.matching_types import MatchingError

A = mr.Allocation


def test_remaining_two_invoices_and_bank_charges():
    items = [A(1, D("600"), D("600")), A(2, D("410"), D("410"))]
    assert mr.remaining(D("1000"), items, D("0"), 2) == D("-10.00")
    assert mr.remaining(D("1000"), items, D("-10"), 2) == D("0.00")
    mr.check(D("1000"), items, D("-10"), 2)


def test_remaining_rounds_to_the_currency():
    items = [A(1, D("0.10"), D("0.1")), A(2, D("0.20"), D("0.2"))]
    assert mr.remaining(D("0.3"), items, D("0"), 2) == 0
    # a yen line: no decimals
    assert mr.remaining(D("1000"), [A(1, D("1000"), D("999.6"))], D("0"), 0) == 0


def test_fill_gives_the_last_item_what_is_left():
    items = [A(1, D("600")), A(2, D("600")), A(3, D("50"))]
    filled = mr.fill(D("1000"), items, D("0"), 2)
    assert [a.amount for a in filled] == [D("600.00"), D("400.00"), D("50.00")]


def test_fill_keeps_typed_amounts_and_credit_notes_add_up():
    items = [A(1, D("500"), D("200")), A(2, D("-100")), A(3, D("900"))]
    filled = mr.fill(D("1000"), items, D("0"), 2)
    # 1000 - 200 + 100 (the credit note) leaves 900 for the last invoice
    assert [a.amount for a in filled] == [D("200"), D("-100.00"), D("900.00")]
    mr.check(D("1000"), filled, D("0"), 2)


def test_fill_on_a_payment_out():
    items = [A(1, D("-300")), A(2, D("-300"))]
    filled = mr.fill(D("-450"), items, D("0"), 2)
    assert [a.amount for a in filled] == [D("-300.00"), D("-150.00")]


def test_fill_with_nothing_left_takes_the_whole_residual():
    filled = mr.fill(D("100"), [A(1, D("100"), D("100")), A(2, D("40"))], D("0"), 2)
    assert filled[1].amount == D("40.00")


def test_signed_like():
    assert mr.signed_like(D("200"), D("-500")) == D("-200")
    assert mr.signed_like(D("-200"), D("500")) == D("200")
    assert mr.signed_like(D("200"), D("500")) == D("200")


@pytest.mark.parametrize(
    "line, items, writeoff, code",
    [
        (D("0"), [A(1, D("5"), D("5"))], D("-5"), "line_zero"),
        (D("10"), [A(1, D("5"), D("5")), A(1, D("5"), D("5"))], D("0"), "duplicate"),
        (D("10"), [A(1, D("0"), D("10"))], D("0"), "item_closed"),
        (D("10"), [A(1, D("10"), D("0"))], D("10"), "amount_zero"),
        (D("10"), [A(1, D("10"), D("-10"))], D("20"), "wrong_sign"),
        (D("10"), [A(1, D("10"), D("12"))], D("-2"), "over_residual"),
        (D("10"), [], D("0"), "empty"),
        (D("10"), [A(1, D("10"), D("9"))], D("0"), "unbalanced"),
    ],
)
def test_check_refuses(line, items, writeoff, code):
    with pytest.raises(mr.AllocationError) as info:
        mr.check(line, items, writeoff, 2)
    assert info.value.code == code
    assert isinstance(info.value, MatchingError)


def test_check_accepts_a_write_off_alone_and_a_partial():
    mr.check(D("-12.50"), [], D("-12.50"), 2)  # bank fees booked to an account
    mr.check(D("300"), [A(1, D("500"), D("300"))], D("0"), 2)  # partial payment


def test_unbalanced_reports_what_is_left():
    with pytest.raises(mr.AllocationError) as info:
        mr.check(D("100"), [A(1, D("100"), D("90"))], D("0"), 2)
    assert info.value.params["remaining"] == D("10.00")


def test_engine_writeoff_is_the_opposite():
    # the engine's Proposal.writeoff: items minus line (charges positive)
    line, items = D("1000"), [D("600"), D("410")]
    writeoff = line - sum(items)
    assert mr.engine_writeoff(writeoff) == sum(items) - line == D("10")


cents = st.integers(min_value=1, max_value=10**9).map(lambda c: D(c) / 100)


@given(
    residuals=st.lists(cents, min_size=1, max_size=8),
    line=cents,
    sign=st.sampled_from([1, -1]),
)
def test_fill_then_write_off_the_rest_always_balances(residuals, line, sign):
    """Whatever the items, filling then writing off the rest is a valid booking."""
    items = [A(i, sign * r) for i, r in enumerate(residuals)]
    filled = mr.fill(sign * line, items, D("0"), 2)
    for allocation in filled:
        assert abs(allocation.amount) <= abs(allocation.residual)
        assert allocation.amount  # never an item chosen for nothing
    left = mr.remaining(sign * line, filled, D("0"), 2)
    mr.check(sign * line, filled, left, 2)
    assert mr.remaining(sign * line, filled, left, 2) == 0
