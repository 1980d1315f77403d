# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Adyen "Settlement details report" (CSV) to :class:`Settlement` objects.

One report covers one or more payable batches; rows are grouped per
(merchant account, ``Batch Number``, net currency). Older reports have no
``Batch Number`` column (one file per batch, number in the file name
``settlement_detail_report_batch_<n>.csv``): pass ``batch_number`` then.

Amounts: the ``(NC)`` columns are in the settlement (net) currency, debit
and credit are both positive numbers, so a row's signed net is
``Net Credit - Net Debit``. Costs withheld on a transaction are
``Commission + Markup + Scheme Fees + Interchange`` (Interchange++ merchants
get the last three, blended-rate merchants only Commission). Gross is read
from the ``(GC)`` columns when they are in the settlement currency, otherwise
(currency conversion) derived as ``net + costs``.

Row types:

* ``MerchantPayout``: the transfer to the bank; its ``Net Debit`` is the
  payout amount, stored as :attr:`Settlement.net` (not a line).
* ``Settled`` -> charge; ``Refunded``/``RefundedReversed`` -> refund;
  ``Chargeback``/``SecondChargeback`` -> dispute; ``ChargebackReversed`` ->
  dispute_reversal; ``Fee``/``MiscCosts``/``PaymentCost`` -> fee;
  ``Balancetransfer`` (carried from/to another batch), ``DepositCorrection``,
  ``InvoiceDeduction``, ``ReserveAdjustment``... -> adjustment. Unknown types
  are adjustments (logged): the sums stay complete.

``arrival_date`` is the booking date of the MerchantPayout row (Adyen's
report does not state the bank value date).
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .events import MalformedPayload, parse_decimal
from .settlement import Settlement, SettlementLine

_logger = logging.getLogger(__name__)

__all__ = ["REQUIRED_COLUMNS", "TYPE_KINDS", "parse_settlement_report"]

GATEWAY = "adyen"

REQUIRED_COLUMNS = (
    "Merchant Account",
    "Creation Date",
    "TimeZone",
    "Type",
    "Net Currency",
    "Net Debit (NC)",
    "Net Credit (NC)",
)
COST_COLUMNS = (
    "Commission (NC)",
    "Markup (NC)",
    "Scheme Fees (NC)",
    "Interchange (NC)",
)

TYPE_KINDS = {
    "Settled": "charge",
    "SettledBulk": "charge",
    "SettledInInstallments": "charge",
    "Refunded": "refund",
    "RefundedBulk": "refund",
    "RefundedInInstallments": "refund",
    "RefundedReversed": "refund",
    "Chargeback": "dispute",
    "SecondChargeback": "dispute",
    "ChargebackReversed": "dispute_reversal",
    "SecondChargebackReversed": "dispute_reversal",
    "Fee": "fee",
    "MiscCosts": "fee",
    "PaymentCost": "fee",
    "Balancetransfer": "adjustment",
    "DepositCorrection": "adjustment",
    "InvoiceDeduction": "adjustment",
    "ReserveAdjustment": "adjustment",
    "ManualCorrected": "adjustment",
    "MerchantPayin": "adjustment",
    "MatchedStatement": "adjustment",
    "BankInstructionReturned": "adjustment",
    "EpaPaid": "adjustment",
    "PaidOut": "adjustment",
    "PaidOutReversed": "adjustment",
}
PAYOUT_TYPE = "MerchantPayout"
_TRANSACTION_KINDS = {"charge", "refund", "dispute", "dispute_reversal"}

#: Time zone abbreviations Adyen prints in the TimeZone column. Fixed
#: offsets are exact here: the abbreviation already says whether DST applies.
_TZ_OFFSETS = {
    "UTC": 0,
    "GMT": 0,
    "WET": 0,
    "BST": 60,
    "WEST": 60,
    "CET": 60,
    "CEST": 120,
    "EET": 120,
    "EEST": 180,
    "MSK": 180,
    "GST": 240,
    "SGT": 480,
    "HKT": 480,
    "AWST": 480,
    "JST": 540,
    "KST": 540,
    "AEST": 600,
    "AEDT": 660,
    "NZST": 720,
    "NZDT": 780,
    "BRT": -180,
    "EST": -300,
    "EDT": -240,
    "CST": -360,
    "CDT": -300,
    "MST": -420,
    "MDT": -360,
    "PST": -480,
    "PDT": -420,
}


@dataclass
class _Batch:
    merchant: str
    batch: str
    currency: str
    lines: list[SettlementLine] = field(default_factory=list)
    payout: Decimal = Decimal(0)
    payout_rows: int = 0
    payout_at: datetime | None = None
    last_at: datetime | None = None
    description: str = ""


def _tz(name: str, where: str):
    name = name.strip()
    if not name:
        return UTC
    if name.upper() in _TZ_OFFSETS:
        return timezone(timedelta(minutes=_TZ_OFFSETS[name.upper()]))
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        _logger.warning(
            "Adyen report %s: unknown time zone %s, taken as UTC", where, name
        )
        return UTC


def _row_datetime(text: str, tz_name: str, where: str) -> datetime:
    try:
        naive = datetime.fromisoformat(text.strip())
    except ValueError:
        raise MalformedPayload(
            f"{where}: Creation Date", f"invalid date {text!r}"
        ) from None
    if naive.tzinfo is None:
        naive = naive.replace(tzinfo=_tz(tz_name, where))
    return naive.astimezone(UTC)


def parse_settlement_report(
    data: bytes, batch_number: str | None = None
) -> list[Settlement]:
    """Parse a Settlement details report into one Settlement per batch.

    :param batch_number: batch of a report without ``Batch Number`` column.
    :raises MalformedPayload: ``path`` is ``row <n>: <column>`` (``n`` is the
        1-based line number in the file, the header being row 1).
    """
    if isinstance(data, str):
        text = data
    else:
        try:
            text = bytes(data).decode("utf-8-sig")
        except (UnicodeDecodeError, TypeError):
            raise MalformedPayload("row 1", "report is not UTF-8 text") from None
    text = text.lstrip("\ufeff")
    # strict: a stray quote means a corrupt file, not a value to guess at.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        while header is not None and not any(cell.strip() for cell in header):
            header = next(reader, None)
        if header is None:
            raise MalformedPayload("row 1", "empty report")
        columns = {name.strip().lower(): index for index, name in enumerate(header)}
        for name in REQUIRED_COLUMNS:
            if name.lower() not in columns:
                raise MalformedPayload(
                    f"row {reader.line_num}", f"missing column {name}"
                )
        batches: dict[tuple[str, str, str], _Batch] = {}
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            _parse_row(row, reader.line_num, columns, batch_number, batches)
    except csv.Error as error:
        raise MalformedPayload(
            f"row {reader.line_num}", f"CSV error: {error}"
        ) from None
    return _settlements(batches)


def _parse_row(row, row_number, columns, batch_number, batches) -> None:
    where = f"row {row_number}"

    def cell(name: str) -> str:
        index = columns.get(name.lower())
        if index is None or index >= len(row):
            return ""
        return row[index].strip()

    def amount(name: str) -> Decimal:
        value = cell(name)
        return parse_decimal(value, f"{where}: {name}") if value else Decimal(0)

    row_type = cell("Type")
    if not row_type:
        raise MalformedPayload(f"{where}: Type", "missing value")
    batch = cell("Batch Number") or (str(batch_number) if batch_number else "")
    if not batch:
        raise MalformedPayload(f"{where}: Batch Number", "missing value")
    currency = cell("Net Currency").upper()
    if len(currency) != 3 or not currency.isalpha():
        raise MalformedPayload(f"{where}: Net Currency", f"invalid {currency!r}")
    merchant = cell("Merchant Account")
    occurred = _row_datetime(cell("Creation Date"), cell("TimeZone"), where)
    net = amount("Net Credit (NC)") - amount("Net Debit (NC)")
    group = batches.setdefault(
        (merchant, batch, currency), _Batch(merchant, batch, currency)
    )
    group.last_at = max(filter(None, (group.last_at, occurred)))
    if row_type == PAYOUT_TYPE:
        group.payout -= net
        group.payout_rows += 1
        group.payout_at = occurred
        group.description = cell("Modification Reference")
        return
    kind = TYPE_KINDS.get(row_type)
    if kind is None:
        _logger.warning(
            "Adyen report %s: unknown type %s booked as adjustment", where, row_type
        )
        kind = "adjustment"
    modification = cell("Modification Reference")
    if kind == "fee":
        gross, fee = Decimal(0), -net
    else:
        fee = sum((amount(name) for name in COST_COLUMNS), Decimal(0))
        gross = net + fee
        gross_cells = (cell("Gross Credit (GC)"), cell("Gross Debit (GC)"))
        if cell("Gross Currency").upper() == currency and any(gross_cells):
            gross = amount("Gross Credit (GC)") - amount("Gross Debit (GC)")
    is_transaction = kind in _TRANSACTION_KINDS
    description = " ".join(
        part
        for part in (
            row_type,
            cell("Payment Method"),
            "" if is_transaction else modification,
        )
        if part
    )
    group.lines.append(
        SettlementLine(
            kind=kind,
            reference=cell("Psp Reference") or None,
            source_ref=(modification or None) if is_transaction else None,
            gross=gross,
            fee=fee,
            net=net,
            currency=currency,
            occurred_at=occurred,
            description=description,
            merchant_ref=cell("Merchant Reference") or None,
        )
    )


def _settlements(batches: dict[tuple[str, str, str], _Batch]) -> list[Settlement]:
    currencies_per_batch: dict[tuple[str, str], int] = {}
    for merchant, batch, _currency in batches:
        key = (merchant, batch)
        currencies_per_batch[key] = currencies_per_batch.get(key, 0) + 1
    result = []
    for (merchant, batch, currency), group in batches.items():
        payout_id = f"{merchant}:{batch}"
        if currencies_per_batch[(merchant, batch)] > 1:
            payout_id = f"{payout_id}:{currency}"
        when = group.payout_at or group.last_at
        settlement = Settlement(
            gateway=GATEWAY,
            payout_id=payout_id,
            currency=currency,
            created_at=when,
            arrival_date=when.date() if group.payout_at else None,
            lines=group.lines,
            net=group.payout,
            account=merchant or None,
            description=group.description,
            status="paid" if group.payout_rows else "no_payout",
        )
        if not settlement.is_consistent:
            _logger.warning(
                "Adyen batch %s does not add up: lines %s, payout %s",
                payout_id,
                settlement.computed_net,
                settlement.net,
            )
        result.append(settlement)
    return result
