# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Property tests: whatever the bytes, a parser returns statements or raises
ParseError, and a truncated file never yields a silently shorter statement."""

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ..lib.detect import detect_format
from ..lib.statement import ParseError, Statement, parse
from ..lib.tabular import TabularMapping

FIXTURES = Path(__file__).parent / "fixtures"

# Formats with an end marker or trailer: truncation must be detected.
STRICT = {
    "camt": ["camt053_v02_two_statements.xml", "camt054_v04_batch.xml"],
    "mt940": ["mt940_ing_two_messages.sta", "mt940_sparkasse_sepa.sta"],
    "bai2": ["bai2_two_groups.bai2"],
    "ofx": ["ofx102_checking_cp1252.ofx", "ofx211_bank_and_card.qfx"],
}
CSV_MAPPING = TabularMapping(
    date_column="Buchungstag",
    date_format="%d.%m.%Y",
    debit_column="Soll",
    credit_column="Haben",
    decimal_separator=",",
    thousands_separator=".",
    currency_column="Währung",
    remittance_column="Verwendungszweck",
    skip_rows=2,
    skip_footer=1,
)
CASES = [(fmt, name) for fmt, names in STRICT.items() for name in names]
CASES.append(("csv", "csv_sparkasse_debit_credit.csv"))
DATA = {name: (FIXTURES / name).read_bytes() for _, name in CASES}
FULL = {
    name: parse(DATA[name], fmt, mapping=CSV_MAPPING if fmt == "csv" else None)
    for fmt, name in CASES
}

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _parse_or_error(data, fmt):
    """The contract: a list of Statement, or ParseError; nothing else."""
    mapping = CSV_MAPPING if fmt == "csv" else None
    try:
        result = parse(data, fmt, mapping=mapping)
    except ParseError as error:
        assert error.fmt in (fmt, "") and str(error)
        return None
    assert isinstance(result, list)
    assert all(isinstance(s, Statement) for s in result)
    return result


def _signature(statements):
    return [
        [(ln.booking_date, ln.amount, ln.bank_reference) for ln in s.lines]
        for s in statements
    ]


@SETTINGS
@given(
    fmt=st.sampled_from(["camt", "mt940", "bai2", "ofx", "csv", "xlsx"]),
    data=st.binary(max_size=3000),
)
def test_random_bytes(fmt, data):
    _parse_or_error(data, fmt)


@SETTINGS
@given(data=st.binary(max_size=2000))
def test_random_bytes_autodetected(data):
    try:
        fmt = detect_format(data)
    except ParseError:
        return
    if fmt not in ("csv", "xlsx"):
        _parse_or_error(data, fmt)


@settings(SETTINGS, max_examples=150)
@given(case=st.sampled_from(CASES), cut=st.floats(0, 1))
def test_truncation_is_never_a_silent_partial_result(case, cut):
    fmt, name = case
    data = DATA[name]
    result = _parse_or_error(data[: int(len(data) * cut)], fmt)
    if result is None or fmt == "csv":  # a CSV has no end marker to check
        return
    full = _signature(FULL[name])
    if fmt == "mt940":
        # No file trailer in MT940: a cut exactly between two messages loses
        # whole statements, but every statement returned must be complete.
        assert result and _signature(result) == full[: len(result)]
    else:
        # accepted only when nothing that matters was cut (a final newline)
        assert _signature(result) == full


@settings(SETTINGS, max_examples=150)
@given(
    case=st.sampled_from(CASES),
    edits=st.lists(
        st.tuples(st.floats(0, 1), st.binary(min_size=1, max_size=3)), max_size=4
    ),
)
def test_mutated_fixtures(case, edits):
    fmt, name = case
    data = bytearray(DATA[name])
    for where, replacement in edits:
        index = int((len(data) - 1) * where)
        data[index : index + len(replacement)] = replacement
    _parse_or_error(bytes(data), fmt)


MT940_ALPHABET = ":0123456789CDRNTF,/?+- \nEURSWZ{}"


@SETTINGS
@given(text=st.text(alphabet=MT940_ALPHABET, max_size=400))
def test_mt940_token_soup(text):
    head = ":20:X\n:25:NL20INGB0001234567\n:60F:C240101EUR1,00\n"
    _parse_or_error((head + text).encode("ascii"), "mt940")


@SETTINGS
@given(
    records=st.lists(
        st.tuples(
            st.sampled_from(["01", "02", "03", "16", "88", "49", "98", "99"]),
            st.text(alphabet="0123456789,/ SVDZ", max_size=40),
        ),
        max_size=12,
    )
)
def test_bai2_record_soup(records):
    data = "\n".join(f"{code},{body}" for code, body in records).encode("ascii")
    _parse_or_error(data, "bai2")


@SETTINGS
@given(
    tags=st.lists(
        st.tuples(
            st.sampled_from(["OFX", "STMTRS", "STMTTRN", "TRNAMT", "DTPOSTED", "CURDEF",
                             "BANKACCTFROM", "ACCTID", "BANKTRANLIST", "FITID"]),
            st.booleans(),
            st.text(alphabet="0123456789.-ABC[]:", max_size=12),
        ),
        max_size=25,
    )
)  # fmt: skip
def test_ofx_tag_soup(tags):
    body = "".join(
        f"<{'/' if close else ''}{name}>{value}" for name, close, value in tags
    )
    _parse_or_error(("OFXHEADER:100\n\n<OFX>" + body).encode("ascii"), "ofx")
