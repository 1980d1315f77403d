# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Format detection."""

import io
import zipfile
from pathlib import Path

import pytest

from ..lib.detect import detect_format
from ..lib.statement import ParseError

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize(
    "name,expected",
    [
        ("camt053_v02_two_statements.xml", "camt"),
        ("camt053_v08_overdraft.xml", "camt"),
        ("camt052_v06_intraday.xml", "camt"),
        ("camt054_v04_batch.xml", "camt"),
        ("mt940_ing_two_messages.sta", "mt940"),
        ("mt940_sparkasse_sepa.sta", "mt940"),
        ("mt942_intraday.sta", "mt940"),
        ("bai2_two_groups.bai2", "bai2"),
        ("ofx102_checking_cp1252.ofx", "ofx"),
        ("ofx211_bank_and_card.qfx", "ofx"),
        ("csv_sparkasse_debit_credit.csv", "csv"),
        ("csv_signed_two_currencies.csv", "csv"),
    ],
)
def test_fixtures_are_recognised_by_content(name, expected):
    data = (FIXTURES / name).read_bytes()
    assert detect_format(data) == expected
    assert detect_format(data, "renamed.txt") == expected


def test_utf16_camt():
    text = (FIXTURES / "camt053_v08_overdraft.xml").read_text(encoding="utf-8")
    assert detect_format(text.encode("utf-16")) == "camt"


def test_archives():
    import openpyxl

    buffer = io.BytesIO()
    openpyxl.Workbook().save(buffer)
    assert detect_format(buffer.getvalue()) == "xlsx"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.xml", b"<Document/>")
    assert detect_format(buffer.getvalue()) == "zip"


def test_file_name_breaks_ties_only():
    # an MT940 snippet without :20: is unrecognisable by content
    assert detect_format(b":61:240101C1,00NTRF\n", "export.sta") == "mt940"
    assert detect_format(b"01,XX\n", "bank.bai") == "bai2"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x00\x01\x02\x03binary",
        b"just one line of prose",
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
    ],
)
def test_unknown_content(data):
    with pytest.raises(ParseError, match="unknown format"):
        detect_format(data)


def test_xml_that_is_neither_camt_nor_ofx():
    with pytest.raises(ParseError, match="neither CAMT") as info:
        detect_format(b"<?xml version='1.0'?><invoice/>", "x.xml")
    assert info.value.location == "x.xml"
    assert detect_format(b"<?xml version='1.0'?><x/>", "x.qfx") == "ofx"
