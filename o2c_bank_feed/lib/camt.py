# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""ISO 20022 CAMT.053 / 052 / 054 parser (any message version), streaming.

* The version is not hard-coded: the root namespace
  (``urn:iso:std:iso:20022:tech:xsd:camt.053.001.NN``) only tells which
  container holds the entries: ``Stmt`` (053), ``Rpt`` (052) or ``Ntfctn``
  (054). Element names used here are stable from version 2 to 13; the few
  places where versions differ (``Sts`` vs ``Sts/Cd``, ``Dbtr/Nm`` vs
  ``Dbtr/Pty/Nm``, ``BIC`` vs ``BICFI``, ``TxDtls/Amt`` vs
  ``AmtDtls/TxAmt/Amt``) are read both ways.
* Parsing is streaming (``iterparse``): each ``Ntry`` is turned into lines as
  soon as it is complete, then cleared *and removed* from its parent, so a
  file with 100,000 entries never holds more than one entry as a DOM.
* Batch entries (``NtryDtls/TxDtls`` repeated) give one line per ``TxDtls``.
  Their amounts must be given and add up to the entry amount: splitting an
  entry amount evenly (or guessing) would book wrong figures, so a batch that
  cannot be itemised honestly is a :class:`ParseError`.
* Entries with status ``PDNG`` (pending), ``INFO`` or ``FUTR`` are not
  bookings and are skipped (counted in :attr:`Statement.notes`).
"""

from __future__ import annotations

import io
import logging
import re
import xml.etree.ElementTree as ET
from decimal import Decimal

from ._common import iso_date, join_text, normalize_account, parse_decimal
from ._xmlsafe import local, namespace, refuse_dtd, xml_error
from .statement import ParseError, Statement, StatementLine

_logger = logging.getLogger(__name__)

__all__ = ["parse_camt"]

FMT = "camt"
_NS_RE = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:camt\.(05[234])\.\d{3}\.\d{2}$")
_CONTAINERS = {"053": "Stmt", "052": "Rpt", "054": "Ntfctn"}
_SKIPPED_STATUS = {"PDNG", "INFO", "FUTR"}
_OPENING_CODES = ("OPBD", "PRCD")
_CLOSING_CODES = ("CLBD",)
_AMOUNT_RE = re.compile(r"^[0-9]{1,18}(?:\.[0-9]{0,5})?$")


def _text(elem: ET.Element | None, path: str | None = None) -> str | None:
    if elem is None:
        return None
    if path is not None:
        elem = elem.find(path)
        if elem is None:
            return None
    value = (elem.text or "").strip()
    return value or None


def _first(elem: ET.Element | None, *paths: str) -> str | None:
    for path in paths:
        value = _text(elem, path)
        if value:
            return value
    return None


class _Camt:
    """State of one streaming parse (one file)."""

    def __init__(self):
        self.container: str | None = None  # "Stmt", "Rpt" or "Ntfctn"
        self.statements: list[Statement] = []
        self.lines: list[StatementLine] = []
        self.skipped = 0
        self.n_container = 0
        self.n_entry = 0
        self.entry_ccy: str | None = None  # currency of the first entry, booked or not

    # -- value helpers ---------------------------------------------------------
    def amount(self, elem: ET.Element | None, where: str) -> tuple[Decimal, str]:
        """Unsigned amount and currency of an ``Amt``-like element."""
        if elem is None:
            raise ParseError("amount is missing", fmt=FMT, location=where)
        text = (elem.text or "").strip()
        ccy = (elem.get("Ccy") or "").strip()
        if not _AMOUNT_RE.match(text):
            raise ParseError(f"amount {text!r} is not a number", fmt=FMT, location=where)
        if not re.match(r"^[A-Z]{3}$", ccy):
            raise ParseError(f"currency {ccy!r} is not valid", fmt=FMT, location=where)
        return parse_decimal(text), ccy

    def date(self, elem: ET.Element | None, where: str):
        """``Dt`` or ``DtTm`` child of ``elem`` (``None`` when ``elem`` is)."""
        if elem is None:
            return None
        text = _first(elem, "Dt", "DtTm")
        if text is None and len(elem) == 0:
            text = _text(elem)
        value = iso_date(text)
        if value is None:
            raise ParseError(f"date {text!r} is not valid", fmt=FMT, location=where)
        return value

    def sign(self, indicator: str | None, where: str) -> int:
        if indicator == "CRDT":
            return 1
        if indicator == "DBIT":
            return -1
        raise ParseError(
            f"CdtDbtInd {indicator!r} is neither CRDT nor DBIT", fmt=FMT, location=where
        )

    @staticmethod
    def bank_code(elem: ET.Element | None) -> str | None:
        if elem is None:
            return None
        domain = _text(elem, "Domn/Cd")
        if domain:
            parts = [domain, _text(elem, "Domn/Fmly/Cd"), _text(elem, "Domn/Fmly/SubFmlyCd")]
            return "/".join(p for p in parts if p)
        return _text(elem, "Prtry/Cd")

    # -- entries ----------------------------------------------------------------
    def entry(self, ntry: ET.Element, container: ET.Element) -> None:
        """Turn one complete ``Ntry`` into statement lines."""
        self.n_entry += 1
        where = f"{self.container}[{self.n_container}]/Ntry[{self.n_entry}]"
        amount, ccy = self.amount(ntry.find("Amt"), f"{where}/Amt")
        self.entry_ccy = self.entry_ccy or ccy
        status = _first(ntry, "Sts/Cd", "Sts/Prtry", "Sts")
        if status in _SKIPPED_STATUS:
            self.skipped += 1
            return
        sign = self.sign(_text(ntry, "CdtDbtInd"), f"{where}/CdtDbtInd")
        reversal = (_text(ntry, "RvslInd") or "").lower() in ("true", "1")
        booking = self.date(ntry.find("BookgDt"), f"{where}/BookgDt")
        value = self.date(ntry.find("ValDt"), f"{where}/ValDt")
        if booking is None:
            booking = value
        if booking is None and self.container != "Stmt":
            # Reports and notifications are sent as bookings happen; when an
            # entry carries no date, the message creation date is the booking
            # date the bank implies. A statement (053) must date its entries.
            booking = iso_date(_text(container, "CreDtTm"))
        if booking is None:
            raise ParseError("entry has no booking nor value date", fmt=FMT, location=where)
        entry_ref = _text(ntry, "AcctSvcrRef")
        entry_code = self.bank_code(ntry.find("BkTxCd"))
        entry_info = _text(ntry, "AddtlNtryInf")
        txs = ntry.findall("NtryDtls/TxDtls")
        raw = ET.tostring(ntry, encoding="unicode")
        if len(txs) <= 1:
            tx = txs[0] if txs else None
            self.lines.append(
                self.line(
                    tx, ntry, sign * amount, ccy, booking, value, reversal,
                    entry_ref, entry_code, entry_info, raw,
                )
            )
            return
        # Batch: one line per TxDtls, amounts required and must add up.
        signed = []
        for index, tx in enumerate(txs, start=1):
            tx_where = f"{where}/NtryDtls/TxDtls[{index}]"
            tx_amount = self.tx_amount(tx, ccy, tx_where)
            if tx_amount is None:
                raise ParseError(
                    f"batch entry with {len(txs)} transactions but transaction "
                    f"{index} has no amount in {ccy}: cannot itemise",
                    fmt=FMT,
                    location=tx_where,
                )
            tx_ind = _text(tx, "CdtDbtInd")
            tx_sign = self.sign(tx_ind, f"{tx_where}/CdtDbtInd") if tx_ind else sign
            signed.append(tx_sign * tx_amount)
        if sum(signed) != sign * amount:
            raise ParseError(
                f"batch transactions add up to {sum(signed)} but the entry amount "
                f"is {sign * amount}",
                fmt=FMT,
                location=where,
            )
        for index, (tx, tx_amount) in enumerate(zip(txs, signed, strict=True), start=1):
            ref = _text(tx, "Refs/AcctSvcrRef")
            if not ref and entry_ref:
                ref = f"{entry_ref}/{index}"
            self.lines.append(
                self.line(
                    tx, ntry, tx_amount, ccy, booking, value, reversal,
                    ref, entry_code, entry_info, ET.tostring(tx, encoding="unicode"),
                    batch=True,
                )
            )

    def tx_amount(self, tx: ET.Element, ccy: str, where: str) -> Decimal | None:
        """Amount of a TxDtls in the entry currency, or ``None``."""
        for path in ("Amt", "AmtDtls/TxAmt/Amt", "AmtDtls/CntrValAmt/Amt"):
            elem = tx.find(path)
            if elem is not None and (elem.get("Ccy") or "").strip() == ccy:
                return self.amount(elem, f"{where}/{path}")[0]
        return None

    def original(self, details: ET.Element | None, ccy: str, sign: int, where: str):
        """Instructed amount in another currency (``AmtDtls``), if any."""
        if details is None:
            return None, None
        for path in ("InstdAmt/Amt", "TxAmt/Amt"):
            elem = details.find(path)
            if elem is not None and (elem.get("Ccy") or "").strip() != ccy:
                value, other = self.amount(elem, f"{where}/AmtDtls/{path}")
                return sign * value, other
        return None, None

    @staticmethod
    def party(tx: ET.Element, role: str):
        """(name, account, bic) of ``Dbtr`` or ``Cdtr`` in a TxDtls."""
        name = _first(
            tx,
            f"RltdPties/{role}/Nm",
            f"RltdPties/{role}/Pty/Nm",
            f"RltdPties/{role}/Agt/FinInstnId/Nm",
            f"RltdPties/Ultmt{role}/Nm",
            f"RltdPties/Ultmt{role}/Pty/Nm",
        )
        account = _first(
            tx, f"RltdPties/{role}Acct/Id/IBAN", f"RltdPties/{role}Acct/Id/Othr/Id"
        )
        bic = _first(
            tx,
            f"RltdAgts/{role}Agt/FinInstnId/BICFI",
            f"RltdAgts/{role}Agt/FinInstnId/BIC",
        )
        return name, normalize_account(account), bic

    def line(
        self, tx, ntry, amount, ccy, booking, value, reversal,
        bank_ref, entry_code, entry_info, raw, batch=False,
    ) -> StatementLine:  # fmt: skip
        where = f"{self.container}[{self.n_container}]/Ntry[{self.n_entry}]"
        sign = 1 if amount >= 0 else -1
        details = tx.find("AmtDtls") if tx is not None else None
        if details is None and not batch:
            details = ntry.find("AmtDtls")
        orig_amount, orig_ccy = self.original(details, ccy, sign, where)
        if tx is None:
            return StatementLine(
                booking_date=booking, value_date=value, amount=amount, currency=ccy,
                original_amount=orig_amount, original_currency=orig_ccy,
                remittance=entry_info, bank_reference=bank_ref,
                transaction_code=entry_code, is_reversal=reversal, raw=raw,
            )  # fmt: skip
        # Money in: the counterparty paid us, it is the debtor. A reversal
        # describes the original transfer, so the sides are swapped.
        incoming = (amount >= 0) != reversal
        role, other = ("Dbtr", "Cdtr") if incoming else ("Cdtr", "Dbtr")
        name, account, bic = self.party(tx, role)
        if not name and not account:
            name, account, bic = self.party(tx, other)
        ustrd = [e.text for e in tx.findall("RmtInf/Ustrd")]
        ustrd += [e.text for e in tx.findall("RmtInf/Strd/AddtlRmtInf")]
        remittance = join_text(ustrd) or _text(tx, "AddtlTxInf") or entry_info
        structured = _first(tx, "RmtInf/Strd/CdtrRefInf/Ref")
        extra = {}
        for key, path in (
            ("mandate_id", "Refs/MndtId"),
            ("instruction_id", "Refs/InstrId"),
            ("transaction_id", "Refs/TxId"),
            ("payment_information_id", "Refs/PmtInfId"),
            ("uetr", "Refs/UETR"),
            ("return_reason", "RtrInf/Rsn/Cd"),
        ):
            found = _text(tx, path)
            if found:
                extra[key] = found
        return StatementLine(
            booking_date=booking,
            value_date=value,
            amount=amount,
            currency=ccy,
            original_amount=orig_amount,
            original_currency=orig_ccy,
            counterparty_name=name,
            counterparty_account=account,
            counterparty_bic=bic,
            structured_reference=structured,
            remittance=remittance,
            end_to_end_id=_text(tx, "Refs/EndToEndId"),
            bank_reference=bank_ref or _text(tx, "Refs/AcctSvcrRef"),
            transaction_code=self.bank_code(tx.find("BkTxCd")) or entry_code,
            is_reversal=reversal,
            raw=raw,
            customer_reference=_text(tx, "Refs/InstrId"),
            extra=extra,
        )

    # -- statement header ------------------------------------------------------
    def statement(self, elem: ET.Element) -> None:
        """Build the Statement once its container element is complete."""
        where = f"{self.container}[{self.n_container}]"
        statement_id = _text(elem, "Id")
        if not statement_id:
            raise ParseError("statement has no Id", fmt=FMT, location=where)
        account = normalize_account(
            _first(
                elem,
                "Acct/Id/IBAN",
                "Acct/Id/Othr/Id",
                "Acct/Id/PrtryAcct/Id",  # version 1
                "Acct/Id/BBAN",  # version 1
            )
        )
        if not account:
            raise ParseError("account has no IBAN nor Othr/Id", fmt=FMT, location=where)
        balances: dict[str, tuple] = {}
        for index, bal in enumerate(elem.findall("Bal"), start=1):
            bal_where = f"{where}/Bal[{index}]"
            code = _first(bal, "Tp/CdOrPrtry/Cd", "Tp/CdOrPrtry/Prtry")
            value, ccy = self.amount(bal.find("Amt"), f"{bal_where}/Amt")
            sign = self.sign(_text(bal, "CdtDbtInd"), f"{bal_where}/CdtDbtInd")
            when = self.date(bal.find("Dt"), f"{bal_where}/Dt")
            balances.setdefault(code or "", (sign * value, ccy, when))
        opening = next((balances[c] for c in _OPENING_CODES if c in balances), None)
        closing = next((balances[c] for c in _CLOSING_CODES if c in balances), None)
        currency = _text(elem, "Acct/Ccy")
        if not currency:
            known = [b[1] for b in (opening, closing) if b]
            known += [line.currency for line in self.lines[:1]]
            known += [b[1] for b in balances.values()]
            currency = known[0] if known else self.entry_ccy
        if not currency:
            raise ParseError("cannot determine the account currency", fmt=FMT, location=where)
        statement = Statement(
            fmt=FMT,
            account=account,
            currency=currency,
            statement_id=statement_id,
            opening_balance=opening[0] if opening else None,
            opening_date=opening[2] if opening else None,
            closing_balance=closing[0] if closing else None,
            closing_date=closing[2] if closing else None,
            lines=self.lines,
            bank_bic=_first(elem, "Acct/Svcr/FinInstnId/BICFI", "Acct/Svcr/FinInstnId/BIC"),
        )
        if self.skipped:
            statement.notes.append(
                f"{self.skipped} pending/informational entries skipped"
            )
            _logger.info(
                "CAMT %s: %s non-booked entries skipped", statement_id, self.skipped
            )
        self.statements.append(statement)
        self.lines = []
        self.skipped = 0
        self.n_entry = 0

    # -- driver -------------------------------------------------------------------
    def root(self, elem: ET.Element) -> None:
        ns = namespace(elem.tag)
        if local(elem.tag) != "Document":
            raise ParseError(
                f"root element is <{local(elem.tag)}>, not <Document>",
                fmt=FMT,
                location="line 1",
            )
        match = _NS_RE.match(ns)
        if ns and not match:
            raise ParseError(
                f"namespace {ns!r} is not a camt.052/053/054 message",
                fmt=FMT,
                location="Document",
            )
        self.container = _CONTAINERS[match.group(1)] if match else None

    def run(self, data: bytes) -> list[Statement]:
        stack: list[ET.Element] = []
        depth_container = 3  # Document / BkToCstmrXxx / Stmt
        try:
            for event, elem in ET.iterparse(io.BytesIO(data), events=("start", "end")):
                if event == "start":
                    tag = elem.tag
                    if tag[:1] == "{":
                        elem.tag = tag = tag.rpartition("}")[2]
                    if not stack:
                        self.root(elem)
                    elif len(stack) == 2 and self.container is None:
                        if tag in ("Stmt", "Rpt", "Ntfctn"):
                            self.container = tag
                    if len(stack) + 1 == depth_container and tag == self.container:
                        self.n_container += 1
                    stack.append(elem)
                    continue
                stack.pop()
                depth = len(stack) + 1
                if elem.tag == "Ntry" and depth == depth_container + 1:
                    if stack[-1].tag == self.container:
                        self.entry(elem, stack[-1])
                        elem.clear()
                        stack[-1].remove(elem)
                elif depth == depth_container and elem.tag == self.container:
                    self.statement(elem)
                    elem.clear()
                    stack[-1].remove(elem)
        except ET.ParseError as exc:
            raise xml_error(exc, FMT) from exc
        if not self.n_container:
            raise ParseError(
                "no Stmt, Rpt or Ntfctn element: not a bank statement",
                fmt=FMT,
                location="Document",
            )
        return self.statements


def parse_camt(data: bytes) -> list[Statement]:
    """Parse a CAMT.053/052/054 document into statements (one per container)."""
    refuse_dtd(data, FMT)
    return _Camt().run(data)
