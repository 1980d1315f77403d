# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""OFX / QFX parser (SGML 1.x and XML 2.x)."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from ..lib.ofx import parse_ofx
from ..lib.statement import ParseError

FIXTURES = Path(__file__).parent / "fixtures"

HEADER = (
    "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:{enc}\n"
    "CHARSET:{charset}\nCOMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n"
)
BODY = (
    "<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS>"
    "<LANGUAGE>ENG</SONRS></SIGNONMSGSRSV1><BANKMSGSRSV1><STMTTRNRS><TRNUID>1"
    "<STATUS><CODE>0<SEVERITY>INFO</STATUS><STMTRS><CURDEF>USD<BANKACCTFROM>"
    "<BANKID>121000248<ACCTID>99887766<ACCTTYPE>CHECKING</BANKACCTFROM>"
    "<BANKTRANLIST><DTSTART>20240101<DTEND>20240131\n"
    "<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>{posted}<TRNAMT>{amount}<FITID>T1"
    "<NAME>{name}</STMTTRN>\n"
    "</BANKTRANLIST><LEDGERBAL><BALAMT>10.00<DTASOF>20240131</LEDGERBAL>"
    "</STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\n"
)


def _sgml(enc="USASCII", charset="1252", posted="20240105", amount="-1.50", name="X"):
    return HEADER.format(enc=enc, charset=charset) + BODY.format(
        posted=posted, amount=amount, name=name
    )


def _error(data) -> ParseError:
    with pytest.raises(ParseError) as info:
        parse_ofx(data if isinstance(data, bytes) else data.encode("latin-1"))
    return info.value


def test_sgml_windows_1252_with_accents():
    data = (FIXTURES / "ofx102_checking_cp1252.ofx").read_bytes()
    assert "Café".encode("cp1252") in data  # really cp1252 bytes
    (statement,) = parse_ofx(data)
    assert (statement.account, statement.currency) == ("4417164300", "USD")
    assert statement.statement_id == "4417164300:20240101-20240131"
    assert statement.opening_balance is None  # OFX has none
    assert statement.closing_balance == Decimal("5818.95")  # LEDGERBAL
    assert statement.closing_date == date(2024, 1, 31)
    credit, check, card, fee = statement.lines
    assert credit.counterparty_name == "Café Müller & Fils"
    assert credit.remittance == "Rückzahlung facture n° 42"
    assert credit.booking_date == date(2024, 1, 15)  # [-5:EST] bracket
    assert credit.value_date == date(2024, 1, 16)  # DTAVAIL
    assert credit.bank_reference == "202401150001"  # FITID
    assert credit.transaction_code == "CREDIT"
    assert check.check_number == "1045"
    assert check.customer_reference == "PAY-1045"  # REFNUM
    assert check.counterparty_name == "Globex Supplies"  # PAYEE/NAME
    assert check.amount == Decimal("-310.55")
    # ORIGCURRENCY: amount already in USD, original in EUR
    assert card.amount == Decimal("-108.50")
    assert (card.original_amount, card.original_currency) == (Decimal("-100.00"), "EUR")
    assert card.booking_date == date(2024, 1, 20)
    assert fee.amount == Decimal("-12.00")
    assert "<TRNTYPE>FEE" in fee.raw


def test_xml_bank_and_card_statements():
    (bank, card) = parse_ofx((FIXTURES / "ofx211_bank_and_card.qfx").read_bytes())
    assert bank.account == "FR1420041010050500013M02606"  # spaces removed
    assert bank.bank_bic == "BNPAFRPP"
    (transfer,) = bank.lines
    assert transfer.amount == Decimal("2400.00")  # decimal comma accepted
    assert transfer.counterparty_name == "SARL Dupont & Cie"
    assert transfer.counterparty_account == "FR7630002005500000157845Z02"
    assert transfer.remittance == "Facture <F-2024-011> réglée"  # CDATA
    assert card.account == "4970101234567890"
    assert card.closing_balance == Decimal("-305.40")
    books, amazon, payment = card.lines
    assert books.remittance is None  # empty MEMO
    # CURRENCY: TRNAMT is in USD, converted with CURRATE into EUR
    assert amazon.amount == Decimal("-110.40")
    assert (amazon.original_amount, amazon.original_currency) == (
        Decimal("-120.00"),
        "USD",
    )
    assert payment.amount == Decimal("150.00")


def test_encodings_follow_the_header():
    utf8 = _sgml(enc="UTF-8", charset="NONE", name="Zoë").encode("utf-8")
    assert parse_ofx(utf8)[0].lines[0].counterparty_name == "Zoë"
    latin = _sgml(charset="ISO-8859-1", name="Zoë").encode("latin-1")
    assert parse_ofx(latin)[0].lines[0].counterparty_name == "Zoë"
    bad_utf8 = _sgml(enc="UTF-8", name="Zoë").encode("latin-1")
    assert "not valid utf-8" in str(_error(bad_utf8))
    assert "unknown character set" in str(_error(_sgml(charset="KLINGON")))


def test_headerless_and_blank_lines_and_crlf():
    text = BODY.format(posted="20240105120000", amount="+3", name="A").replace(
        "\n", "\r\n\r\n"
    )
    (statement,) = parse_ofx(text.encode())
    assert statement.lines[0].amount == Decimal("3")


def test_empty_leaf_elements_are_not_aggregates():
    text = _sgml().replace("<ACCTTYPE>CHECKING", "<BRANCHID><ACCTTYPE>")
    assert parse_ofx(text.encode())[0].account == "99887766"


def test_comments_and_doctype_are_ignored():
    text = _sgml().replace("<FITID>T1", "<!-- <FITID>OLD --><FITID>T1")
    assert parse_ofx(text.encode())[0].lines[0].bank_reference == "T1"
    xxe = '<?xml version="1.0"?><!DOCTYPE ofx [<!ENTITY x "boom">]>' + BODY.format(
        posted="20240105", amount="1", name="&x;"
    )
    # entities are never expanded: the text stays literal
    assert parse_ofx(xxe.encode())[0].lines[0].counterparty_name == "&x;"


# -- malformed input -------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"posted": "2024010"}, "DTPOSTED '2024010' is not a valid OFX date"),
        ({"posted": "20240230"}, "not a valid OFX date"),
        ({"posted": ""}, "DTPOSTED is missing"),
        ({"amount": "$20"}, "TRNAMT '$20' is not a number"),
        ({"amount": "1e5"}, "TRNAMT '1e5' is not a number"),
    ],
)
def test_bad_values_name_the_line(kwargs, message):
    error = _error(_sgml(**kwargs))
    assert message in str(error)
    assert error.location == "line 12"


def test_truncated_file():
    data = (FIXTURES / "ofx102_checking_cp1252.ofx").read_bytes()
    error = _error(data[: data.rindex(b"<STMTTRN>")])
    assert "never closed" in str(error)


def test_errors_reported_by_the_bank():
    signon = _sgml().replace("<CODE>0<SEVERITY>INFO", "<CODE>15500<SEVERITY>ERROR", 1)
    assert "sign-on reports error 15500" in str(_error(signon))
    statement = _sgml().replace(
        "<TRNUID>1<STATUS><CODE>0<SEVERITY>INFO",
        "<TRNUID>1<STATUS><CODE>2000<SEVERITY>ERROR<MESSAGE>Server down",
    )
    assert "error 2000 ERROR Server down" in str(_error(statement))


def test_structure_errors():
    assert "no <OFX> element" in str(_error("OFXHEADER:100\n\nnothing here"))
    assert "without opening tag" in str(
        _error(_sgml().replace("</BANKTRANLIST>", "</FOO>"))
    )
    no_statement = "<OFX><SIGNONMSGSRSV1></SIGNONMSGSRSV1></OFX>"
    assert "investment statements are not supported" in str(_error(no_statement))
    assert "CURDEF '' is not a currency" in str(
        _error(_sgml().replace("<CURDEF>USD", ""))
    )
    no_account = _sgml().replace("<ACCTID>99887766", "")
    assert "ACCTID" in str(_error(no_account))


@pytest.mark.parametrize(
    "ledger,message",
    [
        # the ofxparse "fail_nice/empty_balance.ofx" case: present, blank
        ("<LEDGERBAL><BALAMT> </BALAMT><DTASOF>20240131</LEDGERBAL>", "is empty"),
        ("<LEDGERBAL><BALAMT></BALAMT><DTASOF>20240131</LEDGERBAL>", "is empty"),
        ("<LEDGERBAL><BALAMT><DTASOF>20240131</LEDGERBAL>", "is empty"),
        ("<LEDGERBAL><DTASOF>20240131</LEDGERBAL>", "is missing"),
    ],
)
def test_closing_balance_tag_without_amount_is_refused(ledger, message):
    data = _sgml().replace(
        "<LEDGERBAL><BALAMT>10.00<DTASOF>20240131</LEDGERBAL>", ledger
    )
    assert ledger in data
    error = _error(data)
    assert f"LEDGERBAL/BALAMT (the closing balance) {message}" in str(error)
    assert error.location == "line 13"


def test_statement_without_ledger_balance_has_no_closing_balance():
    data = _sgml().replace("<LEDGERBAL><BALAMT>10.00<DTASOF>20240131</LEDGERBAL>", "")
    (statement,) = parse_ofx(data.encode())
    assert statement.closing_balance is None
