# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Bounded exact subset-sum search over integer amounts (cents).

Used by the reconciliation engine to find which open items of a partner one
bank line pays. Integers only: money is converted to exact cents by the
caller, so no float or rounding question arises here.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

_logger = logging.getLogger(__name__)

__all__ = ["MAX_ITEMS", "SUBSET_COLLECT", "SubsetSumError", "subsets_summing_to"]

#: Solutions returned at most (bounds pathological inputs such as dozens of
#: identical amounts, where the number of solutions explodes).
SUBSET_COLLECT = 64
#: Largest input accepted: 2 * 2**12 partial sums, a few milliseconds.
MAX_ITEMS = 24


class SubsetSumError(ValueError):
    """The input is larger than :data:`MAX_ITEMS` (the work would explode)."""


def subsets_summing_to(
    cents: Sequence[int], target: int, limit: int = SUBSET_COLLECT
) -> list[tuple[int, ...]]:
    """Index tuples (size >= 2) of ``cents`` whose values sum to ``target``.

    Meet-in-the-middle: every partial sum of the first half goes in a dict,
    every partial sum of the second half looks up its complement, so the
    work is about 2 * 2**(n/2) instead of 2**n. At most ``limit`` solutions
    are returned (all of them when there are fewer), which bounds the output
    for pathological inputs such as dozens of identical amounts.
    """
    if len(cents) > MAX_ITEMS:
        raise SubsetSumError(f"at most {MAX_ITEMS} values, got {len(cents)}")
    half = len(cents) // 2
    left: dict[int, list[int]] = {}
    for mask, total in _partial_sums(cents[:half]):
        masks = left.setdefault(total, [])
        if len(masks) < limit:
            masks.append(mask)
    found: list[tuple[int, ...]] = []
    for rmask, rtotal in _partial_sums(cents[half:]):
        for lmask in left.get(target - rtotal, ()):
            mask = lmask | rmask << half
            combo = tuple(k for k in range(len(cents)) if mask >> k & 1)
            if len(combo) >= 2:
                found.append(combo)
                if len(found) >= limit:
                    return found
    return found


def _partial_sums(values: Sequence[int]) -> list[tuple[int, int]]:
    """(mask, sum) of every subset of ``values``, built incrementally."""
    sums = [(0, 0)]
    for k, value in enumerate(values):
        bit = 1 << k
        sums += [(mask | bit, total + value) for mask, total in sums]
    return sums
