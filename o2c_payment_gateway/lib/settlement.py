# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Gateway-neutral settlement (payout) model and its consistency check.

A :class:`Settlement` is one transfer from the gateway to the merchant's bank
(Stripe payout ``po_...``, Adyen settlement batch) broken down into the
:class:`SettlementLine` objects it pays out.

Sign conventions (all amounts in the settlement currency, major units):

* ``SettlementLine.gross`` is signed from the merchant's point of view:
  charges ``+``, refunds ``-`` (a refund reversal/failure ``+``), disputes
  ``-``, dispute reversals ``+``, adjustments either sign, fee-only lines
  ``0``.
* ``SettlementLine.fee`` is the gateway's cost, normally ``>= 0``; a negative
  fee is a fee given back (e.g. Stripe returning a dispute fee).
* ``SettlementLine.net`` is signed and, for a well-formed line,
  ``net == gross - fee``.
* ``Settlement.net`` is the payout amount *as the gateway states it* (stored,
  not computed): comparing it with the sum of the lines is the point.

The aggregates of a settlement (:attr:`Settlement.gross`, ``fees``,
``refunds``, ``disputes``, ``adjustments``) are chosen so that for
consistent data::

    gross - fees - refunds - disputes + adjustments == net

with ``refunds`` and ``disputes`` positive numbers (money lost) and
``adjustments`` signed. :meth:`Settlement.check_sums` returns the left-hand
side minus ``net``; anything but zero means a missing page, a line in the
wrong payout, or a gateway-side correction that must be looked at.
:attr:`Settlement.is_consistent` also requires every line to satisfy
``net == gross - fee``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from .events import GatewayError

_logger = logging.getLogger(__name__)

__all__ = [
    "LINE_KINDS",
    "Settlement",
    "SettlementError",
    "SettlementLine",
]

#: Allowed :attr:`SettlementLine.kind` values.
LINE_KINDS = frozenset(
    {"charge", "refund", "dispute", "dispute_reversal", "fee", "adjustment"}
)

ZERO = Decimal(0)


class SettlementError(GatewayError):
    """A settlement or settlement line is not well-formed."""


@dataclass
class SettlementLine:
    """One movement included in a payout (see module docstring for signs).

    ``reference`` is the charge/payment reference the line belongs to (for a
    refund or dispute: the ORIGINAL payment's reference when the gateway
    gives it), ``source_ref`` the gateway object behind the line (refund id,
    dispute id, balance transaction source, modification pspReference).
    ``merchant_ref`` is the merchant's own reference (invoice number) when the
    source carries it.
    """

    kind: str
    reference: str | None
    source_ref: str | None
    gross: Decimal
    fee: Decimal
    net: Decimal
    currency: str
    occurred_at: datetime | None = None
    description: str = ""
    merchant_ref: str | None = None

    def __post_init__(self):
        if self.kind not in LINE_KINDS:
            raise SettlementError(f"unknown settlement line kind {self.kind!r}")
        for name in ("gross", "fee", "net"):
            value = getattr(self, name)
            if not isinstance(value, Decimal) or not value.is_finite():
                raise SettlementError(f"{name} must be a finite Decimal: {value!r}")
        self.currency = (self.currency or "").upper()

    @property
    def is_consistent(self) -> bool:
        """``net == gross - fee``."""
        return self.net == self.gross - self.fee


@dataclass
class Settlement:
    """One payout and its lines; ``net`` is the payout amount as stated."""

    gateway: str
    payout_id: str
    currency: str
    created_at: datetime | None = None
    arrival_date: date | None = None
    lines: list[SettlementLine] = field(default_factory=list)
    net: Decimal = ZERO
    account: str | None = None
    description: str = ""
    status: str | None = None

    def __post_init__(self):
        self.currency = (self.currency or "").upper()
        if not isinstance(self.net, Decimal) or not self.net.is_finite():
            raise SettlementError(f"net must be a finite Decimal: {self.net!r}")

    # -- aggregates --------------------------------------------------------

    def _sum(self, attribute: str, kinds: Iterable[str]) -> Decimal:
        kinds = set(kinds)
        return sum(
            (getattr(line, attribute) for line in self.lines if line.kind in kinds),
            ZERO,
        )

    @property
    def gross(self) -> Decimal:
        """Sum of the charges' gross amounts."""
        return self._sum("gross", {"charge"})

    @property
    def fees(self) -> Decimal:
        """Sum of every line's fee (charge fees, dispute fees, fee-only lines)."""
        return self._sum("fee", LINE_KINDS)

    @property
    def refunds(self) -> Decimal:
        """Refunded amount as a positive number (net of refund reversals)."""
        return -self._sum("gross", {"refund"})

    @property
    def disputes(self) -> Decimal:
        """Disputed amount lost as a positive number (net of reversals)."""
        return -self._sum("gross", {"dispute", "dispute_reversal"})

    @property
    def adjustments(self) -> Decimal:
        """Signed sum of adjustment lines (and of any gross on fee lines)."""
        return self._sum("gross", {"adjustment", "fee"})

    @property
    def computed_net(self) -> Decimal:
        """What the lines add up to: ``gross - fees - refunds - disputes + adj``."""
        return self.gross - self.fees - self.refunds - self.disputes + self.adjustments

    def check_sums(self) -> Decimal:
        """``computed_net - net``: zero when the payout matches its lines."""
        return self.computed_net - self.net

    @property
    def is_consistent(self) -> bool:
        """The payout matches the lines AND every line matches itself.

        Both are needed: a line whose stated net differs from ``gross - fee``
        leaves :meth:`check_sums` at zero when the payout was computed from
        the stated nets.
        """
        return self.check_sums() == 0 and not self.inconsistent_lines()

    def lines_of(self, kind: str) -> list[SettlementLine]:
        return [line for line in self.lines if line.kind == kind]

    def inconsistent_lines(self) -> list[SettlementLine]:
        """Lines whose own ``net`` differs from ``gross - fee``."""
        return [line for line in self.lines if not line.is_consistent]
