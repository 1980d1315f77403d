# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""ISO 20022 CAMT.053 / 052 / 054 parser (any message version), streaming.

* The version is not hard-coded: the root namespace
  (``urn:iso:std:iso:20022:tech:xsd:camt.053.001.NN``) only tells which
  container holds the entries: ``Stmt`` (053), ``Rpt`` (052) or ``Ntfctn``
  (054). Element names used here are stable from version 1 to 13; where
  versions differ (``Sts`` vs ``Sts/Cd``, ``Dbtr/Nm`` vs ``Dbtr/Pty/Nm``,
  ``BIC`` vs ``BICFI``, ``TxDtls/Amt`` vs ``AmtDtls/TxAmt/Amt``,
  ``Acct/Id/PrtryAcct``) both are read.
* Parsing is streaming (``iterparse``): each ``Ntry`` is turned into lines as
  soon as it is complete, then cleared *and removed* from its parent, so a
  file with 100,000 entries never holds more than one entry as a DOM.
* Batch entries (``NtryDtls/TxDtls`` repeated) give one line per ``TxDtls``
  when every transaction carries its amount in the entry currency; those
  amounts must then add up to the entry amount (a :class:`ParseError`
  otherwise). ISO 20022 makes the transaction amount optional, and banks do
  send batches without it (camt.054 collections, camt.053 "Sammelbuchung"):
  such an entry becomes ONE line for the entry amount that lists every
  transaction's remittance, structured reference and EndToEndId, so the
  reconciliation engine can still match it to the several invoices it pays.
  Splitting the amount evenly (or guessing) would book wrong figures.
* Entries with status ``PDNG`` (pending), ``INFO`` or ``FUTR`` are not
  bookings and are skipped (counted in :attr:`Statement.notes`).
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ._common import iso_date, join_text, normalize_account, parse_decimal
from ._xmlsafe import iterparse, local, namespace, refuse_dtd, xml_error
from .statement import ParseError, Statement, StatementLine, guarded

_logger = logging.getLogger(__name__)

__all__ = ["parse_camt"]

FMT = "camt"
_NS_RE = re.compile(
    r"^urn:iso:std:iso:20022:tech:xsd:camt\.(05[234])\.[0-9]{3}\.[0-9]{2}$"
)
_CONTAINERS = {"053": "Stmt", "052": "Rpt", "054": "Ntfctn"}
_ANY = ("Stmt", "Rpt", "Ntfctn")  # namespace-less documents: first one seen
_SKIPPED_STATUS = {"PDNG", "INFO", "FUTR"}
_OPENING_CODES = ("OPBD", "PRCD")
_CLOSING_CODES = ("CLBD",)
_AMOUNT_RE = re.compile(r"^[0-9]{1,18}(?:\.[0-9]{0,5})?$")
_CCY_RE = re.compile(r"^[A-Z]{3}$")
_RAW_LIMIT = 2048
_EXTRA_REFS = (
    ("mandate_id", "MndtId"),
    ("instruction_id", "InstrId"),
    ("transaction_id", "TxId"),
    ("payment_information_id", "PmtInfId"),
    ("uetr", "UETR"),
)


class _Xml:
    """Namespace-aware lookups through C-level single-tag ``find`` steps.

    ``Element.find`` with a multi-step path runs the pure-Python ElementPath
    engine; chaining single-tag finds on qualified names is several times
    faster, which matters at 10,000+ entries.
    """

    def __init__(self, ns: str):
        self.prefix = f"{{{ns}}}" if ns else ""
        self.paths: dict[str, tuple[str, ...]] = {}

    def tag(self, name: str) -> str:
        return self.prefix + name

    def kids(self, elem: ET.Element | None) -> dict[str, ET.Element]:
        """Children by local name (first one wins): one pass, then dict gets."""
        if elem is None:
            return {}
        cut = len(self.prefix)
        found: dict[str, ET.Element] = {}
        for child in elem:
            found.setdefault(child.tag[cut:], child)
        return found

    def find(self, elem: ET.Element | None, path: str) -> ET.Element | None:
        parts = self.paths.get(path)
        if parts is None:
            parts = self.paths[path] = tuple(self.prefix + p for p in path.split("/"))
        for part in parts:
            if elem is None:
                return None
            elem = elem.find(part)
        return elem

    def findall(self, elem: ET.Element | None, path: str) -> list[ET.Element]:
        head, _, last = path.rpartition("/")
        if head:
            elem = self.find(elem, head)
        return elem.findall(self.prefix + last) if elem is not None else []

    def text(self, elem: ET.Element | None, path: str) -> str | None:
        found = self.find(elem, path)
        if found is None:
            return None
        return (found.text or "").strip() or None

    def first(self, elem: ET.Element | None, *paths: str) -> str | None:
        for path in paths:
            value = self.text(elem, path)
            if value:
                return value
        return None


def _t(elem: ET.Element | None) -> str | None:
    """Stripped text of ``elem`` or ``None``."""
    if elem is None:
        return None
    return (elem.text or "").strip() or None


class _RawSource:
    """Cuts the original bytes of the n-th ``Ntry`` out of the document.

    Serialising the parsed element again would cost more than parsing it;
    the original text is also what a human wants to see. Entries are found
    in document order with a byte search, so this only works for
    ASCII-compatible encodings (UTF-16 documents get no raw extract).
    """

    _START = re.compile(rb"<(?:[\w.-]+:)?Ntry[\s>]")
    _END = re.compile(rb"</(?:[\w.-]+:)?Ntry\s*>")
    _TX = re.compile(rb"<(?:[\w.-]+:)?TxDtls[\s>]")
    _TX_END = re.compile(rb"</(?:[\w.-]+:)?TxDtls\s*>")

    def __init__(self, data: bytes):
        self.data = data if data[:2] not in (b"\xff\xfe", b"\xfe\xff") else b""
        self.pos = 0

    def next_entry(self) -> tuple[int, int]:
        start = self._START.search(self.data, self.pos)
        if not start:
            return 0, 0
        end = self._END.search(self.data, start.end())
        stop = end.end() if end else len(self.data)
        self.pos = stop
        return start.start(), stop

    def text(self, start: int, stop: int) -> str:
        chunk = self.data[start : min(stop, start + _RAW_LIMIT)]
        return chunk.decode("utf-8", errors="replace")

    def tx_text(self, span: tuple[int, int], index: int) -> str:
        pos, stop = span
        for _ in range(index):
            found = self._TX.search(self.data, pos, stop)
            if not found:
                return ""
            pos = found.end()
        end = self._TX_END.search(self.data, pos, stop)
        begin = self.data.rfind(b"<", 0, pos)
        return self.text(begin, end.end() if end else stop)


@dataclass(slots=True)
class _Entry:
    """Entry-level values shared by the lines of one ``Ntry``."""

    ntry: ET.Element
    where: str
    currency: str
    booking: date
    value: date | None
    reversal: bool
    code: str | None
    info: str | None
    details: ET.Element | None


class _Camt:
    """State of one streaming parse (one file)."""

    def __init__(self, data: bytes):
        self.raw = _RawSource(data)
        self.x = _Xml("")
        self.container: str | None = None  # "Stmt", "Rpt" or "Ntfctn"
        self.statements: list[Statement] = []
        self.lines: list[StatementLine] = []
        self.skipped = 0
        self.batched = 0  # batch entries kept as one line (no tx amounts)
        self.n_container = 0
        self.n_entry = 0
        self.entry_ccy: str | None = None  # first entry currency, booked or not

    # -- value helpers ---------------------------------------------------------
    def amount(self, elem: ET.Element | None, where: str) -> tuple[Decimal, str]:
        """Unsigned amount and currency of an ``Amt``-like element."""
        if elem is None:
            raise ParseError("amount is missing", fmt=FMT, location=where)
        text = (elem.text or "").strip()
        ccy = (elem.get("Ccy") or "").strip()
        if not _AMOUNT_RE.match(text):
            raise ParseError(
                f"amount {text!r} is not a number", fmt=FMT, location=where
            )
        if not _CCY_RE.match(ccy):
            raise ParseError(f"currency {ccy!r} is not valid", fmt=FMT, location=where)
        return parse_decimal(text), ccy

    def date(self, elem: ET.Element | None, where: str) -> date | None:
        """``Dt`` or ``DtTm`` child of ``elem`` (``None`` when ``elem`` is)."""
        if elem is None:
            return None
        text = self.x.first(elem, "Dt", "DtTm")
        value = iso_date(text)
        if value is None:
            raise ParseError(f"date {text!r} is not valid", fmt=FMT, location=where)
        return value

    @staticmethod
    def sign(indicator: str | None, where: str) -> int:
        if indicator == "CRDT":
            return 1
        if indicator == "DBIT":
            return -1
        raise ParseError(
            f"CdtDbtInd {indicator!r} is neither CRDT nor DBIT", fmt=FMT, location=where
        )

    def bank_code(self, elem: ET.Element | None) -> str | None:
        if elem is None:
            return None
        x = self.x
        domain = x.text(elem, "Domn/Cd")
        if domain:
            family = x.text(elem, "Domn/Fmly/Cd")
            sub = x.text(elem, "Domn/Fmly/SubFmlyCd")
            return "/".join(p for p in (domain, family, sub) if p)
        return x.text(elem, "Prtry/Cd")

    # -- entries ----------------------------------------------------------------
    def entry(self, ntry: ET.Element, container: ET.Element) -> None:
        """Turn one complete ``Ntry`` into statement lines."""
        x = self.x
        self.n_entry += 1
        span = self.raw.next_entry()
        where = f"{self.container}[{self.n_container + 1}]/Ntry[{self.n_entry}]"
        kids = x.kids(ntry)
        amount, ccy = self.amount(kids.get("Amt"), f"{where}/Amt")
        self.entry_ccy = self.entry_ccy or ccy
        status = kids.get("Sts")
        if status is not None and len(status):
            status = x.first(status, "Cd", "Prtry")
        else:
            status = _t(status)
        if status in _SKIPPED_STATUS:
            self.skipped += 1
            return
        sign = self.sign(_t(kids.get("CdtDbtInd")), f"{where}/CdtDbtInd")
        booking = self.date(kids.get("BookgDt"), f"{where}/BookgDt")
        value = self.date(kids.get("ValDt"), f"{where}/ValDt")
        booking = booking or value
        if booking is None and self.container != "Stmt":
            # Reports and notifications are sent as bookings happen; when an
            # entry carries no date, the message creation date is the booking
            # date the bank implies. A statement (053) must date its entries.
            booking = iso_date(x.text(container, "CreDtTm"))
        if booking is None:
            raise ParseError(
                "entry has no booking nor value date", fmt=FMT, location=where
            )
        ctx = _Entry(
            ntry=ntry,
            where=where,
            currency=ccy,
            booking=booking,
            value=value,
            reversal=(_t(kids.get("RvslInd")) or "").lower() in ("true", "1"),
            code=self.bank_code(kids.get("BkTxCd")),
            info=_t(kids.get("AddtlNtryInf")),
            details=kids.get("AmtDtls"),
        )
        entry_ref = _t(kids.get("AcctSvcrRef"))
        dtls_tag, tx_tag = x.tag("NtryDtls"), x.tag("TxDtls")
        txs = [tx for d in ntry if d.tag == dtls_tag for tx in d if tx.tag == tx_tag]
        if len(txs) <= 1:
            tx = txs[0] if txs else None
            raw = self.raw.text(*span)
            self.lines.append(self.line(ctx, tx, sign * amount, entry_ref, raw))
            return
        # Batch: one line per TxDtls when all amounts are given (they must
        # add up), else one line for the whole entry.
        signed = []
        for index, tx in enumerate(txs, start=1):
            tx_where = f"{where}/NtryDtls/TxDtls[{index}]"
            tx_amount = self.tx_amount(tx, ccy, tx_where)
            if tx_amount is None:
                raw = self.raw.text(*span)
                self.lines.append(
                    self.batch_line(ctx, txs, sign * amount, entry_ref, raw)
                )
                return
            tx_ind = x.text(tx, "CdtDbtInd")
            tx_sign = self.sign(tx_ind, f"{tx_where}/CdtDbtInd") if tx_ind else sign
            signed.append(tx_sign * tx_amount)
        if sum(signed) != sign * amount:
            raise ParseError(
                f"batch transactions add up to {sum(signed)} but the entry amount "
                f"is {sign * amount}",
                fmt=FMT,
                location=where,
            )
        for index, (tx, tx_amount) in enumerate(zip(txs, signed, strict=True), 1):
            ref = x.text(tx, "Refs/AcctSvcrRef")
            if not ref and entry_ref:
                ref = f"{entry_ref}/{index}"
            raw = self.raw.tx_text(span, index)
            self.lines.append(self.line(ctx, tx, tx_amount, ref, raw, batch=True))

    def batch_line(
        self, ctx: _Entry, txs: list[ET.Element], amount, bank_ref, raw
    ) -> StatementLine:
        """One line for a batch entry whose transactions carry no amount.

        Every transaction is read as if it were a line of its own, then the
        lines are folded into one: the remittance lists each transaction's
        remittance, structured reference and EndToEndId (in that order,
        ``"; "`` between transactions), which is where the engine looks for
        the invoice numbers and references of a line paying several items.
        A value all transactions share (counterparty, structured reference,
        EndToEndId) is kept in its own field; differing values are only in
        the remittance and, for the references, in ``extra``.
        """
        parts = [self.line(ctx, tx, amount, None, "", batch=True) for tx in txs]
        texts: list[str] = [ctx.info] if ctx.info else []
        seen = set(texts)
        for part in parts:
            words = set((part.remittance or "").split())
            for value in (
                part.remittance,
                part.structured_reference,
                part.end_to_end_id,
            ):
                # A transaction without RmtInf repeats the entry's info, and
                # a reference already written in its remittance need not
                # come twice.
                if not value or value in seen:
                    continue
                if value is not part.remittance and value in words:
                    continue
                seen.add(value)
                texts.append(value)

        def shared(name):
            values = {getattr(part, name) for part in parts}
            return values.pop() if len(values) == 1 else None

        def listed(name):
            values = [getattr(part, name) for part in parts]
            return ", ".join(dict.fromkeys(v for v in values if v))

        extra = {"batch_transactions": str(len(txs))}
        for key, name in (
            ("end_to_end_ids", "end_to_end_id"),
            ("structured_references", "structured_reference"),
        ):
            if shared(name) is None and listed(name):
                extra[key] = listed(name)
        counterparty = {
            (p.counterparty_name, p.counterparty_account, p.counterparty_bic)
            for p in parts
        }
        name, account, bic = (
            counterparty.pop() if len(counterparty) == 1 else (None, None, None)
        )
        self.batched += 1
        orig_amount, orig_ccy = self.original(
            ctx.details, ctx.currency, 1 if amount >= 0 else -1, ctx.where
        )
        return StatementLine(
            booking_date=ctx.booking,
            value_date=ctx.value,
            amount=amount,
            currency=ctx.currency,
            original_amount=orig_amount,
            original_currency=orig_ccy,
            counterparty_name=name,
            counterparty_account=account,
            counterparty_bic=bic,
            structured_reference=shared("structured_reference"),
            remittance="; ".join(texts) or None,
            end_to_end_id=shared("end_to_end_id"),
            bank_reference=bank_ref,
            transaction_code=ctx.code or shared("transaction_code"),
            customer_reference=shared("customer_reference"),
            is_reversal=ctx.reversal,
            raw=raw,
            extra=extra,
        )

    def tx_amount(self, tx: ET.Element, ccy: str, where: str) -> Decimal | None:
        """Amount of a TxDtls in the entry currency, or ``None``."""
        for path in ("Amt", "AmtDtls/TxAmt/Amt", "AmtDtls/CntrValAmt/Amt"):
            elem = self.x.find(tx, path)
            if elem is not None and (elem.get("Ccy") or "").strip() == ccy:
                return self.amount(elem, f"{where}/{path}")[0]
        return None

    def original(self, details: ET.Element | None, ccy: str, sign: int, where: str):
        """Instructed amount in another currency (``AmtDtls``), if any."""
        if details is None:
            return None, None
        for path in ("InstdAmt/Amt", "TxAmt/Amt"):
            elem = self.x.find(details, path)
            if elem is not None and (elem.get("Ccy") or "").strip() != ccy:
                value, other = self.amount(elem, f"{where}/AmtDtls/{path}")
                return sign * value, other
        return None, None

    def party(self, kids: dict[str, ET.Element], role: str):
        """(name, account, bic) of ``Dbtr`` or ``Cdtr`` in a TxDtls."""
        x = self.x
        name = account = None
        parties = kids.get("RltdPties")
        if parties is not None:
            name = x.first(
                parties,
                f"{role}/Nm",
                f"{role}/Pty/Nm",
                f"{role}/Agt/FinInstnId/Nm",
                f"Ultmt{role}/Nm",
                f"Ultmt{role}/Pty/Nm",
            )
            account = x.first(parties, f"{role}Acct/Id/IBAN", f"{role}Acct/Id/Othr/Id")
        bic = x.first(
            kids.get("RltdAgts"),
            f"{role}Agt/FinInstnId/BICFI",
            f"{role}Agt/FinInstnId/BIC",
        )
        return name, normalize_account(account), bic

    def line(
        self, ctx: _Entry, tx, amount, bank_ref, raw, batch=False
    ) -> StatementLine:
        x = self.x
        sign = 1 if amount >= 0 else -1
        kids = x.kids(tx)
        details = kids.get("AmtDtls")
        if details is None and not batch:
            details = ctx.details
        orig_amount, orig_ccy = self.original(details, ctx.currency, sign, ctx.where)
        common = {
            "booking_date": ctx.booking,
            "value_date": ctx.value,
            "amount": amount,
            "currency": ctx.currency,
            "original_amount": orig_amount,
            "original_currency": orig_ccy,
            "is_reversal": ctx.reversal,
            "raw": raw,
        }
        if tx is None:
            return StatementLine(
                remittance=ctx.info,
                bank_reference=bank_ref,
                transaction_code=ctx.code,
                **common,
            )
        # Money in: the counterparty paid us, it is the debtor. A reversal
        # describes the original transfer, so the sides are swapped.
        incoming = (amount >= 0) != ctx.reversal
        role, other = ("Dbtr", "Cdtr") if incoming else ("Cdtr", "Dbtr")
        name, account, bic = self.party(kids, role)
        if not name and not account:
            name, account, bic = self.party(kids, other)
        rmt = kids.get("RmtInf")
        ustrd = [e.text for e in x.findall(rmt, "Ustrd")]
        ustrd += [e.text for e in x.findall(rmt, "Strd/AddtlRmtInf")]
        remittance = join_text(ustrd) or _t(kids.get("AddtlTxInf")) or ctx.info
        refs = {key: _t(elem) for key, elem in x.kids(kids.get("Refs")).items()}
        extra = {}
        for key, name_in_refs in _EXTRA_REFS:
            if refs.get(name_in_refs):
                extra[key] = refs[name_in_refs]
        reason = x.text(kids.get("RtrInf"), "Rsn/Cd")
        if reason:
            extra["return_reason"] = reason
        return StatementLine(
            counterparty_name=name,
            counterparty_account=account,
            counterparty_bic=bic,
            structured_reference=x.text(rmt, "Strd/CdtrRefInf/Ref"),
            remittance=remittance,
            end_to_end_id=refs.get("EndToEndId"),
            bank_reference=bank_ref or refs.get("AcctSvcrRef"),
            transaction_code=self.bank_code(kids.get("BkTxCd")) or ctx.code,
            customer_reference=refs.get("InstrId"),
            extra=extra,
            **common,
        )

    # -- statement header ------------------------------------------------------
    def statement(self, elem: ET.Element) -> None:
        """Build the Statement once its container element is complete."""
        x = self.x
        self.n_container += 1
        where = f"{self.container}[{self.n_container}]"
        statement_id = x.text(elem, "Id")
        if not statement_id:
            raise ParseError("statement has no Id", fmt=FMT, location=where)
        account = normalize_account(
            x.first(
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
        for index, bal in enumerate(x.findall(elem, "Bal"), start=1):
            bal_where = f"{where}/Bal[{index}]"
            code = x.first(bal, "Tp/CdOrPrtry/Cd", "Tp/CdOrPrtry/Prtry")
            value, ccy = self.amount(x.find(bal, "Amt"), f"{bal_where}/Amt")
            sign = self.sign(x.text(bal, "CdtDbtInd"), f"{bal_where}/CdtDbtInd")
            when = self.date(x.find(bal, "Dt"), f"{bal_where}/Dt")
            balances.setdefault(code or "", (sign * value, ccy, when))
        opening = next((balances[c] for c in _OPENING_CODES if c in balances), None)
        closing = next((balances[c] for c in _CLOSING_CODES if c in balances), None)
        currency = x.text(elem, "Acct/Ccy")
        if not currency:
            known = [b[1] for b in (opening, closing) if b]
            known += [line.currency for line in self.lines[:1]]
            known += [b[1] for b in balances.values()]
            currency = known[0] if known else self.entry_ccy
        if not currency:
            raise ParseError(
                "cannot determine the account currency", fmt=FMT, location=where
            )
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
            bank_bic=x.first(
                elem, "Acct/Svcr/FinInstnId/BICFI", "Acct/Svcr/FinInstnId/BIC"
            ),
        )
        if self.skipped:
            statement.notes.append(
                f"{self.skipped} pending/informational entries skipped"
            )
            _logger.info(
                "CAMT %s: %s non-booked entries skipped", statement_id, self.skipped
            )
        if self.batched:
            statement.notes.append(
                f"{self.batched} batch entries imported as one line each: their "
                "transactions carry no amount of their own"
            )
        self.statements.append(statement)
        self.lines = []
        self.skipped = 0
        self.batched = 0
        self.n_entry = 0
        self.entry_ccy = None

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
        self.x = _Xml(ns)
        self.container = _CONTAINERS[match.group(1)] if match else None

    def run(self, data: bytes) -> list[Statement]:
        """Drive the XML parser, acting on *start* events.

        An ``Ntry`` is complete as soon as the next ``Ntry`` (or container)
        starts, and a container once the next container starts or the
        document ends. End events only keep the depth: ``Ntry`` must be a
        child of the open container (depth 3) and containers children of
        ``BkToCstmr*`` (depth 2), in every CAMT version. The tree cannot
        tell: the parser reads ahead, so an element is not necessarily the
        last child of its parent when its event arrives, and searching the
        parent (``elem in parent``) is quadratic over a file with thousands
        of statements.
        """
        container: ET.Element | None = None
        container_parent: ET.Element | None = None
        pending: ET.Element | None = None
        ntry_tag = ""
        containers: set[str] = set()
        depth = -1  # of the element whose event is handled; the root is 0
        level1 = level2 = None  # the open elements at depth 1 and 2
        try:
            for batch in iterparse(data, FMT, ("start", "end")):
                for event, elem in batch:
                    if event == "end":
                        depth -= 1
                        continue
                    depth += 1
                    if depth == 1:
                        level1 = elem
                    elif depth == 2:
                        level2 = elem
                    elif depth == 0:
                        self.root(elem)
                        ntry_tag = self.x.tag("Ntry")
                        names = (self.container,) if self.container else _ANY
                        containers = {self.x.tag(name) for name in names}
                        continue
                    tag = elem.tag
                    if tag == ntry_tag:
                        if depth != 3 or container is None or level2 is not container:
                            raise ParseError(
                                "Ntry outside of a Stmt/Rpt/Ntfctn element",
                                fmt=FMT,
                                location=f"{self.container or 'Document'}"
                                f"[{self.n_container + 1}]/Ntry[{self.n_entry + 1}]",
                            )
                        if pending is not None:
                            self.entry(pending, container)
                            container.remove(pending)
                        pending = elem
                    elif tag in containers:
                        if depth != 2:
                            raise ParseError(
                                f"<{local(tag)}> is not directly under BkToCstmr*",
                                fmt=FMT,
                                location=f"{local(tag)}[{self.n_container + 1}]",
                            )
                        if container is not None:
                            self.close(container, pending)
                            # Detached once read, so that memory stays flat
                            # however many containers the file holds.
                            container_parent.remove(container)
                        container, container_parent, pending = elem, level1, None
                        self.container = local(tag)
                        containers = {tag}
        except ET.ParseError as exc:  # queued by the parser, see iterparse()
            raise xml_error(exc, FMT) from exc
        if container is not None:
            self.close(container, pending)
        if not self.n_container:
            raise ParseError(
                "no Stmt, Rpt or Ntfctn element: not a bank statement",
                fmt=FMT,
                location="Document",
            )
        return self.statements

    def close(self, container: ET.Element, pending: ET.Element | None) -> None:
        """Finish a container: its last entry, then its header."""
        if pending is not None:
            self.entry(pending, container)
            container.remove(pending)
        self.statement(container)
        container.clear()


@guarded("camt")
def parse_camt(data: bytes) -> list[Statement]:
    """Parse a CAMT.053/052/054 document into statements (one per container)."""
    refuse_dtd(data, FMT)
    return _Camt(data).run(data)
