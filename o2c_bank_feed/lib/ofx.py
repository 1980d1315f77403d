# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""OFX / QFX statement parser (OFX 1.x SGML and OFX 2.x XML), no dependency.

One tokenizer reads both flavours: OFX 1.x is SGML where leaf elements are
not closed (``<TRNAMT>-12.50`` then the next tag), OFX 2.x is XML where they
are. A tag with text is a leaf (its optional closing tag is consumed); a tag
without text is an aggregate when a closing tag with its name exists further
on, otherwise an empty leaf (``<BRANCHID>`` followed by ``<ACCTID>``).
Aggregates left open at the end of the file mean a truncated file.

Entities are never expanded beyond the five XML ones, so the XML flavour
cannot be used for XXE / entity expansion even though ``<!DOCTYPE`` is
tolerated (skipped) like comments and processing instructions.

Encoding: OFX 1.x declares it in its header (``ENCODING:USASCII`` +
``CHARSET:1252``, ``ENCODING:UTF-8``, ``CHARSET:ISO-8859-1``), OFX 2.x in the
XML declaration. "USASCII" files in practice carry Windows-1252 accents, so
ASCII and ``CHARSET:NONE`` are read as Windows-1252.

Mapping: STMTTRN -> one line (TRNAMT signed as is, FITID as bank reference,
NAME or PAYEE/NAME, MEMO, CHECKNUM, REFNUM, TRNTYPE as transaction code,
DTPOSTED booking date, DTAVAIL value date), LEDGERBAL -> closing balance.
OFX has no opening balance, so :meth:`Statement.check_balance` is a no-op.
"""

from __future__ import annotations

import bisect
import codecs
import html
import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from ._common import currency_decimals, is_currency, make_date, normalize_account
from .statement import ParseError, Statement, StatementLine, guarded

_logger = logging.getLogger(__name__)

__all__ = ["parse_ofx"]

FMT = "ofx"
_TAG_RE = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9_.]*)(?:\s[^<>]*)?>")
_SKIP_RE = re.compile(
    r"<!--.*?-->|<\?.*?\?>|<!\[CDATA\[.*?\]\]>|<![A-Za-z][^<>]*>", re.DOTALL
)
_HEADER_RE = re.compile(r"^\s*([A-Z]+)\s*:\s*(.*?)\s*$")
_XML_ENCODING_RE = re.compile(rb"^\s*<\?xml[^>]*encoding=[\"']([A-Za-z0-9._-]+)[\"']")
_DATE_RE = re.compile(
    r"^([0-9]{4})([0-9]{2})([0-9]{2})(?:[0-9]{2}(?:[0-9]{2}(?:[0-9]{2}(?:[.:][0-9]{1,3})?)?)?)?"
    r"\s*(?:\[\s*[+-]?[0-9]{1,2}(?:[.:][0-9]{1,2})?(?::[A-Za-z ]*)?\])?$"
)
_AMOUNT_RE = re.compile(r"^[+-]?(?:[0-9]{1,20}(?:[.,][0-9]{0,12})?|[.,][0-9]{1,12})$")
_EXTRA = (
    ("extended_name", "EXTDNAME"),
    ("sic", "SIC"),
    ("payee_id", "PAYEEID"),
    ("server_id", "SRVRTID"),
    ("correct_fitid", "CORRECTFITID"),
    ("correct_action", "CORRECTACTION"),
)
#: Aggregates of the statement path: always containers, so a file cut before
#: their closing tag is reported as truncated instead of being read flat.
_AGGREGATES = {
    "OFX", "SIGNONMSGSRSV1", "SONRS", "BANKMSGSRSV1", "STMTTRNRS", "STMTRS",
    "CREDITCARDMSGSRSV1", "CCSTMTTRNRS", "CCSTMTRS", "BANKACCTFROM", "CCACCTFROM",
    "BANKTRANLIST", "STMTTRN", "LEDGERBAL", "AVAILBAL", "STATUS",
}  # fmt: skip
_ASCII_NAMES = {"USASCII", "US-ASCII", "ASCII", "NONE", ""}


@dataclass
class _Node:
    name: str
    start: int
    value: str | None = None  # leaf text; None for aggregates
    children: list[_Node] = field(default_factory=list)
    end: int = 0

    def child(self, name: str) -> _Node | None:
        for node in self.children:
            if node.name == name:
                return node
        return None

    def text(self, path: str) -> str | None:
        node = self
        for part in path.split("/"):
            node = node.child(part) if node is not None else None
        if node is None or node.value is None:
            return None
        return node.value or None

    def walk(self, names: tuple[str, ...]):
        """Descendants named ``names`` (not searched further), in file order.

        Iterative: a hostile file nests aggregates thousands deep, which a
        recursive generator would turn into a RecursionError (and quadratic
        time, each level re-yielding what the levels below found).
        """
        pending = [iter(self.children)]
        while pending:
            node = next(pending[-1], None)
            if node is None:
                pending.pop()
            elif node.name in names:
                yield node
            elif node.value is None:
                pending.append(iter(node.children))


class _Text:
    """The decoded body with position -> line number conversion."""

    def __init__(self, text: str, first_line: int):
        self.text = text
        self.first_line = first_line
        self.newlines = [m.start() for m in re.finditer("\n", text)]

    def line(self, pos: int) -> str:
        return f"line {self.first_line + bisect.bisect_right(self.newlines, pos)}"


def _codec(name: str) -> str:
    name = name.strip().upper()
    if name in _ASCII_NAMES or name in ("1252", "WINDOWS-1252", "CP1252"):
        return "cp1252"
    if name in ("8859-1", "ISO-8859-1", "LATIN1", "LATIN-1", "ISO8859-1"):
        return "latin-1"
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):  # ValueError: NUL in the name
        info = None
    # base64, rot13, zlib... are codecs too, but not character sets
    if info is not None and getattr(info, "_is_text_encoding", True):
        return info.name
    raise ParseError(f"unknown character set {name!r}", fmt=FMT, location="header")


def _decode(data: bytes) -> tuple[str, int]:
    """Decode per the declared encoding; return (body text, its first line)."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[3:]
    match = _XML_ENCODING_RE.match(data)
    if match:
        codec = _codec(match.group(1).decode("ascii"))
    else:
        head = data[: data.find(b"<")] if b"<" in data else data
        declared = {}
        for line in head.decode("latin-1").splitlines():
            found = _HEADER_RE.match(line)
            if found:
                declared[found.group(1)] = found.group(2)
        if declared.get("ENCODING", "").upper().replace("-", "") == "UTF8":
            codec = "utf-8"
        else:
            codec = _codec(declared.get("CHARSET", ""))
    try:
        text = data.decode(codec)
    except UnicodeError as exc:
        if codec != "cp1252":
            line = data.count(b"\n", 0, getattr(exc, "start", 0)) + 1
            raise ParseError(
                f"bytes are not valid {codec} as declared",
                fmt=FMT,
                location=f"line {line}",
            ) from exc
        text = data.decode("latin-1")  # bytes undefined in cp1252
    start = text.find("<OFX>") if "<OFX>" in text else text.upper().find("<OFX")
    if start < 0:
        raise ParseError("no <OFX> element", fmt=FMT, location="line 1")
    return text[start:], text.count("\n", 0, start) + 1


def _blank_out(match: re.Match) -> str:
    """Replace a comment/PI by spaces and its newlines (keeps positions)."""
    chunk = match.group(0)
    if chunk.startswith("<![CDATA["):
        inner = chunk[9:-3]
        return (
            "<![CDATA[" + html.escape(inner, quote=False).replace("<", "&lt;") + "]]>"
        )
    return re.sub(r"[^\n]", " ", chunk)


def _tree(body: _Text) -> _Node:
    text = body.text
    tokens = list(_TAG_RE.finditer(text))
    closing = {m.group(2).upper() for m in tokens if m.group(1)}
    root = _Node("#root", 0)
    stack = [root]
    # How many aggregates of each name are open: the closing-tag check is
    # then O(1) instead of a scan of the stack (quadratic on deep nesting).
    open_names: Counter[str] = Counter()
    index = 0
    while index < len(tokens):
        token = tokens[index]
        name = token.group(2).upper()
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        raw_value = text[token.end() : following.start() if following else len(text)]
        index += 1
        if token.group(1):  # closing tag
            if not open_names[name]:
                raise ParseError(
                    f"closing tag </{name}> without opening tag",
                    fmt=FMT,
                    location=body.line(token.start()),
                )
            while stack[-1].name != name:
                node = stack.pop()
                open_names[node.name] -= 1
                node.end = token.start()
            node = stack.pop()
            open_names[name] -= 1
            node.end = token.end()
            continue
        value = raw_value.strip()
        if value.startswith("<![CDATA["):
            value = value[9:].removesuffix("]]>")
        closes_now = (
            following is not None
            and following.group(1)
            and following.group(2).upper() == name
        )
        node = _Node(name, token.start())
        stack[-1].children.append(node)
        aggregate = name in _AGGREGATES or name in closing
        if value or closes_now or not aggregate:
            node.value = html.unescape(value)
            node.end = (
                following.end()
                if closes_now
                else (following.start() if following else len(text))
            )
            if closes_now:
                index += 1
        else:
            stack.append(node)
            open_names[name] += 1
    if len(stack) > 1:
        raise ParseError(
            f"<{stack[-1].name}> is never closed: file truncated?",
            fmt=FMT,
            location=body.line(stack[-1].start),
        )
    return root


def _date(
    value: str | None, what: str, where: str, required: bool = True
) -> date | None:
    if not value:
        if required:
            raise ParseError(f"{what} is missing", fmt=FMT, location=where)
        return None
    match = _DATE_RE.match(value.strip())
    result = None
    if match:
        result = make_date(
            int(match.group(1)), int(match.group(2)), int(match.group(3))
        )
    if result is None:
        raise ParseError(
            f"{what} {value!r} is not a valid OFX date", fmt=FMT, location=where
        )
    return result


def _amount(
    value: str | None, what: str, where: str, required: bool = True
) -> Decimal | None:
    if value is None or not value.strip():
        if required:
            raise ParseError(f"{what} is missing", fmt=FMT, location=where)
        return None
    text = value.strip()
    if not _AMOUNT_RE.match(text):
        raise ParseError(f"{what} {text!r} is not a number", fmt=FMT, location=where)
    return Decimal(text.replace(",", "."))


def _status(node: _Node | None, what: str, body: _Text) -> None:
    """Raise when an OFX STATUS aggregate reports an error."""
    status = node.child("STATUS") if node is not None else None
    if status is None:
        return
    code = status.text("CODE") or "0"
    severity = (status.text("SEVERITY") or "").upper()
    if code != "0" and severity != "INFO":
        message = status.text("MESSAGE") or ""
        raise ParseError(
            f"{what} reports error {code} {severity} {message}".strip(),
            fmt=FMT,
            location=body.line(status.start),
        )


def _line(trn: _Node, currency: str, body: _Text) -> StatementLine:
    where = body.line(trn.start)
    amount = _amount(trn.text("TRNAMT"), "TRNAMT", where)
    original_amount = original_currency = None
    for agg in ("CURRENCY", "ORIGCURRENCY"):
        node = trn.child(agg)
        if node is None:
            continue
        rate = _amount(node.text("CURRATE"), f"{agg}/CURRATE", where)
        symbol = (node.text("CURSYM") or "").upper()
        if not is_currency(symbol):
            raise ParseError(
                f"{agg}/CURSYM {symbol!r} is invalid", fmt=FMT, location=where
            )
        if symbol == currency:
            continue
        if rate <= 0:
            raise ParseError(f"{agg}/CURRATE must be positive", fmt=FMT, location=where)
        quantum = Decimal(1).scaleb(-currency_decimals(currency))
        if agg == "CURRENCY":
            # amounts are in CURSYM; CURRATE converts them to CURDEF
            original_amount, original_currency = amount, symbol
            amount = (amount * rate).quantize(quantum)
        else:
            # amounts already in CURDEF; CURSYM/CURRATE describe the original
            quantum = Decimal(1).scaleb(-currency_decimals(symbol))
            original_amount, original_currency = (
                (amount / rate).quantize(quantum),
                symbol,
            )
        break
    name = trn.text("NAME") or trn.text("PAYEE/NAME")
    account = trn.text("BANKACCTTO/ACCTID") or trn.text("CCACCTTO/ACCTID")
    extra = {}
    for key, path in _EXTRA:
        value = trn.text(path)
        if value:
            extra[key] = value
    return StatementLine(
        booking_date=_date(trn.text("DTPOSTED"), "DTPOSTED", where),
        value_date=_date(trn.text("DTAVAIL"), "DTAVAIL", where, required=False),
        amount=amount,
        currency=currency,
        original_amount=original_amount,
        original_currency=original_currency,
        counterparty_name=name,
        counterparty_account=normalize_account(account),
        remittance=trn.text("MEMO"),
        bank_reference=trn.text("FITID"),
        transaction_code=(trn.text("TRNTYPE") or "").upper() or None,
        raw=body.text[trn.start : trn.end],
        customer_reference=trn.text("REFNUM"),
        check_number=trn.text("CHECKNUM"),
        extra=extra,
    )


def _statement(node: _Node, body: _Text) -> Statement:
    where = body.line(node.start)
    currency = (node.text("CURDEF") or "").upper()
    if not is_currency(currency):
        raise ParseError(
            f"CURDEF {currency!r} is not a currency", fmt=FMT, location=where
        )
    card = node.name == "CCSTMTRS"
    source = node.child("CCACCTFROM" if card else "BANKACCTFROM")
    account = normalize_account(source.text("ACCTID") if source is not None else None)
    if not account:
        raise ParseError("account (ACCTID) is missing", fmt=FMT, location=where)
    lines = []
    starts, ends = [], []
    # Some banks repeat BANKTRANLIST inside one statement: read them all.
    for tranlist in (c for c in node.children if c.name == "BANKTRANLIST"):
        list_where = body.line(tranlist.start)
        starts.append(_date(tranlist.text("DTSTART"), "DTSTART", list_where, False))
        ends.append(_date(tranlist.text("DTEND"), "DTEND", list_where, False))
        lines += [
            _line(t, currency, body) for t in tranlist.children if t.name == "STMTTRN"
        ]
    start = min((d for d in starts if d), default=None)
    end = max((d for d in ends if d), default=None)
    closing = closing_date = None
    ledger = node.child("LEDGERBAL")
    if ledger is not None:
        ledger_where = body.line(ledger.start)
        balance = ledger.child("BALAMT")
        if balance is None or not (balance.value or "").strip():
            # A ledger balance without its amount is a broken export, not a
            # statement without closing balance: importing it would skip
            # the balance check the bank meant to allow.
            raise ParseError(
                "LEDGERBAL/BALAMT (the closing balance) is "
                + ("missing" if balance is None else "empty"),
                fmt=FMT,
                location=body.line((balance or ledger).start),
            )
        closing = _amount(balance.value, "LEDGERBAL/BALAMT", ledger_where)
        closing_date = _date(
            ledger.text("DTASOF"), "LEDGERBAL/DTASOF", ledger_where, False
        )
    period = "-".join(d.strftime("%Y%m%d") for d in (start, end) if d)
    bank_id = source.text("BANKID") if source is not None else None
    return Statement(
        fmt=FMT,
        account=account,
        currency=currency,
        statement_id=f"{account}:{period}" if period else account,
        closing_balance=closing,
        closing_date=closing_date,
        lines=lines,
        bank_bic=bank_id
        if bank_id and re.match(r"^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$", bank_id)
        else None,
    )


@guarded("ofx")
def parse_ofx(data: bytes) -> list[Statement]:
    """Parse an OFX/QFX file: one statement per STMTRS / CCSTMTRS."""
    text, first_line = _decode(data)
    # Comments, processing instructions and DOCTYPE are blanked (newlines
    # kept, so line numbers stay right); CDATA content is escaped into text.
    body = _Text(_SKIP_RE.sub(_blank_out, text), first_line)
    root = _tree(body)
    ofx = root.child("OFX")
    if ofx is None:
        raise ParseError("no <OFX> element", fmt=FMT, location=body.line(0))
    signon = ofx.child("SIGNONMSGSRSV1")
    _status(signon.child("SONRS") if signon is not None else None, "sign-on", body)
    statements = []
    for wrapper in ofx.walk(("STMTTRNRS", "CCSTMTTRNRS")):
        _status(wrapper, "statement request", body)
        for node in wrapper.children:
            if node.name in ("STMTRS", "CCSTMTRS"):
                statements.append(_statement(node, body))
    if not statements:
        raise ParseError(
            "no bank or credit card statement (STMTRS/CCSTMTRS) in the file; "
            "investment statements are not supported",
            fmt=FMT,
            location=body.line(ofx.start),
        )
    return statements
