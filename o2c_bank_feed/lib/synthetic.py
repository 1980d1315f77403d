# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Deterministic synthetic bank files, for benchmarks and load tests.

The files are balanced (opening + lines = closing, BAI2 trailers right), so
parsing them exercises the full path including the checks. Nothing random:
the same arguments always give the same bytes.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

__all__ = ["bai2", "camt053", "csv_export", "mt940", "ofx"]

_IBAN = "NL91ABNA0417164300"
_COUNTERPARTY_IBAN = "DE89370400440532013000"


def _amounts(n_lines: int) -> list[Decimal]:
    """Signed amounts, about one debit in three."""
    amounts = []
    for i in range(n_lines):
        cents = (i * 7919 + 1234) % 250000 + 1
        sign = -1 if i % 3 == 2 else 1
        amounts.append(sign * Decimal(cents).scaleb(-2))
    return amounts


def _day(i: int) -> date:
    return date(2024, 1, 1) + timedelta(days=i // 500)


def camt053(n_lines: int, *, version: str = "08", details: bool = True) -> bytes:
    """A camt.053 with one statement of ``n_lines`` single-transaction entries.

    ``details=False`` leaves out the transaction details (parties, remittance),
    giving a lighter document with the same number of entries.
    """
    amounts = _amounts(n_lines)
    opening = Decimal("1000.00")
    closing = opening + sum(amounts, Decimal(0))
    ns = f"urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}"

    def bal(code: str, value: Decimal, when: date) -> str:
        ind = "CRDT" if value >= 0 else "DBIT"
        return (
            f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
            f'<Amt Ccy="EUR">{abs(value):.2f}</Amt><CdtDbtInd>{ind}</CdtDbtInd>'
            f"<Dt><Dt>{when.isoformat()}</Dt></Dt></Bal>\n"
        )

    parts = [
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="{ns}">\n'
        "<BkToCstmrStmt><GrpHdr><MsgId>SYNTH-1</MsgId>"
        "<CreDtTm>2024-01-31T18:00:00</CreDtTm></GrpHdr>\n<Stmt><Id>SYNTH-STMT-1</Id>"
        f"<Acct><Id><IBAN>{_IBAN}</IBAN></Id><Ccy>EUR</Ccy></Acct>\n",
        bal("OPBD", opening, _day(0)),
        bal("CLBD", closing, _day(n_lines)),
    ]
    for i, amount in enumerate(amounts):
        credit = amount >= 0
        ind = "CRDT" if credit else "DBIT"
        party = "Dbtr" if credit else "Cdtr"
        when = _day(i).isoformat()
        head = (
            f'<Ntry><Amt Ccy="EUR">{abs(amount):.2f}</Amt><CdtDbtInd>{ind}</CdtDbtInd>'
            f"<Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>{when}</Dt></BookgDt>"
            f"<ValDt><Dt>{when}</Dt></ValDt><AcctSvcrRef>SYN{i:08d}</AcctSvcrRef>"
        )
        if not details:
            parts.append(head + "</Ntry>\n")
            continue
        parts.append(
            head + "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd>"
            "<SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd><NtryDtls><TxDtls>"
            f"<Refs><EndToEndId>E2E-{i:08d}</EndToEndId></Refs>"
            f"<RltdPties><{party}><Pty><Nm>Customer {i % 977}</Nm></Pty></{party}>"
            f"<{party}Acct><Id><IBAN>{_COUNTERPARTY_IBAN}</IBAN></Id></{party}Acct>"
            "</RltdPties><RmtInf>"
            f"<Ustrd>Invoice INV/2024/{i:05d}</Ustrd></RmtInf></TxDtls></NtryDtls>"
            "</Ntry>\n"
        )
    parts.append("</Stmt></BkToCstmrStmt></Document>\n")
    return "".join(parts).encode("utf-8")


def _swift_amount(value: Decimal) -> str:
    return f"{abs(value):.2f}".replace(".", ",")


def mt940(n_lines: int) -> bytes:
    """An MT940 file: one statement per 500 lines (one per booking day)."""
    amounts = _amounts(n_lines)
    balance = Decimal("1000.00")
    parts = []
    for start in range(0, max(n_lines, 1), 500):
        chunk = amounts[start : start + 500]
        day = _day(start)
        closing = balance + sum(chunk, Decimal(0))
        ymd = day.strftime("%y%m%d")
        mark = "C" if balance >= 0 else "D"
        parts.append(
            f":20:SYNTH{start // 500:05d}\r\n:25:{_IBAN}\r\n"
            f":28C:{start // 500 + 1}/1\r\n"
            f":60F:{mark}{ymd}EUR{_swift_amount(balance)}\r\n"
        )
        for offset, amount in enumerate(chunk):
            i = start + offset
            dc = "C" if amount >= 0 else "D"
            parts.append(
                f":61:{ymd}{day.strftime('%m%d')}{dc}{_swift_amount(amount)}NTRF"
                f"INV{i:06d}//B{i:014d}\r\n"
                f":86:/EREF/E2E-{i:08d}//CNTP/{_COUNTERPARTY_IBAN}/COBADEFFXXX/"
                f"Customer {i % 977}///REMI/USTD//Invoice INV/2024/{i:05d}/\r\n"
            )
        mark = "C" if closing >= 0 else "D"
        parts.append(f":62F:{mark}{ymd}EUR{_swift_amount(closing)}\r\n-\r\n")
        balance = closing
    return "".join(parts).encode("ascii")


def bai2(n_lines: int) -> bytes:
    """A BAI2 file with one account and correct trailers."""
    amounts = _amounts(n_lines)
    opening = 100000
    cents = [int(abs(a) * 100) for a in amounts]
    closing = opening + sum(
        c if a >= 0 else -c for a, c in zip(amounts, cents, strict=True)
    )
    records = [f"03,{_IBAN[4:]},USD,010,{opening},,,015,{closing},,/"]
    for i, (amount, value) in enumerate(zip(amounts, cents, strict=True)):
        code = "165" if amount >= 0 else "475"
        records.append(f"16,{code},{value},0,BR{i:010d},CR{i:06d},Invoice {i:05d}/")
    account_total = opening + closing + sum(cents)
    records.append(f"49,{account_total},{len(records) + 1}/")
    lines = [
        "01,SENDER,RECEIVER,240131,1800,SYN1,,,2/",
        "02,RECEIVER,SENDER,1,240131,2400,USD,2/",
    ]
    lines += records
    lines.append(f"98,{account_total},1,{len(records) + 2}/")
    lines.append(f"99,{account_total},1,{len(records) + 4}/")
    return ("\n".join(lines) + "\n").encode("ascii")


def ofx(n_lines: int) -> bytes:
    """An OFX 1.02 (SGML) bank statement."""
    amounts = _amounts(n_lines)
    parts = [
        "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:USASCII\n"
        "CHARSET:1252\nCOMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n"
        "<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS>"
        "<DTSERVER>20240131<LANGUAGE>ENG</SONRS></SIGNONMSGSRSV1>\n"
        "<BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS>"
        "<STMTRS><CURDEF>USD<BANKACCTFROM><BANKID>121000248<ACCTID>4417164300"
        "<ACCTTYPE>CHECKING</BANKACCTFROM><BANKTRANLIST><DTSTART>20240101"
        "<DTEND>20240131\n"
    ]
    for i, amount in enumerate(amounts):
        kind = "CREDIT" if amount >= 0 else "DEBIT"
        parts.append(
            f"<STMTTRN><TRNTYPE>{kind}<DTPOSTED>{_day(i):%Y%m%d}120000[-5:EST]"
            f"<TRNAMT>{amount:.2f}<FITID>F{i:010d}<NAME>Customer {i % 977}"
            f"<MEMO>Invoice {i:05d}</STMTTRN>\n"
        )
    parts.append(
        "</BANKTRANLIST><LEDGERBAL><BALAMT>1000.00<DTASOF>20240131</LEDGERBAL>"
        "</STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\n"
    )
    return "".join(parts).encode("ascii")


def csv_export(n_lines: int) -> bytes:
    """A semicolon CSV with decimal commas and debit/credit columns."""
    rows = ["Date;Description;Debit;Credit;Reference"]
    for i, amount in enumerate(_amounts(n_lines)):
        text = _swift_amount(amount)
        debit, credit = ("", text) if amount >= 0 else (text, "")
        rows.append(
            f"{_day(i):%d.%m.%Y};Customer {i % 977};{debit};{credit};REF{i:06d}"
        )
    return ("\r\n".join(rows) + "\r\n").encode("utf-8")
