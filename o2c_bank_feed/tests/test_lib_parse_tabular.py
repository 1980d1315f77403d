# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""CSV / XLSX exports through a TabularMapping."""

import io
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from ..lib.statement import ParseError, parse
from ..lib.tabular import MappingError, TabularMapping, parse_tabular

FIXTURES = Path(__file__).parent / "fixtures"


def _sparkasse(**changes):
    values = {
        "date_column": "Buchungstag",
        "value_date_column": "Valuta",
        "date_format": "%d.%m.%Y",
        "debit_column": "Soll",
        "credit_column": "Haben",
        "decimal_separator": ",",
        "thousands_separator": ".",
        "currency_column": "Währung",
        "counterparty_name_column": "Auftraggeber/Empfänger",
        "counterparty_account_column": "IBAN",
        "remittance_column": "Verwendungszweck",
        "skip_rows": 2,
        "skip_footer": 1,
        "account": "DE89 3704 0044 0532 0130 00",
    }
    values.update(changes)
    return TabularMapping(**values)


def _signed(**changes):
    values = {
        "date_column": 0,
        "dayfirst": False,
        "amount_column": "Amount",
        "sign_column": "CR/DR",
        "currency_column": "Currency",
        "remittance_column": ["Description"],
        "reference_column": "Reference",
        "bank_reference_column": "Bank Ref",
        "thousands_separator": ",",
        "account": "4417164300",
    }
    values.update(changes)
    return TabularMapping(**values)


def _error(data, mapping, fmt="csv") -> ParseError:
    with pytest.raises(ParseError) as info:
        parse_tabular(data, mapping, fmt=fmt)
    return info.value


def test_csv_debit_credit_columns_with_decimal_comma():
    data = (FIXTURES / "csv_sparkasse_debit_credit.csv").read_bytes()
    (statement,) = parse(data, "csv", mapping=_sparkasse())
    assert statement.account == "DE89370400440532013000"
    assert statement.currency == "EUR"
    assert (
        statement.statement_id.startswith("csv-") and len(statement.statement_id) == 20
    )
    credit, debit, twin, fee = statement.lines
    assert credit.amount == Decimal("1234.56")
    assert credit.booking_date == date(2024, 1, 2)
    assert credit.counterparty_name == "Müller GmbH"  # BOM + UTF-8 header
    assert debit.amount == Decimal("-89.90")
    assert debit.remittance == "Abschlag Strom; Januar"  # quoted delimiter
    assert debit.counterparty_account == "DE44500105175407324931"
    assert fee.amount == Decimal("-4.50")  # after a blank line, footer dropped
    assert "line 4" in credit.raw
    # two identical payments on the same day: both kept, distinct ids
    assert (credit.occurrence, twin.occurrence) == (0, 1)
    ids = {
        ln.unique_import_id(statement.account, statement.statement_id)
        for ln in statement.lines
    }
    assert len(ids) == 4


def test_csv_sign_column_currency_column_and_dateutil():
    data = (FIXTURES / "csv_signed_two_currencies.csv").read_bytes()
    usd, eur = parse_tabular(data, _signed())
    assert (usd.currency, eur.currency) == ("USD", "EUR")
    assert usd.statement_id.endswith("-USD") and eur.statement_id.endswith("-EUR")
    acme, rent, fee = usd.lines
    assert acme.booking_date == date(2024, 1, 15)  # 01/15/2024, month first
    assert acme.amount == Decimal("1500.00")
    assert acme.remittance == "ACME, Inc. payment"
    assert acme.structured_reference == "INV-1001"
    assert acme.bank_reference == "TX0001"
    assert rent.amount == Decimal("-2300.00")  # thousands separator
    assert fee.currency == "USD"  # lower-case in the file
    assert eur.lines[0].structured_reference == "RF18539007547034"


@pytest.mark.parametrize(
    "text,expected",
    [
        ("1.234,56", "1234.56"),
        ("1 234,56", "1234.56"),
        ("12,00-", "-12.00"),
        ("(12,00)", "-12.00"),
        ("€ 5,10", "5.10"),
        ("-0,5", "-0.5"),
    ],
)
def test_amount_notations(text, expected):
    data = f"Datum;Betrag\n01.02.2024;{text}\n".encode()
    mapping = TabularMapping(
        date_column="Datum",
        amount_column="Betrag",
        decimal_separator=",",
        thousands_separator=".",
        currency="EUR",
        dayfirst=True,
    )
    (statement,) = parse_tabular(data, mapping)
    assert statement.lines[0].amount == Decimal(expected)
    assert statement.lines[0].booking_date == date(2024, 2, 1)  # dayfirst


def test_sniffed_delimiters_and_no_header():
    for delimiter in (";", ",", "\t", "|"):
        rows = [f"2024-01-0{i}{delimiter}{i}.50{delimiter}Row {i}" for i in range(1, 4)]
        data = "\n".join(rows).encode()
        mapping = TabularMapping(
            date_column=0, amount_column=1, remittance_column=2, has_header=False,
            currency="EUR",
        )  # fmt: skip
        (statement,) = parse_tabular(data, mapping)
        assert [ln.amount for ln in statement.lines] == [
            Decimal("1.50"),
            Decimal("2.50"),
            Decimal("3.50"),
        ]


def test_mapping_json_round_trip():
    mapping = _sparkasse(statement_id="JAN-2024")
    stored = json.dumps(mapping.to_dict())
    assert TabularMapping.from_dict(json.loads(stored)) == mapping
    assert json.loads(stored)["version"] == 1


@pytest.mark.parametrize(
    "values,message",
    [
        ({"date_column": "D", "currency": "EUR"}, "either amount_column"),
        (
            {
                "date_column": "D",
                "amount_column": "A",
                "debit_column": "X",
                "currency": "EUR",
            },
            "either amount_column",
        ),  # fmt: skip
        ({"date_column": "D", "debit_column": "X", "currency": "EUR"}, "go together"),
        ({"date_column": "D", "amount_column": "A"}, "currency or currency_column"),
        ({"date_column": "D", "amount_column": "A", "currency": "euro"}, "ISO 4217"),
        (
            {
                "date_column": "D",
                "amount_column": "A",
                "currency": "EUR",
                "decimal_separator": ";",
            },
            "decimal_separator",
        ),  # fmt: skip
        (
            {
                "date_column": "D",
                "amount_column": "A",
                "currency": "EUR",
                "encoding": "nope",
            },
            "unknown encoding",
        ),  # fmt: skip
        (
            {
                "date_column": "D",
                "amount_column": "A",
                "currency": "EUR",
                "has_header": False,
            },
            "no header",
        ),  # fmt: skip
        ({"date_column": -1, "amount_column": 1, "currency": "EUR"}, "negative"),
        (
            {
                "date_column": "D",
                "amount_column": "A",
                "currency": "EUR",
                "surprise": 1,
            },
            "unknown mapping keys: surprise",
        ),  # fmt: skip
        ({"amount_column": "A", "currency": "EUR"}, "date_column is required"),
        (
            {"date_column": "D", "amount_column": "A", "currency": "EUR", "version": 9},
            "unsupported mapping version",
        ),  # fmt: skip
    ],
)
def test_invalid_mappings(values, message):
    with pytest.raises(MappingError, match=message) as info:
        TabularMapping.from_dict(values)
    assert isinstance(info.value, ParseError)


def test_bad_rows_name_the_line():
    data = (FIXTURES / "csv_sparkasse_debit_credit.csv").read_bytes()
    broken = data.replace(b"89,90", b"89,9x")
    error = _error(broken, _sparkasse())
    assert str(error) == "CSV line 5: amount '89,9x' is not a number"
    bad_date = data.replace(b"05.01.2024;05.01.2024", b"35.01.2024;05.01.2024")
    error = _error(bad_date, _sparkasse())
    assert error.location == "line 8" and "format '%d.%m.%Y'" in str(error)
    wrong_column = _error(data, _sparkasse(remittance_column="Zweck"))
    assert isinstance(wrong_column, MappingError)
    assert "column 'Zweck' not in header" in str(wrong_column)


@pytest.mark.parametrize(
    "data,message",
    [
        (b"D;A\n01.01.2024;\n", "amount is empty"),
        (b"D;A\n;1\n", "date is empty"),
        (b"D;A\nsoon;1\n", "date 'soon' is not a valid date"),
        (b"D;A\n", "no transaction rows"),
        (b"", "no header row"),
        (b"D;A\n\xff\xfe;1\n", "not valid utf-8-sig"),
        (b"D;A\n01.01.2024;1\x00\n", "binary data"),
    ],
)
def test_bad_csv_content(data, message):
    mapping = TabularMapping(date_column="D", amount_column="A", currency="EUR")
    assert message in str(_error(data, mapping))


def test_debit_credit_both_empty():
    data = b"D;S;H\n01.01.2024;;\n"
    mapping = TabularMapping(
        date_column="D", debit_column="S", credit_column="H", currency="EUR"
    )
    assert "both debit and credit are empty" in str(_error(data, mapping))


def test_currency_column_with_bad_value():
    data = b"D;A;C\n01.01.2024;1;EURO\n"
    mapping = TabularMapping(date_column="D", amount_column="A", currency_column="C")
    assert "currency 'EURO'" in str(_error(data, mapping))


# -- XLSX ----------------------------------------------------------------------


def _xlsx(rows, title="Umsätze"):
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_typed_cells():
    data = _xlsx(
        [
            ["Export 2024-01", None, None, None],
            ["Date", "Amount", "Payer", "Account"],
            [datetime(2024, 1, 3), 1234.5, "Acme", 4417164300],
            [date(2024, 1, 4), -0.1 - 0.2, "Fee", None],
            ["05/01/2024", "12,50", "Text cell", "NL91 ABNA 0417 1643 00"],
        ]
    )
    mapping = TabularMapping(
        date_column="Date", amount_column="Amount", counterparty_name_column="Payer",
        counterparty_account_column="Account", skip_rows=1, currency="EUR",
        decimal_separator=",",
    )  # fmt: skip
    (statement,) = parse(data, "xlsx", mapping=mapping)
    acme, fee, text = statement.lines
    assert acme.amount == Decimal("1234.5") and acme.booking_date == date(2024, 1, 3)
    assert acme.counterparty_account == "4417164300"  # number cell, no ".0"
    assert fee.amount == Decimal("-0.3")  # binary float noise removed
    assert text.booking_date == date(2024, 1, 5) and text.amount == Decimal("12.50")
    assert text.counterparty_account == "NL91ABNA0417164300"
    assert "row 5" in text.raw


def test_xlsx_errors():
    mapping = TabularMapping(
        date_column=0, amount_column=1, has_header=False, currency="EUR"
    )
    bad = _xlsx([[date(2024, 1, 1), "abc"]])
    error = _error(bad, mapping, fmt="xlsx")
    assert error.location == "sheet 'Umsätze' row 1" and "'abc'" in str(error)
    assert "not a readable XLSX" in str(
        _error(b"PK\x03\x04garbage", mapping, fmt="xlsx")
    )
    missing = TabularMapping(
        date_column=0, amount_column=1, has_header=False, currency="EUR", sheet="Nope"
    )
    assert "sheet 'Nope' not found" in str(_error(bad, missing, fmt="xlsx"))
    boolean = _xlsx([[date(2024, 1, 1), True]])
    assert "is not a number" in str(_error(boolean, mapping, fmt="xlsx"))
