# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Money rules of a reconciliation made by hand (pure, no Odoo).

A person chooses the open items a bank line pays, how much of each, and may
book a difference on a write-off account. Every amount here is signed as the
bank sees it, like in :mod:`.matching`: money in positive (customer items),
money out negative (vendor items). For a booking to be valid::

    line_amount == sum(allocation.amount) + writeoff

``writeoff`` is the amount booked on the write-off account, counted like the
amounts applied to the items: a customer paying 1,000.00 for 1,010.00 of
invoices (10.00 of bank charges deducted) gives ``writeoff = -10.00``. The
reconcile engine counts the other way round (what the items exceed the line
by): :func:`engine_writeoff` converts.

Example::

    >>> items = [Allocation(1, Decimal("600"), Decimal("600")),
    ...          Allocation(2, Decimal("410"), Decimal("410"))]
    >>> remaining(Decimal("1000"), items, Decimal("-10"), 2)
    Decimal('0.00')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from .matching_types import ZERO, MatchingError, money

__all__ = [
    "Allocation",
    "AllocationError",
    "check",
    "engine_writeoff",
    "fill",
    "remaining",
    "signed_like",
]


class AllocationError(MatchingError, ValueError):
    """A manual reconciliation that must not be booked.

    ``code`` names the rule broken (for a translated message), ``params``
    its figures.
    """

    def __init__(self, code: str, message: str, **params):
        super().__init__(message)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Allocation:
    """``amount`` of the line applied to the open item ``item_id``.

    ``residual`` is what is still open on the item, in the line's currency.
    Applying less than the residual leaves the item partially paid.
    """

    item_id: int
    residual: Decimal
    amount: Decimal = ZERO


def signed_like(amount: Decimal, residual: Decimal) -> Decimal:
    """``amount`` with the sign of ``residual``.

    People type the amount to apply on a vendor bill as a positive number;
    it pays a negative residual, so it counts negative.
    """
    if residual < 0:
        return -abs(amount)
    return abs(amount)


def remaining(
    line_amount: Decimal,
    allocations: Sequence[Allocation],
    writeoff: Decimal,
    digits: int,
) -> Decimal:
    """What is left of the line once items and write-off are booked."""
    applied = sum((money(a.amount, digits) for a in allocations), ZERO)
    return money(line_amount, digits) - applied - money(writeoff, digits)


def fill(
    line_amount: Decimal,
    allocations: Sequence[Allocation],
    writeoff: Decimal,
    digits: int,
) -> list[Allocation]:
    """Give the items without an amount yet their share, in the given order.

    An item gets what is left of the line when that is less than its residual
    (a partial payment of the last item chosen), else its whole residual. An
    item on the other side of the line (a credit note among invoices) always
    gets its whole residual: it adds to what the line can pay.
    """
    result = list(allocations)
    for index, allocation in enumerate(result):
        if money(allocation.amount, digits):
            continue
        residual = money(allocation.residual, digits)
        left = remaining(line_amount, result, writeoff, digits)
        amount = residual
        if left and (left > 0) == (residual > 0) and abs(left) < abs(residual):
            amount = left
        result[index] = replace(allocation, amount=amount)
    return result


def check(
    line_amount: Decimal,
    allocations: Sequence[Allocation],
    writeoff: Decimal,
    digits: int,
) -> None:
    """Raise :class:`AllocationError` unless the booking is valid.

    Valid: the line is open, each item appears once with a non-zero amount of
    its residual's sign and not above it, something is booked, and the line
    is fully used (:func:`remaining` is zero at the currency's precision).
    """
    if not money(line_amount, digits):
        raise AllocationError("line_zero", "The bank line has nothing left to book.")
    seen = set()
    for allocation in allocations:
        if allocation.item_id in seen:
            raise AllocationError(
                "duplicate",
                f"Item {allocation.item_id} is chosen twice.",
                item=allocation.item_id,
            )
        seen.add(allocation.item_id)
        amount = money(allocation.amount, digits)
        residual = money(allocation.residual, digits)
        if not residual:
            raise AllocationError(
                "item_closed",
                f"Item {allocation.item_id} is no longer open.",
                item=allocation.item_id,
            )
        if not amount:
            raise AllocationError(
                "amount_zero",
                f"No amount is applied to item {allocation.item_id}.",
                item=allocation.item_id,
            )
        if (amount > 0) != (residual > 0):
            raise AllocationError(
                "wrong_sign",
                f"The amount {amount} applied to item {allocation.item_id} has not "
                f"the sign of its open amount {residual}.",
                item=allocation.item_id,
                amount=amount,
                residual=residual,
            )
        if abs(amount) > abs(residual):
            raise AllocationError(
                "over_residual",
                f"The amount {amount} applied to item {allocation.item_id} exceeds "
                f"its open amount {residual}.",
                item=allocation.item_id,
                amount=amount,
                residual=residual,
            )
    if not allocations and not money(writeoff, digits):
        raise AllocationError("empty", "Choose open items or a write-off.")
    left = remaining(line_amount, allocations, writeoff, digits)
    if left:
        raise AllocationError(
            "unbalanced",
            f"{left} of the bank line is not booked yet.",
            remaining=left,
        )


def engine_writeoff(writeoff: Decimal) -> Decimal:
    """The write-off as the reconcile engine counts it (items minus line).

    ``matching.Proposal.writeoff`` is positive when the items exceed the line
    (charges deducted by the bank): the opposite of ``writeoff`` here.
    """
    return -writeoff
