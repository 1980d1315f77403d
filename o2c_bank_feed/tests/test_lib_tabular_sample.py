# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import io

from ..lib.tabular_sample import guess_columns, guess_date_format, read_sample


def test_csv_sample_sniffs_the_delimiter_and_reads_the_header():
    data = b"Date;Amount;Text;Id;Payer\n2026-03-02;100,50;INV 1;T-1;ACME\n\n"
    sample = read_sample(data, "csv")
    assert sample.delimiter == ";"
    assert sample.header == ["Date", "Amount", "Text", "Id", "Payer"]
    assert sample.rows == [["2026-03-02", "100,50", "INV 1", "T-1", "ACME"]]
    assert sample.first_value(1) == "100,50"
    assert guess_columns(sample.column_names()) == {
        "date": 0,
        "amount": 1,
        "remittance": 2,
        "bank_reference": 3,
        "counterparty_name": 4,
    }


def test_sample_without_header_names_columns_by_position():
    sample = read_sample(b"02.03.2026\t-20\tfee\n", "csv", has_header=False)
    assert sample.delimiter == "\t"
    assert sample.header is None
    assert sample.column_names() == ["Column 1", "Column 2", "Column 3"]


def test_xlsx_sample():
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Buchungstag", "Soll", "Haben", "Verwendungszweck"])
    sheet.append(["02.03.2026", 10, None, "Miete"])
    out = io.BytesIO()
    book.save(out)
    sample = read_sample(out.getvalue(), "xlsx")
    assert sample.delimiter is None
    assert sample.header == ["Buchungstag", "Soll", "Haben", "Verwendungszweck"]
    assert guess_columns(sample.column_names()) == {
        "date": 0,
        "debit": 1,
        "credit": 2,
        "remittance": 3,
    }


def test_unambiguous_date_layouts_get_their_format():
    assert guess_date_format("2026-03-02") == "%Y-%m-%d"
    assert guess_date_format("02.03.2026") == "%d.%m.%Y"
    assert guess_date_format("20260302") == "%Y%m%d"
    assert guess_date_format("3/2/26") is False
