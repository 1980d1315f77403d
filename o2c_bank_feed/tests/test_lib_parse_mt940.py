# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""MT940 / MT942 parser and the :86: layouts."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from ..lib.mt940 import parse_mt940
from ..lib.mt940_details import find_structured_reference, parse_details
from ..lib.statement import ParseError

FIXTURES = Path(__file__).parent / "fixtures"

MINIMAL = """:20:REF1
:25:NL20INGB0001234567
:28C:1/1
:60F:C240110EUR100,00
:61:2401100110C12,30NTRFNONREF//B1
:86:Payment one
:62F:C240110EUR112,30
-
"""


def _read(name):
    return (FIXTURES / name).read_bytes()


def _error(text) -> ParseError:
    data = text.encode("latin-1") if isinstance(text, str) else text
    with pytest.raises(ParseError) as info:
        parse_mt940(data)
    return info.value


@pytest.fixture(scope="module")
def ing():
    return parse_mt940(_read("mt940_ing_two_messages.sta"))


def test_two_messages_with_swift_envelopes_and_crlf(ing):
    first, second = ing
    assert first.account == "NL20INGB0001234567"  # currency suffix removed
    assert first.statement_id == "ING20231229/00252/1"
    assert first.opening_balance == Decimal("5000.00")
    assert first.closing_balance == Decimal("6124.70")
    assert first.closing_date == date(2023, 12, 29)
    assert second.opening_balance == first.closing_balance
    for statement in ing:
        statement.check_balance()
    assert [len(s.lines) for s in ing] == [3, 3]


def test_entry_date_rolls_over_the_year(ing):
    forward = ing[0].lines[0]  # value 2023-12-29, entry 0102
    assert forward.value_date == date(2023, 12, 29)
    assert forward.booking_date == date(2024, 1, 2)
    backward = ing[1].lines[0]  # value 2024-01-02, entry 1229
    assert backward.booking_date == date(2023, 12, 29)


def test_slash_layout_details(ing):
    line = ing[0].lines[0]
    assert line.amount == Decimal("1250.00")
    assert line.customer_reference == "INV-2023-991"
    assert line.bank_reference == "0312290001"
    assert line.end_to_end_id == "E2E-2023-991"
    # wrapped at 65 characters in the middle of a word
    assert line.counterparty_name == "Bakkerij de Vries BV"
    assert line.counterparty_account == "NL91ABNA0417164300"
    assert line.counterparty_bic == "ABNANL2A"
    assert line.remittance == "Factuur INV-2023-991 klant 4471"
    assert line.extra["supplementary_details"] == "/TRCD/00100/"
    assert line.raw.startswith(":61:2312290102C1250,00")
    assert ":86:/EREF/E2E-2023-991" in line.raw


def test_direct_debit_mandate_and_notprovided(ing):
    line = ing[0].lines[1]
    assert line.amount == Decimal("-45.30")
    assert line.customer_reference is None  # NONREF
    assert line.end_to_end_id is None
    assert line.extra["mandate_id"] == "MND-778"
    assert line.extra["creditor_id"] == "NL98ZZZ999999990000"
    assert line.counterparty_account == "NL44RABO0123456789"  # IBAN split over lines
    assert line.remittance == "Termijn december 2023"


def test_reversal_of_credit(ing):
    line = ing[0].lines[2]
    assert line.is_reversal is True
    assert line.amount == Decimal("-80.00")  # RC: a credit taken back
    assert line.extra["return_reason"] == "MS03"


def test_structured_remittance_free_text_and_supplementary(ing):
    strd, salary, cent = ing[1].lines
    assert strd.structured_reference == "1234567890123456"
    assert salary.remittance == "Salaris januari 2024 medewerker 0042"
    assert salary.extra["supplementary_details"] == "SALARIS JAN"
    # no :86: at all: the supplementary details are the only text
    assert cent.amount == Decimal("0.01")
    assert cent.remittance == "VERIFICATIE REKENING"


def test_german_question_mark_layout():
    (statement,) = parse_mt940(_read("mt940_sparkasse_sepa.sta"))
    statement.check_balance()
    debit, credit, returned, fee = statement.lines
    assert debit.amount == Decimal("-239.90")
    assert debit.extra["funds_code"] == "R"
    assert debit.extra["gvc"] == "105"
    assert debit.extra["posting_text"] == "SEPA-BASIS-LASTSCHRIFT"
    assert debit.end_to_end_id == "2024011600123"
    assert debit.extra["mandate_id"] == "M-0004711"
    assert debit.extra["creditor_id"] == "DE98ZZZ09999999999"
    # 27-character subfields are one text, glued without a space
    assert debit.remittance == "Stromabschlag Januar 2024 Vertragskonto 4711"
    assert debit.counterparty_name == "Stadtwerke Musterstadt GmbH"
    assert debit.counterparty_account == "DE02700100800030876808"
    assert debit.counterparty_bic == "BYLADEMMXXX"
    assert credit.structured_reference == "RF18539007547034"
    assert credit.remittance == "RF18539007547034 Rechnung 815"
    assert returned.is_reversal and returned.amount == Decimal("239.90")  # RD
    assert returned.extra["return_code"] == "AC04"
    # short subfields without SEPA keywords: joined with spaces
    assert fee.remittance == "Kontofuehrung Januar Kartengebuehr"
    assert statement.account == "10020030/1234567890"


def test_mt942_sums_are_checked():
    (statement,) = parse_mt940(_read("mt942_intraday.sta"))
    assert statement.opening_balance is None
    assert statement.currency == "EUR"  # from :34F:
    assert [ln.amount for ln in statement.lines] == [
        Decimal("450.00"),
        Decimal("-12.50"),
        Decimal("99.99"),
    ]
    assert statement.lines[0].counterparty_name == "Webshop Kunde A"
    text = _read("mt942_intraday.sta").decode("ascii").replace(":90C:2EUR", ":90C:3EUR")
    error = _error(text)
    assert ":90C: announces 3 entries" in str(error) and error.location == "line 14"


def test_blank_lines_and_missing_optional_fields():
    text = MINIMAL.replace(":86:Payment one\n", "\n:86:Payment one\n\n")
    (statement,) = parse_mt940(text.encode())
    line = statement.lines[0]
    assert line.remittance == "Payment one"
    assert line.customer_reference is None and line.end_to_end_id is None
    (again,) = parse_mt940(MINIMAL.replace(":28C:1/1\n", "").encode())
    assert again.statement_id == "REF1"


def test_value_date_30_february_is_clamped():
    text = MINIMAL.replace(":61:2401100110", ":61:2402300301")
    line = parse_mt940(text.encode())[0].lines[0]
    assert line.value_date == date(2024, 2, 29)
    assert line.booking_date == date(2024, 3, 1)
    assert line.extra["value_date_raw"] == "240230"


def test_statement_without_closing_but_terminated_is_noted():
    text = MINIMAL.replace(":62F:C240110EUR112,30\n", "")
    (statement,) = parse_mt940(text.encode())
    assert statement.closing_balance is None
    assert statement.notes == ["no closing balance (:62F:) in this statement"]


def test_dash_inside_wrapped_details_is_not_a_terminator():
    text = MINIMAL.replace(":86:Payment one\n", ":86:/EREF/AB\n-\nCD//REMI/USTD//x/\n")
    (statement,) = parse_mt940(text.encode())
    assert statement.lines[0].end_to_end_id == "AB-CD"


# -- malformed input ----------------------------------------------------------------


def test_bad_amount_names_the_line():
    error = _error(MINIMAL.replace("C12,30NTRF", "C12,3xNTRF"))
    assert str(error) == "MT940 line 5: tag :61: amount '12,3x' is not a number"


@pytest.mark.parametrize(
    "old,new,message",
    [
        (":61:240110", ":61:241310", "value date '241310' is not a valid date"),
        ("0110C12,30", "1332C12,30", "entry date '1332'"),
        (
            ":60F:C240110EUR100,00",
            ":60F:X240110EUR100,00",
            "balance 'X240110EUR100,00'",
        ),
        (":62F:C240110EUR112,30", ":62F:C240110EUR1.12", "amount '1.12'"),
        (":61:2401100110C12,30NTRF", ":61:garbage", "cannot read 'garbageNONREF"),
        (":25:NL20INGB0001234567\n", ":25:\n", "tag :25: has no account"),
        (":28C:1/1\n", ":28C:1/1\n:99X:what\n", "unknown tag :99X:"),
        (":20:REF1\n", ":25:NL20INGB0001234567\n:20:REF1\n", "outside a statement"),
        (":60F:C240110EUR100,00\n", "", "no opening balance"),
    ],
)
def test_malformed(old, new, message):
    assert message in str(_error(MINIMAL.replace(old, new)))


def test_truncated_statement_is_refused():
    data = _read("mt940_sparkasse_sepa.sta")
    error = _error(data[: data.index(b":62F:")])
    assert "no closing balance" in str(error)
    assert error.location == "line 1"  # the :20: of the cut statement


def test_truncated_swift_envelope_is_refused():
    data = _read("mt940_ing_two_messages.sta")
    error = _error(data[: data.index(b":62F:C240102")])
    assert "never closed by -}" in str(error) and error.location == "line 23"
    error = _error(data[: data.index(b"{2:", 100)])
    assert "never closed" in str(error) and error.location == "line 23"
    error = _error(data[: data.index(b"{2:", 100) - 5])
    assert "malformed SWIFT header" in str(error) and error.location == "line 23"


def test_not_mt940_at_all():
    assert "no statement found" in str(_error("hello\nworld\n"))
    assert "no statement found" in str(_error(b""))


# -- :86: helpers ----------------------------------------------------------------------


def test_details_free_text_and_ogm():
    details = parse_details(["Betaling factuur", "+++090/9337/55493+++"])
    assert details.remittance == "Betaling factuur +++090/9337/55493+++"
    assert details.structured_reference == "090933755493"
    assert find_structured_reference("+++090/9337/55494+++") is None  # bad check
    assert find_structured_reference("ref RF18539007547035") is None
    assert find_structured_reference(None) is None


def test_details_zka_with_other_separator():
    details = parse_details(["000>100987654321", ">20HUUR>21KANTOOR FEB>310390123456"])
    assert details.extra["gvc"] == "000"
    assert details.remittance == "HUUR KANTOOR FEB"
    assert details.counterparty_account == "0390123456"
