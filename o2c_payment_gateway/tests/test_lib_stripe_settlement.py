# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date
from decimal import Decimal

import pytest

from ..lib import stripe
from ..lib.events import MalformedPayload
from ..lib.settlement import Settlement, SettlementError, SettlementLine
from .lib_fixtures import fixture_json

PAYOUT_ID = "po_1PTb0aLkdIwHu7ixQ2w3E4r5"
T0 = 1718582400


def _txn(number, type_, category, amount, fee, source, description=""):
    """A balance transaction as ``GET /v1/balance_transactions`` returns it."""
    return {
        "id": f"txn_1PTb{number:04d}LkdIwHu7ix",
        "object": "balance_transaction",
        "amount": amount,
        "available_on": T0 + 172800,
        "created": T0 + number * 60,
        "currency": "eur",
        "description": description,
        "exchange_rate": None,
        "fee": fee,
        "fee_details": (
            [
                {
                    "amount": fee,
                    "application": None,
                    "currency": "eur",
                    "description": "Stripe processing fees",
                    "type": "stripe_fee",
                }
            ]
            if fee
            else []
        ),
        "net": amount - fee,
        "reporting_category": category,
        "source": source,
        "status": "available",
        "type": type_,
    }


def _busy_payout():
    """50 charges, 3 refunds (expanded sources), a Radar fee, the payout line."""
    transactions = []
    for number in range(50):
        amount = 1000 + number * 137
        fee = round(amount * 0.015) + 25
        transactions.append(
            _txn(
                number,
                "charge",
                "charge",
                amount,
                fee,
                f"ch_3PTb{number:04d}LkdIwHu7ix",
                f"INV/2024/{number + 200:05d}",
            )
        )
    for number, (charge_no, amount) in enumerate([(3, 500), (17, 1200), (42, 999)]):
        source = {
            "id": f"re_3PTb{charge_no:04d}LkdIwHu7ix",
            "object": "refund",
            "amount": amount,
            "charge": f"ch_3PTb{charge_no:04d}LkdIwHu7ix",
            "currency": "eur",
            "metadata": {"invoice_ref": f"INV/2024/{charge_no + 200:05d}"},
            "status": "succeeded",
        }
        transactions.append(
            _txn(100 + number, "refund", "refund", -amount, 0, source, "REFUND")
        )
    transactions.append(
        _txn(200, "stripe_fee", "fee", -250, 0, "ch_1PTbRadarLkdIwHu7ix", "Radar")
    )
    total = sum(txn["net"] for txn in transactions)
    transactions.insert(
        0, _txn(300, "payout", "payout", -total, 0, PAYOUT_ID, "STRIPE PAYOUT")
    )
    payout = {
        "id": PAYOUT_ID,
        "object": "payout",
        "amount": total,
        "arrival_date": 1718841600,
        "created": 1718668800,
        "currency": "eur",
        "status": "paid",
        "description": "STRIPE PAYOUT",
    }
    return payout, transactions


def test_payout_with_50_charges_and_3_refunds_is_consistent():
    payout, transactions = _busy_payout()
    settlement = stripe.balance_transactions_to_settlement(payout, transactions)
    assert isinstance(settlement, Settlement)
    assert settlement.gateway == "stripe"
    assert settlement.payout_id == PAYOUT_ID
    assert settlement.currency == "EUR"
    assert settlement.arrival_date == date(2024, 6, 20)
    assert len(settlement.lines_of("charge")) == 50
    assert len(settlement.lines_of("refund")) == 3
    assert len(settlement.lines) == 54  # payout's own line excluded
    expected_gross = sum(Decimal(1000 + n * 137) for n in range(50)) / 100
    assert settlement.gross == expected_gross
    assert settlement.refunds == Decimal("26.99")
    charge_fees = sum(Decimal(round((1000 + n * 137) * 0.015) + 25) for n in range(50))
    assert settlement.fees == charge_fees / 100 + Decimal("2.50")
    assert settlement.disputes == 0
    assert settlement.net == Decimal(payout["amount"]) / 100
    assert settlement.check_sums() == 0
    assert settlement.is_consistent
    assert settlement.inconsistent_lines() == []
    refund = settlement.lines_of("refund")[0]
    assert refund.reference == "ch_3PTb0003LkdIwHu7ix"  # original charge
    assert refund.source_ref == "re_3PTb0003LkdIwHu7ix"
    assert refund.merchant_ref == "INV/2024/00203"
    assert refund.gross == Decimal("-5.00")
    fee_line = settlement.lines_of("fee")[0]
    assert (fee_line.gross, fee_line.fee, fee_line.net) == (
        Decimal(0),
        Decimal("2.50"),
        Decimal("-2.50"),
    )


def test_missing_transaction_is_detected():
    payout, transactions = _busy_payout()
    dropped = [txn for txn in transactions if txn["id"] != "txn_1PTb0010LkdIwHu7ix"]
    settlement = stripe.balance_transactions_to_settlement(payout, dropped)
    assert not settlement.is_consistent
    missing = transactions[11]  # index 0 is the payout line
    assert missing["id"] == "txn_1PTb0010LkdIwHu7ix"
    assert settlement.check_sums() == -Decimal(missing["net"]) / 100


def test_wrong_payout_amount_is_detected():
    payout, transactions = _busy_payout()
    payout["amount"] += 1
    settlement = stripe.balance_transactions_to_settlement(payout, transactions)
    assert settlement.check_sums() == Decimal("-0.01")
    assert not settlement.is_consistent


def test_fixture_page_with_dispute_and_expanded_sources():
    page = fixture_json("stripe", "balance_transactions_page.json")
    payout = fixture_json("stripe", "payout.json")
    settlement = stripe.balance_transactions_to_settlement(payout, page["data"])
    assert settlement.is_consistent
    assert settlement.gross == Decimal("250.00")
    assert settlement.refunds == Decimal("15.00")
    assert settlement.disputes == Decimal("30.00")
    assert settlement.fees == Decimal("27.75")  # 6.05 + 1.70 + 15 dispute + 5 Radar
    dispute = settlement.lines_of("dispute")[0]
    assert dispute.reference == "ch_3PSuZ0LkdIwHu7ix0Y7i0Xw1"
    assert dispute.source_ref == "du_1PSvC3LkdIwHu7ixX6h9Wv0f"
    charge = settlement.lines_of("charge")[0]
    assert charge.merchant_ref == "INV/2024/00101"


def test_dispute_reversal_and_adjustment_signs():
    payout = {"id": "po_x", "amount": 5000, "currency": "eur", "created": T0}
    transactions = [
        _txn(1, "adjustment", "dispute_reversal", 3000, -1500, "du_1"),
        _txn(2, "adjustment", "other_adjustment", -500, 0, "ia_1"),
        _txn(3, "charge", "charge", 1000, 0, "ch_1"),
    ]
    settlement = stripe.balance_transactions_to_settlement(payout, transactions)
    assert settlement.disputes == Decimal("-30.00")  # money won back
    assert settlement.adjustments == Decimal("-5.00")
    assert settlement.fees == Decimal("-15.00")  # dispute fee returned
    assert settlement.check_sums() == 0


def test_malformed_transactions():
    payout, transactions = _busy_payout()
    duplicated = [*transactions, transactions[5]]
    with pytest.raises(MalformedPayload) as excinfo:
        stripe.balance_transactions_to_settlement(payout, duplicated)
    assert excinfo.value.path == f"transactions[{len(transactions)}].id"
    other_currency = [dict(transactions[1], currency="usd")]
    with pytest.raises(MalformedPayload) as excinfo:
        stripe.balance_transactions_to_settlement(payout, other_currency)
    assert excinfo.value.path == "transactions[0].currency"
    broken = [dict(transactions[2], amount="12.00")]
    with pytest.raises(MalformedPayload) as excinfo:
        stripe.balance_transactions_to_settlement(payout, broken)
    assert excinfo.value.path == "transactions[0].amount"
    with pytest.raises(MalformedPayload):
        stripe.balance_transactions_to_settlement({"id": "po_1"}, [])


def test_settlement_model_validation():
    with pytest.raises(SettlementError):
        SettlementLine("bonus", None, None, Decimal(1), Decimal(0), Decimal(1), "EUR")
    with pytest.raises(SettlementError):
        SettlementLine("charge", None, None, 1.5, Decimal(0), Decimal(1), "EUR")
    with pytest.raises(SettlementError):
        Settlement("stripe", "po_1", "eur", net=10)


# -- pagination ------------------------------------------------------------------


def _pages(items, size):
    pages = {}
    cursor = None
    for start in range(0, len(items), size):
        chunk = items[start : start + size]
        pages[cursor] = {
            "object": "list",
            "data": chunk,
            "has_more": start + size < len(items),
            "url": "/v1/balance_transactions",
        }
        cursor = chunk[-1]["id"]
    return pages


def test_paginate_three_pages_with_has_more():
    payout, transactions = _busy_payout()
    pages = _pages(transactions, 20)
    assert len(pages) == 3
    calls = []

    def fetch(starting_after):
        calls.append(starting_after)
        return pages[starting_after]

    items = list(stripe.paginate(fetch))
    assert [txn["id"] for txn in items] == [txn["id"] for txn in transactions]
    assert calls == [None, transactions[19]["id"], transactions[39]["id"]]
    settlement = stripe.balance_transactions_to_settlement(
        payout, stripe.paginate(fetch)
    )
    assert settlement.is_consistent


def test_paginate_refuses_endless_loops():
    page = {"object": "list", "data": [{"id": "txn_1"}], "has_more": True}
    with pytest.raises(MalformedPayload):
        list(stripe.paginate(lambda cursor: page))
    empty = {"object": "list", "data": [], "has_more": True}
    with pytest.raises(MalformedPayload):
        list(stripe.paginate(lambda cursor: empty))
    with pytest.raises(MalformedPayload):
        list(stripe.paginate(lambda cursor: None))
