# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Fuzzing every entry point: a result or a ParseError, never anything else.

Each entry point (format detection, ``parse`` with detection, and each
parser called directly) gets :data:`INPUTS_PER_ENTRY_POINT` inputs: random
bytes, and the repository's own fixtures mutated (bytes flipped, cut,
duplicated, and spliced with tokens that steer the parsers into their rare
branches: declared encodings expat refuses, deep nesting, huge numbers...).
The run is derandomized, so a failure is reproducible and CI is stable.

:class:`ParserDefect` is a ``ParseError`` too, but it is what the ``guarded``
safety net makes of an exception a parser did not foresee: it fails here.
"""

import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from ..lib.bai2 import parse_bai2
from ..lib.camt import parse_camt
from ..lib.detect import detect_format
from ..lib.mt940 import parse_mt940
from ..lib.ofx import parse_ofx
from ..lib.statement import ParseError, ParserDefect, Statement, parse
from ..lib.tabular import TabularMapping, parse_tabular

FIXTURES = Path(__file__).parent / "fixtures"
INPUTS_PER_ENTRY_POINT = 2000

CSV_MAPPING = TabularMapping(
    date_column="Date",
    amount_column="Amount",
    sign_column="CR/DR",
    currency_column="Currency",
    reference_column="Reference",
    bank_reference_column="Bank Ref",
    remittance_column="Description",
    dayfirst=False,
    thousands_separator=",",
)
XLSX_MAPPING = TabularMapping(
    date_column=0, amount_column=1, remittance_column=2, currency="EUR"
)


def _xlsx_fixture() -> bytes:
    """A small workbook: the repository has no XLSX fixture file."""
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Date", "Amount", "Text"])
    sheet.append(["2024-01-02", 12.5, "INV/2024/0001"])
    sheet.append(["2024-01-03", -3, "Fee"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


CORPUS = [p.read_bytes() for p in sorted(FIXTURES.iterdir()) if p.is_file()]
CORPUS.append(_xlsx_fixture())

ENTRY_POINTS = {
    "detect_format": lambda data: detect_format(data, "statement.dat"),
    "parse": parse,
    "camt": parse_camt,
    "mt940": parse_mt940,
    "bai2": parse_bai2,
    "ofx": parse_ofx,
    "csv": lambda data: parse_tabular(data, CSV_MAPPING, fmt="csv"),
    "xlsx": lambda data: parse_tabular(data, XLSX_MAPPING, fmt="xlsx"),
}

#: Spliced into fixtures: each reaches a branch random bytes hardly ever do.
TOKENS = [
    b'<?xml version="1.0" encoding="UTF-7"?>',
    b"<?xml version='1.0' encoding='UTF-32'?>",
    b'<?xml version="1.0" encoding="Shift_JIS"?>',
    b'<?xml version="1.0" encoding="EUC-JP"?>',
    b'<?xml version="1.0" encoding="GB2312"?>',
    b'<?xml version="1.0" encoding="Big5"?>',
    b'<?xml version="1.0" encoding="x-unknown"?>',
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\x00",
    b"<!DOCTYPE x>",
    b"<![CDATA[",
    b"&#0;",
    b"&amp;",
    b"<Ntry>",
    b"</Ntry>",
    b"<TxDtls>",
    b"</TxDtls>",
    b"<Stmt>",
    b"</Stmt>",
    b'<Amt Ccy="EUR">',
    b"<A>" * 50,
    b"</A>" * 50,
    b"OFXHEADER:100\n",
    b"CHARSET:UTF-32\n",
    b"<OFX>",
    b"<STMTTRN>",
    b"</STMTTRN>",
    b"<TRNAMT>",
    b"<BALAMT>",
    b"<CURRATE>1e999",
    b"\n:61:",
    b"\n:86:",
    b"\n:60F:C",
    b"\n-}",
    b"{4:",
    b"\n16,",
    b"\n88,",
    b"\n49,",
    b"\n99,",
    b"9" * 40,
    b"-",
    b",",
    b";",
    b'"',
    b"\r",
    b"PK\x03\x04",
    "é".encode("cp1252"),
    "€".encode(),
]


@st.composite
def mutated(draw):
    """A fixture with 1 to 6 edits (replace, insert, delete, duplicate, cut)."""
    data = bytearray(draw(st.sampled_from(CORPUS)))
    for _ in range(draw(st.integers(1, 6))):
        size = len(data)
        at = draw(st.integers(0, size))
        op = draw(st.sampled_from(("byte", "token", "delete", "copy", "cut")))
        if op == "byte" and size:
            data[min(at, size - 1)] = draw(st.integers(0, 255))
        elif op == "token":
            data[at:at] = draw(st.sampled_from(TOKENS))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        elif op == "copy":
            start = draw(st.integers(0, size))
            data[at:at] = data[start : start + draw(st.integers(1, 256))]
        elif op == "cut":
            del data[at:]
    return bytes(data)


INPUTS = st.one_of(st.binary(max_size=600), mutated(), mutated(), mutated())


def _check(entry_point, data):
    try:
        result = entry_point(data)
    except ParserDefect:
        raise
    except ParseError as error:
        assert str(error)
        return
    if isinstance(result, str):  # detect_format
        assert result
    else:
        assert isinstance(result, list)
        assert all(isinstance(s, Statement) for s in result)


@pytest.mark.parametrize("name", sorted(ENTRY_POINTS))
def test_any_input_gives_a_result_or_a_parse_error(name):
    entry_point = ENTRY_POINTS[name]
    seen = []

    @settings(
        max_examples=INPUTS_PER_ENTRY_POINT,
        derandomize=True,
        database=None,
        deadline=None,
        phases=(Phase.explicit, Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
    )
    @given(data=INPUTS)
    def run(data):
        seen.append(len(data))
        _check(entry_point, data)

    run()
    # hypothesis may stop early when it believes the space is exhausted:
    # the promised number of inputs must really have been tried.
    assert len(seen) >= INPUTS_PER_ENTRY_POINT, len(seen)
