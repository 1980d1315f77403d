# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""CAMT.053 / 052 / 054 parser."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from ..lib.camt import parse_camt
from ..lib.statement import ParseError

FIXTURES = Path(__file__).parent / "fixtures"


def _read(name):
    return (FIXTURES / name).read_bytes()


@pytest.fixture(scope="module")
def v02():
    return parse_camt(_read("camt053_v02_two_statements.xml"))


def test_two_statements_in_one_file(v02):
    first, second = v02
    assert (first.account, first.currency, first.statement_id) == (
        "BE68539007547034",
        "EUR",
        "STMT-2024-0131-001",
    )
    assert first.bank_bic == "GKCCBEBB"
    assert first.opening_balance == Decimal("12500.00")
    assert first.opening_date == date(2024, 1, 30)
    assert first.closing_balance == Decimal("14785.12")
    assert first.closing_date == date(2024, 1, 31)
    first.check_balance()
    # second statement: non-IBAN account, PRCD opening, currency from balances
    assert (second.account, second.currency) == ("0012345678", "USD")
    assert second.opening_balance == Decimal("5000.00")
    second.check_balance()


def test_credit_with_structured_reference(v02):
    line = v02[0].lines[0]
    assert line.amount == Decimal("1210.00")
    assert line.booking_date == line.value_date == date(2024, 1, 31)
    assert line.counterparty_name == "Brasserie du Parc SPRL"  # the debtor
    assert line.counterparty_account == "BE71096123456769"  # spaces removed
    assert line.counterparty_bic == "GKCCBEBB"
    assert line.structured_reference == "RF18539007547034"
    assert line.end_to_end_id == "INV-2024-0042"
    assert line.bank_reference == "2024013100001"
    assert line.transaction_code == "PMNT/RCDT/ESCT"
    assert line.customer_reference == "PAYRUN-0131-7"
    assert line.raw.startswith("<Ntry>") and "1210.00" in line.raw


def test_debit_counterparty_is_the_creditor_and_ustrd_joined(v02):
    line = v02[0].lines[1]
    assert line.amount == Decimal("-350.75")
    assert line.booking_date == date(2024, 1, 31)  # from BookgDt/DtTm
    assert line.counterparty_name == "Office Supplies NV"
    assert line.counterparty_account == "NL91ABNA0417164300"
    assert line.remittance == "Invoice 2024-117 Customer 5521"
    assert line.end_to_end_id is None  # NOTPROVIDED


def test_reversal(v02):
    line = v02[0].lines[2]
    assert line.is_reversal is True
    assert line.amount == Decimal("-89.90")
    # reversal of a collected direct debit: counterparty is the original debtor
    assert line.counterparty_name == "Jan Peeters"
    assert line.extra["return_reason"] == "AM04"
    assert line.extra["mandate_id"] == "MNDT-0007"
    assert line.value_date == date(2024, 1, 29)


def test_foreign_currency_line(v02):
    line = v02[0].lines[3]
    assert line.amount == Decimal("918.27")
    assert line.currency == "EUR"
    assert line.original_amount == Decimal("1000.00")
    assert line.original_currency == "USD"
    assert line.counterparty_account == "123456789"  # Othr/Id
    assert line.counterparty_bic == "CHASUS33XXX"


def test_batch_entry_gives_one_line_per_transaction(v02):
    lines = v02[0].lines[4:7]
    assert [ln.amount for ln in lines] == [
        Decimal("100.00"),
        Decimal("200.00"),
        Decimal("300.00"),
    ]
    assert [ln.counterparty_name for ln in lines] == [
        "Alpha BVBA",
        "Beta NV",
        "Gamma SRL",
    ]
    assert [ln.bank_reference for ln in lines] == [
        "2024013100005/1",
        "2024013100005/2",
        "2024013100005/3",
    ]
    assert lines[1].raw.startswith("<TxDtls>") and "Beta NV" in lines[1].raw


def test_pending_entry_skipped_and_noted(v02):
    statement = v02[0]
    assert len(statement.lines) == 8
    assert all(ln.amount != Decimal("-50.00") for ln in statement.lines)
    assert statement.notes == ["1 pending/informational entries skipped"]


def test_entry_without_details_and_proprietary_code(v02):
    fee = v02[0].lines[7]
    assert fee.amount == Decimal("-2.50")
    assert fee.transaction_code == "FEE01"
    assert fee.remittance == "Account fee January"
    assert fee.counterparty_name is None
    bare = v02[1].lines[0]
    assert bare.amount == Decimal("-10.00")
    assert bare.bank_reference is None and bare.transaction_code is None
    assert bare.value_date is None


def test_version_08_structure():
    (statement,) = parse_camt(_read("camt053_v08_overdraft.xml"))
    assert statement.opening_balance == Decimal("-150.00")  # DBIT balance
    assert statement.closing_balance == Decimal("130.00")
    assert statement.bank_bic == "UBSWCHZH80A"  # BICFI
    statement.check_balance()
    credit, debit = statement.lines
    assert credit.counterparty_name == "Müller & Söhne AG"  # Dbtr/Pty/Nm
    assert credit.counterparty_bic == "CRESCHZZ80A"
    assert credit.remittance == "Rechnung 2024-0093 Projekt Zürich"
    assert credit.structured_reference == "210000000003139471430009017"
    assert credit.extra["uetr"] == "6f1c2d3e-4b5a-4c6d-8e7f-901234567890"
    assert debit.counterparty_account == "01-555-7"
    assert debit.remittance == "Mobile subscription February"  # AddtlTxInf


def test_camt052_report():
    (report,) = parse_camt(_read("camt052_v06_intraday.xml"))
    assert report.opening_balance is None and report.closing_balance is None
    assert [ln.amount for ln in report.lines] == [Decimal("75.00")]
    assert report.notes


def test_camt054_notification_batch_with_tx_amounts():
    (notification,) = parse_camt(_read("camt054_v04_batch.xml"))
    assert notification.currency == "CHF"  # from the entries
    one, two = notification.lines
    assert (one.amount, two.amount) == (Decimal("1000.00"), Decimal("30.00"))
    # no booking/value date: the notification creation date is used
    assert one.booking_date == date(2024, 2, 7)
    assert one.bank_reference == "ESR-0207-BATCH/1"
    assert two.bank_reference == "ESR-0207-2"
    assert one.end_to_end_id is None


def test_namespace_less_document_is_accepted():
    data = _read("camt053_v08_overdraft.xml").replace(
        b' xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"', b""
    )
    (statement,) = parse_camt(data)
    assert len(statement.lines) == 2


def test_utf16_document():
    text = _read("camt053_v08_overdraft.xml").decode("utf-8")
    data = text.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    (statement,) = parse_camt(data)
    assert statement.lines[0].counterparty_name == "Müller & Söhne AG"


# -- refused / malformed input --------------------------------------------------


def _error(data) -> ParseError:
    with pytest.raises(ParseError) as info:
        parse_camt(data)
    return info.value


def test_doctype_is_refused_before_parsing():
    xxe = (
        b'<?xml version="1.0"?>\n'
        b'<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">'
        b"&x;</Document>"
    )
    assert "XXE" in str(_error(xxe))
    laughs = b'<!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><Document/>'
    assert _error(laughs).location == "prolog"
    utf16 = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x><Document/>'
    assert "XXE" in str(_error(utf16.encode("utf-16")))


def test_truncated_file_names_line_and_column():
    data = _read("camt053_v02_two_statements.xml")
    error = _error(data[: len(data) // 2])
    assert error.fmt == "camt"
    assert error.location.startswith("line ")
    assert ", column " in error.location


def test_malformed_xml():
    error = _error(b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">'
                   b"<BkToCstmrStmt><Stmt></BkToCstmrStmt></Document>")  # fmt: skip
    assert "malformed XML" in str(error) and error.location == "line 1, column 88"


def test_bad_amount_names_the_element():
    data = _read("camt053_v02_two_statements.xml").replace(
        b'<Amt Ccy="EUR">350.75</Amt>', b'<Amt Ccy="EUR">350,7x</Amt>'
    )
    error = _error(data)
    assert error.location == "Stmt[1]/Ntry[2]/Amt"
    assert "'350,7x' is not a number" in str(error)


@pytest.mark.parametrize(
    "old,new,message",
    [
        (b"<Dt>2024-01-29</Dt>", b"<Dt>2024-02-30</Dt>", "Stmt[1]/Ntry[3]/ValDt"),
        (b"<CdtDbtInd>CRDT</CdtDbtInd>", b"<CdtDbtInd>CR</CdtDbtInd>", "CdtDbtInd"),
        (b'Ccy="USD">1000.00', b'Ccy="usd">1000.00', "currency 'usd'"),
        (b"<IBAN>BE68539007547034</IBAN>", b"", "account has no IBAN"),
        (b"<Id>STMT-2024-0131-001</Id>", b"", "statement has no Id"),
    ],
)
def test_bad_values(old, new, message):
    data = _read("camt053_v02_two_statements.xml").replace(old, new, 1)
    assert message in str(_error(data))


def test_batch_without_amounts_is_one_line_with_every_reference():
    # ISO 20022 makes TxDtls amounts optional: the entry cannot be itemised,
    # so it is one line for the entry amount, listing what each transaction
    # says (it used to refuse the whole file: "cannot itemise").
    data = _read("camt053_v02_two_statements.xml")
    for amount in (b"100.00", b"200.00", b"300.00"):
        data = data.replace(
            b'<TxAmt>\n                <Amt Ccy="EUR">'
            + amount
            + b"</Amt>\n              </TxAmt>",
            b"",
        )
    first, _second = parse_camt(data)
    first.check_balance()  # the entry amount is booked once, whole
    batch = first.lines[4]
    assert batch.amount == Decimal("600.00")
    assert batch.bank_reference == "2024013100005"
    assert batch.remittance == "INV-2024-0050; INV-2024-0051; INV-2024-0052"
    assert batch.end_to_end_id is None  # three different ones: in extra
    assert batch.extra["end_to_end_ids"] == (
        "INV-2024-0050, INV-2024-0051, INV-2024-0052"
    )
    assert batch.counterparty_name is None  # Alpha, Beta, Gamma
    assert batch.raw.startswith("<Ntry>") and "Gamma SRL" in batch.raw
    assert first.notes == [
        "1 pending/informational entries skipped",
        "1 batch entries imported as one line each: their transactions carry "
        "no amount of their own",
    ]


def test_camt054_batches_without_tx_amounts():
    (notification,) = parse_camt(_read("camt054_v08_batch_without_tx_amounts.xml"))
    assert (notification.account, notification.currency) == (
        "DE89370400440532013000",
        "EUR",
    )
    collective, references = notification.lines
    assert collective.amount == Decimal("1850.00")
    assert collective.remittance == (
        "SAMMELGUTSCHRIFT 3 POSTEN; Invoice INV/2026/00101; E2E-BDP-20260304-1; "
        "Invoice INV/2026/00102; E2E-BDP-20260304-2; "
        "Invoice INV/2026/00103; E2E-BDP-20260304-3"
    )
    # one payer for the three transactions: kept, as is their instruction id
    assert collective.counterparty_name == "Brasserie du Parc SPRL"
    assert collective.counterparty_account == "BE71096123456769"
    assert collective.counterparty_bic == "GKCCBEBB"
    assert collective.customer_reference == "BDP-PAYRUN-0304"
    assert collective.extra["batch_transactions"] == "3"
    assert collective.bank_reference == "NTF0305-BATCH-001"
    # structured references only: they are the remittance
    assert references.amount == Decimal("420.00")
    assert references.remittance == "RF211004711; RF911004712; ETA-7781"
    assert references.structured_reference is None
    assert references.extra["structured_references"] == "RF211004711, RF911004712"
    assert references.counterparty_name is None  # Zeta AG and Eta GmbH


def test_batch_with_some_amounts_missing_is_one_line():
    data = _read("camt054_v04_batch.xml").replace(b'<Amt Ccy="CHF">30.00</Amt>', b"")
    (notification,) = parse_camt(data)
    (line,) = notification.lines
    assert line.amount == Decimal("1030.00")
    assert line.remittance == (
        "210000000003139471430009017; 000000000000000000000012347"
    )
    assert line.bank_reference == "ESR-0207-BATCH"


def test_batch_amounts_must_add_up():
    data = _read("camt053_v02_two_statements.xml").replace(
        b'<Amt Ccy="EUR">300.00</Amt>', b'<Amt Ccy="EUR">299.00</Amt>'
    )
    assert "add up to 599.00" in str(_error(data))


def test_not_a_statement():
    pain = (
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09">'
        b"<CstmrCdtTrfInitn/></Document>"
    )
    assert "not a camt" in str(_error(pain))
    assert "not <Document>" in str(_error(b"<Foo/>"))
    no_stmt = (
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">'
        b"<BkToCstmrStmt><GrpHdr><MsgId>1</MsgId></GrpHdr></BkToCstmrStmt></Document>"
    )
    assert "no Stmt" in str(_error(no_stmt))
    assert _error(b"").location.startswith("line 1")


@pytest.mark.parametrize(
    "encoding", ["UTF-7", "UTF-32", "Shift_JIS", "EUC-JP", "GB2312", "Big5"]
)
def test_declared_multibyte_encoding_is_a_parse_error(encoding):
    # expat refuses these with a bare ValueError ("multi-byte encodings are
    # not supported"), which used to reach the import wizard as a server error
    text = _read("camt053_v08_overdraft.xml").decode("utf-8")
    data = text.replace('encoding="UTF-8"', f'encoding="{encoding}"').encode()
    error = _error(data)
    assert "unsupported character encoding" in str(error)
    assert error.location == "line 1"


def test_unknown_encoding_is_a_parse_error():
    data = b'<?xml version="1.0" encoding="x-no-such"?><Document/>'
    assert "unsupported character encoding" in str(_error(data))


@pytest.mark.parametrize(
    "old,new,message",
    [
        # an entry inside a transaction is not an entry of the statement
        (b"<RmtInf>", b"<Ntry/><RmtInf>", "Ntry outside of a Stmt"),
        # an entry after its statement closed
        (b"</Stmt>", b"</Stmt><Ntry/>", "Ntry outside of a Stmt"),
        # a statement inside a statement
        (b"</Acct>", b"</Acct><Stmt/>", "<Stmt> is not directly under"),
    ],
)
def test_entries_and_statements_must_be_where_camt_puts_them(old, new, message):
    data = _read("camt053_v08_overdraft.xml").replace(old, new, 1)
    assert message in str(_error(data))
