# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""BAI2 parser: records, continuations, funds types, trailers."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from ..lib.bai2 import detail_sign, parse_bai2
from ..lib.statement import BalanceMismatch, ParseError

FIXTURES = Path(__file__).parent / "fixtures"

SMALL = [
    "01,SENDER,RECEIVER,240131,0600,F1,,,2/",
    "02,RECEIVER,SENDER,1,240130,2400,,2/",
    "03,123456,,010,10000,,,015,12500,,/",
    "16,175,2500,,BR1,CR1,DEPOSIT/",
    "49,25000,3/",
    "98,25000,1,5/",
    "99,25000,1,7/",
]


def _small(lines=None) -> bytes:
    return ("\n".join(lines or SMALL) + "\n").encode("ascii")


def _error(data) -> ParseError:
    with pytest.raises(ParseError) as info:
        parse_bai2(data)
    return info.value


@pytest.fixture(scope="module")
def statements():
    return parse_bai2((FIXTURES / "bai2_two_groups.bai2").read_bytes())


def test_one_statement_per_account(statements):
    assert [(s.account, s.currency) for s in statements] == [
        ("4417164300", "USD"),
        ("5512345678", "USD"),  # blank currency: the group's
        ("7001234", "JPY"),
    ]
    first = statements[0]
    assert first.statement_id == "FILE0131:20240130:4417164300"
    assert first.opening_balance == Decimal("25000.00")  # type 010
    assert first.closing_balance == Decimal("27254.50")  # type 015
    assert first.opening_date == first.closing_date == date(2024, 1, 30)
    for statement in statements:
        statement.check_balance()


def test_detail_records(statements):
    ach, wire, check, utility, fee = statements[0].lines
    assert ach.amount == Decimal("2500.00")  # 165: credit
    assert ach.booking_date == date(2024, 1, 30)  # group as-of date
    assert ach.bank_reference == "BR2401300001"
    assert ach.customer_reference == "INV-88123"
    assert ach.transaction_code == "165"
    # 88 continuation of a 16 continues its text
    assert ach.remittance == "ACH CREDIT ACME CORP REMITTANCE INV-88123 PO 4471"
    assert "88,REMITTANCE" in ach.raw
    # funds type V: value date and time fields
    assert wire.value_date == date(2024, 1, 31)
    assert wire.remittance == "INCOMING WIRE FROM GLOBEX, REF 99"  # comma kept
    assert wire.customer_reference is None  # blank field
    assert check.amount == Decimal("-450.00")  # 475: debit
    # funds type S: three availability amounts skipped
    assert utility.amount == Decimal("-290.00")
    assert utility.bank_reference == "BR2401300004"
    assert utility.remittance == "ACH DEBIT UTILITY CO"
    assert fee.remittance is None


def test_jpy_has_no_implied_decimals_and_distribution_funds(statements):
    jpy = statements[2]
    assert jpy.opening_balance == Decimal("1500000")
    (line,) = jpy.lines
    assert line.amount == Decimal("-120000")
    assert line.extra["funds_type"] == "D"
    assert line.bank_reference == "BR2401300010"


def test_packed_records_wrapped_text_and_missing_slashes():
    lines = [
        "01,SENDER,RECEIVER,240131,0600,F1,,,2/",
        "02,RECEIVER,SENDER,1,240130,2400,USD,2/",
        "03,123456,,010,10000,,,015,12750,,/  16,175,2500,,BR1,,DEPOSIT AT/",
        "16,165,250,,BR2,,ACH 1/2 PAYMENT",
        "   FROM ACME",
        "49,25500,4",
        "98,25500,1,6",
        "99,25500,1,8",
    ]
    (statement,) = parse_bai2(_small(lines))
    first, second = statement.lines
    assert first.remittance == "DEPOSIT AT"
    assert second.remittance == "ACH 1/2 PAYMENT FROM ACME"
    statement.check_balance()


def test_continued_account_summary():
    lines = list(SMALL)
    lines[2] = "03,123456,,010,10000,,/"
    lines.insert(3, "88,015,12500,,/")
    lines[5:] = ["49,25000,4/", "98,25000,1,6/", "99,25000,1,8/"]
    (statement,) = parse_bai2(_small(lines))
    assert statement.closing_balance == Decimal("125.00")


def test_blank_control_total_is_not_checked():
    lines = list(SMALL)
    lines[4] = "49,,3/"
    assert parse_bai2(_small(lines))[0].lines[0].amount == Decimal("25.00")


def test_sign_table_and_overrides():
    assert detail_sign("165") == 1
    assert detail_sign("475") == -1
    assert detail_sign("720") == 1 and detail_sign("760") == -1
    assert detail_sign("930") == 1 and detail_sign("970") == -1
    assert detail_sign("010") is None and detail_sign("905") is None
    assert detail_sign("930", {"930": -1}) == -1
    lines = list(SMALL)
    lines[3] = "16,975,2500,,BR1,CR1,CUSTOM/"
    (statement,) = parse_bai2(_small(lines))
    assert statement.lines[0].amount == Decimal("-25.00")  # custom debit range
    # control totals are unsigned, so only the balance check sees the sign
    with pytest.raises(BalanceMismatch):
        statement.check_balance()
    (statement,) = parse_bai2(_small(lines), sign_overrides={"975": 1})
    assert statement.lines[0].amount == Decimal("25.00")
    statement.check_balance()


# -- trailers and malformed input ------------------------------------------------------


def test_account_trailer_total_mismatch():
    lines = list(SMALL)
    lines[4] = "49,25001,3/"
    error = _error(_small(lines))
    assert str(error) == (
        "BAI2 record 5 (line 5): account trailer 49 control total 250.01 "
        "but the records add up to 250.00"
    )


@pytest.mark.parametrize(
    "index,record,message",
    [
        (4, "49,25000,4/", "announces 4 records/items but there are 3"),
        (5, "98,25000,2,5/", "announces 2 records/items but there are 1"),
        (6, "99,25000,1,9/", "announces 9 records/items but there are 7"),
        (6, "99,25001,1,7/", "file trailer 99 control total 25001"),
        (3, "16,175,25x0,,BR1,CR1,DEPOSIT/", "amount '25x0' is not a number"),
        (3, "16,175,-2500,,BR1,CR1,DEPOSIT/", "must be an unsigned number"),
        (3, "16,015,2500,,BR1,CR1,DEPOSIT/", "status/summary code"),
        (3, "16,17,2500,,BR1,CR1,DEPOSIT/", "detail type code '17'"),
        (3, "16,175,2500,X,BR1,CR1,DEPOSIT/", "unknown funds type 'X'"),
        (3, "16,175,2500,V,241301,,BR1,CR1,X/", "value date '241301'"),
        (1, "02,RECEIVER,SENDER,1,240230,2400,,2/", "as-of date '240230'"),
        (1, "02,RECEIVER,SENDER,1,240130,2400,US,2/", "currency 'US'"),
        (3, "17,175,2500,,BR1,CR1,DEPOSIT/", "unknown record code '17'"),
        (2, "16,175,2500,,BR1,CR1,DEPOSIT/", "record 16 is out of place"),
    ],
)
def test_malformed(index, record, message):
    lines = list(SMALL)
    lines[index] = record
    error = _error(_small(lines))
    assert message in str(error)
    assert error.location.startswith("record ")


def test_truncated_file():
    data = (FIXTURES / "bai2_two_groups.bai2").read_bytes()
    error = _error(data[: data.index(b"98,3120000")])
    assert "without its trailer" in str(error)
    assert "no file" not in str(error)


def test_data_after_trailer_and_orphan_continuation():
    assert "after the file trailer" in str(
        _error(_small([*SMALL, "01,X,Y,240101,0000,F,,,2/"]))
    )
    assert "nothing to continue" in str(_error(b"88,ORPHAN\n"))
    assert "empty file" in str(_error(b"\n\n"))
