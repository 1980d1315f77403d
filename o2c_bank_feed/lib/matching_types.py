# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Data model of the reconciliation matching core (see :mod:`.matching`).

Kept apart from the strategies so that the Odoo engine can build lines, items
and parameters without pulling in the matching code, and so each file stays
small. :mod:`.matching` re-exports everything public here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType

from .subset_sum import MAX_ITEMS

_logger = logging.getLogger(__name__)

__all__ = [
    "MAX_SUBSET_ITEMS_CAP",
    "SCORES",
    "ZERO",
    "BankLine",
    "Decision",
    "InvalidParams",
    "MatchParams",
    "MatchingError",
    "MixedLinesError",
    "OpenItem",
    "Proposal",
    "money",
]

ZERO = Decimal(0)

#: Score of each situation (read-only). Above the rule's threshold and
#: unambiguous means automatic reconciliation; the ordering mirrors the
#: design's strategy order. A reference with an amount that does not fit
#: (partial, overpaid) stays below usual thresholds on purpose.
SCORES = MappingProxyType(
    {
        "reference_exact": 98.0,
        "reference_writeoff": 90.0,
        "reference_partial": 70.0,
        "reference_overpaid": 45.0,
        "reference_multi_exact": 95.0,
        "reference_multi_writeoff": 88.0,
        "reference_multi_partial": 60.0,
        "reference_multi_overpaid": 45.0,
        "partner_amount": 92.0,
        "partner_amount_writeoff": 80.0,
        "partner_amount_ambiguous": 70.0,
        "date_window_partner": 85.0,
        "date_window_no_partner": 70.0,
        "date_window_other_partner": 55.0,
        "subset_sum": 88.0,
        "subset_sum_no_partner": 75.0,
        "subset_sum_truncated_malus": 8.0,
        "subset_sum_ambiguous": 55.0,
        "fuzzy_name_min": 60.0,
        "fuzzy_name_max": 75.0,
        # an invoice net of the same customer's open credit notes
        "netting_reference_exact": 95.0,
        "netting_reference_writeoff": 88.0,
        "netting_subset_exact": 90.0,
        "netting_subset_writeoff": 80.0,
        "netting_ambiguous": 55.0,
        # payer known only by name: the partner from the name, then the amount
        "name_mapped": 92.0,
        "name_exact": 90.0,
        "name_ambiguous": 70.0,
        "name_amount_ambiguous": 65.0,
        "name_amount_elsewhere": 70.0,
    }
)

#: Hard ceiling on ``max_subset_items``: meet-in-the-middle enumerates
#: 2 * 2**(n/2) partial sums, 8192 at 24 items.
MAX_SUBSET_ITEMS_CAP = MAX_ITEMS


class MatchingError(Exception):
    """Base class of errors raised by the matching core."""


class InvalidParams(MatchingError, ValueError):
    """A :class:`MatchParams` value is out of range or of a wrong type."""


class MixedLinesError(MatchingError, ValueError):
    """:func:`decide` was given proposals of several bank lines."""


@dataclass(frozen=True)
class OpenItem:
    """An open receivable / payable / transit item, as the SQL lookup found it.

    ``refs`` holds keys from :func:`..references.ref_keys`. ``name`` (an
    addition for readable reasons) is the invoice number to show a person.
    """

    id: int
    partner_id: int | None
    partner_name: str | None
    amount_residual: Decimal
    currency: str
    date: date
    due_date: date | None = None
    refs: frozenset[str] = frozenset()
    account_kind: str = "receivable"
    name: str | None = None


@dataclass(frozen=True)
class BankLine:
    """A bank statement line; ``refs`` from :func:`..references.line_keys`.

    ``name_match`` / ``name_partner_ids`` / ``name_ratio``: what
    :func:`.matching_names.resolve_name` made of the payer's name (its
    ``kind``, partners and similarity), when the engine resolved it.
    """

    id: int
    amount: Decimal
    currency: str
    date: date
    partner_id: int | None = None
    counterparty_name: str | None = None
    refs: frozenset[str] = frozenset()
    text: str = ""
    name_match: str = ""
    name_partner_ids: tuple[int, ...] = ()
    name_ratio: float = 0.0


@dataclass
class Proposal:
    """Candidate reconciliation of one line with one or several items.

    ``amounts[i]`` is allocated to ``item_ids[i]``. See the module docstring
    for ``writeoff`` and ``remainder``; ``partial`` means at least one item
    stays open after the reconciliation.
    """

    line_id: int
    item_ids: tuple[int, ...]
    amounts: tuple[Decimal, ...]
    score: float
    strategy: str
    reason: str
    writeoff: Decimal = ZERO
    partial: bool = False
    remainder: Decimal = ZERO

    @property
    def item_set(self) -> frozenset[int]:
        """The items, order ignored: what "the same candidate" means."""
        return frozenset(self.item_ids)


@dataclass
class MatchParams:
    """Tuning of the strategies (one set per reconciliation rule).

    ``tolerance_abs`` / ``tolerance_pct`` bound the write-off. When both are
    set the *smaller* bound applies: a write-off hits the P&L, and a 2 % rule
    meant for small invoices must not silently write off 2 000 on a 100 000
    invoice. 0 disables a bound; both 0 means no write-off at all.
    """

    tolerance_abs: Decimal = ZERO
    tolerance_pct: Decimal = ZERO
    date_window_days: int = 5
    fuzzy_threshold: float = 85.0
    max_subset_items: int = 12
    allow_partial: bool = True
    digits: int = 2

    def __post_init__(self):
        for name in ("tolerance_abs", "tolerance_pct"):
            value = getattr(self, name)
            if isinstance(value, (float, bool)):
                raise InvalidParams(f"{name} must be a Decimal, not {value!r}")
            try:
                value = Decimal(value)
            except (ArithmeticError, TypeError, ValueError) as exc:
                raise InvalidParams(f"{name} is not a number: {value!r}") from exc
            if not value.is_finite() or value < 0:
                raise InvalidParams(f"{name} must be finite and >= 0")
            setattr(self, name, value)
        if self.tolerance_pct > 100:
            raise InvalidParams("tolerance_pct must be <= 100")
        if not 0 <= self.digits <= 6:
            raise InvalidParams("digits must be between 0 and 6")
        if self.date_window_days < 0:
            raise InvalidParams("date_window_days must be >= 0")
        if not 0 <= self.fuzzy_threshold <= 100:
            raise InvalidParams("fuzzy_threshold must be between 0 and 100")
        if not 2 <= self.max_subset_items <= MAX_SUBSET_ITEMS_CAP:
            raise InvalidParams(
                f"max_subset_items must be between 2 and {MAX_SUBSET_ITEMS_CAP}"
            )


@dataclass
class Decision:
    """Outcome for one line: ``kind`` is "auto", "propose" or "none"."""

    kind: str
    best: Proposal | None = None
    candidates: tuple[Proposal, ...] = field(default_factory=tuple)


def money(value: Decimal | int | str | float, digits: int = 2) -> Decimal:
    """``value`` as a Decimal rounded half-up to ``digits`` decimals.

    For the engine's boundary: Odoo's ORM hands monetary fields over as
    floats. A float goes through its shortest ``repr`` ("2.675"), never
    ``Decimal(float)`` (2.67499999...), which would round the wrong way.
    """
    if isinstance(value, float):
        value = repr(value)
    return Decimal(value).quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP)
