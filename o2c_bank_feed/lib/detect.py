# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Guess the format of a bank file from its first bytes.

Content wins over the file name: banks and users rename files freely
(``.txt`` for MT940, ``.xml`` for OFX 2). The name is only a tie-breaker
when the content is inconclusive, in which case the chosen parser will give
a precise error if the guess was wrong.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import re
import zipfile

from .statement import ParseError, guarded

_logger = logging.getLogger(__name__)

__all__ = ["FORMATS", "detect_format"]

FORMATS = ("camt", "mt940", "bai2", "ofx", "csv", "xlsx", "zip")

_HEAD = 16384
_EXTENSIONS = {
    "xml": "camt",
    "053": "camt",
    "052": "camt",
    "054": "camt",
    "sta": "mt940",
    "940": "mt940",
    "942": "mt940",
    "mt940": "mt940",
    "mt942": "mt940",
    "swi": "mt940",
    "bai": "bai2",
    "bai2": "bai2",
    "ofx": "ofx",
    "qfx": "ofx",
    "csv": "csv",
    "tsv": "csv",
    "xlsx": "xlsx",
    "zip": "zip",
}
_OFX_RE = re.compile(r"^\s*OFXHEADER\s*:|<\?OFX\b|<OFX>", re.IGNORECASE)
_CAMT_RE = re.compile(
    r"camt\.05[234]|<(?:\w+:)?BkToCstmr(?:Stmt|AcctRpt|DbtCdtNtfctn)\b"
)
_MT940_RE = re.compile(r"(?m)^\s*(?:\{1:|\{4:|:20:|:940:)")
_BAI2_RE = re.compile(r"^01,[^,\n]*,[^,\n]*,[0-9]{6},")


def _head_text(data: bytes) -> str:
    head = data[:_HEAD]
    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if head.startswith(bom):
            return head[len(bom) :].decode(codec, errors="replace")
    if len(head) >= 2 and head[0] == 0 and head[1] != 0:
        return head.decode("utf-16-be", errors="replace")
    if len(head) >= 2 and head[0] != 0 and head[1] == 0:
        return head.decode("utf-16-le", errors="replace")
    return head.decode("latin-1")


def _zip_kind(data: bytes) -> str | None:
    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except Exception:  # zipfile raises many types for a damaged archive
        return None
    if any(n.startswith("xl/") for n in names):
        return "xlsx"
    return "zip"


def _looks_tabular(text: str) -> bool:
    """Most lines split into the same number (>1) of fields by one delimiter.

    Quotes are honoured (``"Rent; January"`` is one field) and a few odd
    lines (bank preamble, totals, a cut last line) are tolerated.
    """
    if "\x00" in text:
        return False
    printable = sum(1 for ch in text if ch.isprintable() or ch in "\r\n\t")
    if not text or printable / len(text) < 0.95:
        return False
    lines = [ln for ln in text.splitlines()[:30] if ln.strip()]
    if len(lines) < 2:
        return False
    for delimiter in (";", ",", "\t", "|"):
        try:
            counts = [len(row) for row in csv.reader(lines, delimiter=delimiter)]
        except csv.Error:
            continue
        mode = max(set(counts), key=counts.count)
        if mode > 1 and counts.count(mode) >= max(2, len(counts) * 0.6):
            return True
    return False


@guarded()
def detect_format(data: bytes, filename: str | None = None) -> str:
    """Return "camt", "mt940", "bai2", "ofx", "csv", "xlsx" or "zip".

    Raises :class:`ParseError` ("unknown format") when nothing matches.
    """
    extension = (filename or "").rpartition(".")[2].lower() if filename else ""
    if data[:4] == b"PK\x03\x04":
        kind = _zip_kind(data)
        if kind:
            return kind
    text = _head_text(data)
    stripped = text.lstrip()
    if _OFX_RE.search(text):
        return "ofx"
    if stripped.startswith("<"):
        if _CAMT_RE.search(text):
            return "camt"
        if extension in ("ofx", "qfx"):
            return "ofx"
        raise ParseError(
            "unknown format: XML but neither CAMT (camt.052/053/054) nor OFX",
            location=filename or "",
        )
    if _BAI2_RE.match(stripped):
        return "bai2"
    if _MT940_RE.search(text):
        return "mt940"
    if extension in _EXTENSIONS and extension not in ("xlsx", "zip", "xml"):
        return _EXTENSIONS[extension]
    if _looks_tabular(text):
        return "csv"
    raise ParseError(
        "unknown format: not CAMT, MT940, BAI2, OFX, CSV nor XLSX",
        location=filename or "",
    )
