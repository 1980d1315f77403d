# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from ..lib import adyen
from ..lib.events import MalformedPayload
from .lib_fixtures import fixture_bytes

REPORT = fixture_bytes("adyen", "settlement_detail_report_batch_37.csv")
HEADER = REPORT.split(b"\r\n", 1)[0].decode()


def _batches():
    return {s.payout_id: s for s in adyen.parse_settlement_report(REPORT)}


def test_report_grouped_per_batch():
    batches = _batches()
    assert list(batches) == ["O2CShopEUR:37", "O2CShopEUR:38"]
    batch = batches["O2CShopEUR:37"]
    assert batch.gateway == "adyen"
    assert batch.currency == "EUR"
    assert batch.account == "O2CShopEUR"
    assert batch.net == Decimal("426.15")  # the MerchantPayout row
    assert batch.description.startswith("TX4263872641XT O2CShopEUR batch 37")
    assert batch.created_at == datetime(2024, 6, 19, 3, 0, tzinfo=UTC)  # CEST
    assert batch.arrival_date == date(2024, 6, 19)
    assert batch.status == "paid"
    assert len(batch.lines) == 9


def test_batch_sums_are_consistent():
    batch = _batches()["O2CShopEUR:37"]
    assert batch.gross == Decimal("519.99")
    assert batch.fees == Decimal("18.84")
    assert batch.refunds == Decimal("30.00")
    assert batch.disputes == Decimal("35.00")  # 80 lost, 45 reversed
    assert batch.adjustments == Decimal("-10.00")
    assert batch.check_sums() == 0
    assert batch.is_consistent
    assert batch.inconsistent_lines() == []


def test_lines_carry_references_and_costs():
    batch = _batches()["O2CShopEUR:37"]
    first = batch.lines[0]
    assert first.kind == "charge"
    assert first.reference == "QFQTPCQ8HXSKGK82"
    assert first.source_ref == "T4XG8P2MZ5QWKR82"
    assert first.merchant_ref == "INV/2024/00077"
    assert (first.gross, first.fee, first.net) == (
        Decimal("100.00"),
        Decimal("1.95"),
        Decimal("98.05"),
    )
    assert first.occurred_at == datetime(2024, 6, 17, 12, 10, 2, tzinfo=UTC)
    chargeback = batch.lines_of("dispute")[0]
    assert (chargeback.gross, chargeback.fee, chargeback.net) == (
        Decimal("-80.00"),
        Decimal("7.50"),
        Decimal("-87.50"),
    )
    fee = batch.lines_of("fee")[0]
    assert (fee.gross, fee.fee, fee.net) == (
        Decimal(0),
        Decimal("1.20"),
        Decimal("-1.20"),
    )
    assert fee.source_ref is None and "Transaction Fees June 2024" in fee.description
    assert batch.lines_of("dispute_reversal")[0].gross == Decimal("45.00")
    assert batch.lines_of("adjustment")[0].gross == Decimal("-10.00")


def test_batch_without_payout_carries_balance():
    batch = _batches()["O2CShopEUR:38"]
    assert batch.net == 0
    assert batch.status == "no_payout"
    assert batch.arrival_date is None
    assert batch.adjustments == Decimal("30.70")
    assert batch.is_consistent


def test_payout_mismatch_detected():
    tampered = REPORT.replace(b",426.15,", b",426.25,")
    assert tampered != REPORT
    batch = adyen.parse_settlement_report(tampered)[0]
    assert batch.check_sums() == Decimal("-0.10")
    assert not batch.is_consistent


def test_row_whose_costs_do_not_explain_net_is_detected():
    tampered = REPORT.replace(b",98.05,", b",98.00,")
    batch = adyen.parse_settlement_report(tampered)[0]
    assert not batch.is_consistent
    assert [line.reference for line in batch.inconsistent_lines()] == [
        "QFQTPCQ8HXSKGK82"
    ]


def test_bad_amount_reports_row_and_column():
    tampered = REPORT.replace(b",245.60,", b",245;60,")
    with pytest.raises(MalformedPayload) as excinfo:
        adyen.parse_settlement_report(tampered)
    assert excinfo.value.path == "row 3: Net Credit (NC)"


def test_bad_date_and_currency_report_row():
    with pytest.raises(MalformedPayload) as excinfo:
        adyen.parse_settlement_report(
            REPORT.replace(b"2024-06-17 16:03:19", b"17/06/2024")
        )
    assert excinfo.value.path == "row 4: Creation Date"
    lines = REPORT.split(b"\r\n")
    lines[5] = lines[5].replace(b",EUR,30.00,", b",EU,30.00,")
    with pytest.raises(MalformedPayload) as excinfo:
        adyen.parse_settlement_report(b"\r\n".join(lines))
    assert excinfo.value.path == "row 6: Net Currency"


def test_csv_level_error_reports_row():
    broken = b'\r\nO2CSuite,"O2CShopEUR"x,,\r\n'
    with pytest.raises(MalformedPayload) as excinfo:
        adyen.parse_settlement_report(REPORT.rstrip(b"\r\n") + broken)
    assert excinfo.value.path == "row 15"
    assert "CSV error" in excinfo.value.reason


def test_missing_column_and_empty_report():
    without_type = REPORT.replace(b",Type,", b",Kind,", 1)
    with pytest.raises(MalformedPayload) as excinfo:
        adyen.parse_settlement_report(without_type)
    assert "Type" in excinfo.value.reason
    with pytest.raises(MalformedPayload):
        adyen.parse_settlement_report(b"")
    with pytest.raises(MalformedPayload):
        adyen.parse_settlement_report(b"\xff\xfe\x00garbage")


def test_report_without_batch_column_uses_batch_number_argument():
    columns = HEADER.split(",")[:-1]
    rows = [
        ",".join(columns),
        (
            "O2CSuite,O2CShopGBP,1813702551707653,3vpzf7,visa,2013-06-03 11:26:49,"
            "BST,Settled,1713702551795048,GBP,,5.00,1,GBP,,4.88,,0.04,0.01,0.07,"
            "visaclassic,"
        ),
        (
            "O2CSuite,O2CShopGBP,,,,2013-06-11 04:55:40,BST,Fee,"
            "Transaction Fees May 2013,,,,,GBP,0.10,,,,,,,"
        ),
        (
            "O2CSuite,O2CShopGBP,,,,2013-06-11 05:00:00,BST,MerchantPayout,"
            "TX9906871234XT batch 4,,,,,GBP,4.78,,,,,,,"
        ),
    ]
    data = ("\ufeff" + "\n".join(rows) + "\n").encode()
    with pytest.raises(MalformedPayload) as excinfo:
        adyen.parse_settlement_report(data)
    assert excinfo.value.path == "row 2: Batch Number"
    (batch,) = adyen.parse_settlement_report(data, batch_number="4")
    assert batch.payout_id == "O2CShopGBP:4"
    assert batch.net == Decimal("4.78")
    assert batch.is_consistent
    assert batch.lines[0].occurred_at == datetime(2013, 6, 3, 10, 26, 49, tzinfo=UTC)


def test_multi_currency_batch_is_split():
    extra = (
        b"\r\nO2CSuite,O2CShopEUR,Q1W2E3R4T5Y6U7I8,INV/2024/00095,visa,"
        b"2024-06-18 10:00:00,CEST,Settled,A1S2D3F4G5H6J7K8,USD,,10.00,1,USD,,9.70,"
        b"0.30,,,,visacredit,,37\r\n"
    )
    batches = adyen.parse_settlement_report(REPORT.rstrip(b"\r\n") + extra)
    ids = [batch.payout_id for batch in batches]
    assert "O2CShopEUR:37:EUR" in ids and "O2CShopEUR:37:USD" in ids
    usd = next(batch for batch in batches if batch.currency == "USD")
    assert usd.gross == Decimal("10.00") and usd.net == 0
