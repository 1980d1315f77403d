# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Structured content of the MT940 ``:86:`` field (information to owner).

SWIFT leaves ``:86:`` free, but banks use a handful of layouts:

* **German/ZKA ("?" layout)**: ``166?00GUTSCHRIFT?20EREF+...?21SVWZ+...
  ?30BIC?31IBAN?32NAME?33NAME``. The three leading digits are the
  "Geschaeftsvorfallcode" (GVC); the separator is usually ``?`` but some banks
  (Triodos NL) use ``>``. ``?20``..``?29`` and ``?60``..``?63`` hold the
  purpose, in which SEPA data is tagged ``EREF+``, ``KREF+``, ``MREF+``,
  ``CRED+``, ``SVWZ+``...
* **Slash layout (ING, Rabobank, ABN AMRO "SEPA" exports)**:
  ``/EREF/ref/CNTP/iban/bic/name/city/REMI/USTD//text/``.
* anything else is **free text**.

Continuation lines of ``:86:`` are cut at a fixed width (65 characters) in the
middle of words and even of IBANs, so structured layouts are parsed on the
lines joined *without* separator. Free text is joined with spaces instead,
because there the line breaks are usually real breaks between phrases.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from ._common import (
    clean_text,
    compact,
    is_bic,
    is_valid_iban,
    join_text,
)
from .references import is_valid_rf

_logger = logging.getLogger(__name__)

__all__ = ["Details", "find_structured_reference", "parse_details"]

_ZKA_RE = re.compile(r"^([0-9]{3})?([?>])([0-9]{2})")
_SEPA_KEYS = (
    "EREF", "KREF", "MREF", "CRED", "DEBT", "SVWZ", "ABWA", "ABWE",
    "COAM", "OAMT", "IBAN", "BIC", "BREF", "RREF", "PURP", "SQTP",
)  # fmt: skip
_SEPA_RE = re.compile(r"(?<![A-Z])(" + "|".join(_SEPA_KEYS) + r")\+")
_SEPA_START_RE = re.compile(r"^\s*(" + "|".join(_SEPA_KEYS) + r")\+")
_SUBFIELD_WIDTH = 27
_SLASH_KEYS = (
    "EREF", "REMI", "NAME", "IBAN", "BIC", "BENM", "ORDP", "CNTP", "RTRN",
    "MARF", "CSID", "TRCD", "PREF", "ISDT", "SVWZ", "ADDR", "ULTD", "ULTC",
    "ULTB", "PURP", "ID", "CDTRREF", "CDTRREFTP", "CD", "ISSR", "KREF",
)  # fmt: skip
_SLASH_EXTRA = {
    "MARF": "mandate_id",
    "CSID": "creditor_id",
    "RTRN": "return_reason",
    "PREF": "payment_information_id",
    "ISDT": "interbank_settlement_date",
    "KREF": "customer_reference",
    "ULTD": "ultimate_debtor",
    "ULTC": "ultimate_creditor",
    "PURP": "purpose_code",
    "CDTRREF": "creditor_reference",
}
_SLASH_RE = re.compile(r"/(" + "|".join(_SLASH_KEYS) + r")(?=/|$)")
_RF_RE = re.compile(r"\bRF[0-9]{2}[A-Z0-9]{1,21}\b")
_OGM_RE = re.compile(
    r"\+\+\+([0-9]{3})/([0-9]{4})/([0-9]{5})\+\+\+|\*\*\*([0-9]{3})/([0-9]{4})/([0-9]{5})\*\*\*"
)


@dataclass(slots=True)
class Details:
    """What could be read out of an ``:86:`` field."""

    remittance: str | None = None
    counterparty_name: str | None = None
    counterparty_account: str | None = None
    counterparty_bic: str | None = None
    end_to_end_id: str | None = None
    structured_reference: str | None = None
    customer_reference: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


def find_structured_reference(text: str | None) -> str | None:
    """An RF creditor reference or a Belgian OGM/VCS found in free text.

    Only references whose check digits are right are returned: free text is
    full of things that look like references.
    """
    if not text:
        return None
    for match in _RF_RE.finditer(text.upper()):
        if is_valid_rf(match.group(0)):
            return match.group(0)
    match = _OGM_RE.search(text)
    if match:
        digits = "".join(g for g in match.groups() if g)
        base, check = int(digits[:10]), int(digits[10:])
        if (base % 97 or 97) == check:
            return digits
    return None


def _zka(joined: str, details: Details) -> None:
    """German "?" structure; ``joined`` starts with ``NNN?`` or ``?``."""
    match = _ZKA_RE.match(joined)
    separator = match.group(2)
    if match.group(1):
        details.extra["gvc"] = match.group(1)
        joined = joined[3:]
    fields: dict[str, list[str]] = {}
    pattern = re.compile(re.escape(separator) + r"([0-9]{2})")
    pieces = pattern.split(joined)
    # pieces: ["", "00", "text", "20", "text", ...]
    for index in range(1, len(pieces) - 1, 2):
        fields.setdefault(pieces[index], []).append(pieces[index + 1])
    purpose_keys = [f"{n}" for n in range(20, 30)] + [f"{n}" for n in range(60, 64)]
    purpose = [v for key in purpose_keys for v in fields.get(key, [])]
    posting = join_text(fields.get("00", []))
    if posting:
        details.extra["posting_text"] = posting
    for key, name in (("10", "primanota"), ("34", "return_code")):
        value = join_text(fields.get(key, []))
        if value:
            details.extra[name] = value
    bic = compact("".join(fields.get("30", [])))
    account = compact("".join(fields.get("31", [])) or "".join(fields.get("38", [])))
    details.counterparty_name = clean_text(
        "".join(fields.get("32", []) + fields.get("33", []))
    )
    if bic and is_bic(bic.upper()):
        details.counterparty_bic = bic.upper()
    elif bic:
        details.extra["bank_code"] = bic
    details.counterparty_account = account
    runs = _runs(purpose)
    if any(_SEPA_RE.search(run) for run in runs):
        _sepa(runs, details)
    else:
        details.remittance = join_text(runs)


def _runs(purpose: list[str]) -> list[str]:
    """Glue purpose subfields that continue each other.

    Banks cut SEPA text mechanically into 27-character subfields, so a full
    subfield continues in the next one (joined without space: the cut may
    fall inside a word or an IBAN). A shorter subfield ends its run, and a
    subfield starting with a SEPA keyword (``EREF+``) always starts one.
    """
    runs: list[str] = []
    previous_full = False
    for value in purpose:
        if runs and previous_full and not _SEPA_START_RE.match(value):
            runs[-1] += value
        else:
            runs.append(value)
        previous_full = len(value) >= _SUBFIELD_WIDTH
    return runs


def _sepa(runs: list[str], details: Details) -> None:
    """Split SEPA-tagged purpose text (``EREF+...SVWZ+...``)."""
    free: list[str] = []
    values: dict[str, str] = {}
    for run in runs:
        matches = list(_SEPA_RE.finditer(run))
        if not matches:
            free.append(run)
            continue
        free.append(run[: matches[0].start()])
        for index, match in enumerate(matches):
            end = matches[index + 1].start() if index + 1 < len(matches) else len(run)
            value = clean_text(run[match.end() : end])
            if value:
                values.setdefault(match.group(1), value)
    prefix = join_text(free)
    details.end_to_end_id = values.get("EREF")
    details.customer_reference = values.get("KREF")
    for key, name in (
        ("MREF", "mandate_id"),
        ("CRED", "creditor_id"),
        ("DEBT", "debtor_id"),
        ("ABWA", "ultimate_debtor"),
        ("ABWE", "ultimate_creditor"),
        ("PURP", "purpose_code"),
    ):
        if key in values:
            details.extra[name] = values[key]
    if not details.counterparty_account and values.get("IBAN"):
        details.counterparty_account = compact(values["IBAN"])
    if not details.counterparty_bic and values.get("BIC"):
        details.counterparty_bic = compact(values["BIC"])
    details.remittance = join_text([values.get("SVWZ"), prefix])


def _slash(joined: str, details: Details) -> None:
    """ING / Rabobank style ``/KEY/value/KEY/value``."""
    matches = list(_SLASH_RE.finditer(joined))
    values: dict[str, str] = {}
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(joined)
        value = joined[match.end() : end]
        value = value.removeprefix("/")
        values.setdefault(match.group(1), value.rstrip("/"))
    eref = clean_text(values.get("EREF"))
    details.end_to_end_id = eref if eref and eref.upper() != "NOTPROVIDED" else None
    cntp = values.get("CNTP")
    if cntp is not None:
        parts = (cntp.split("/") + ["", "", "", ""])[:4]
        details.counterparty_account = compact(parts[0])
        details.counterparty_bic = compact(parts[1])
        details.counterparty_name = clean_text(parts[2])
        if clean_text(parts[3]):
            details.extra["counterparty_city"] = clean_text(parts[3])
    details.counterparty_name = details.counterparty_name or clean_text(
        values.get("NAME")
    )
    details.counterparty_account = details.counterparty_account or compact(
        values.get("IBAN")
    )
    details.counterparty_bic = details.counterparty_bic or compact(values.get("BIC"))
    remi = values.get("REMI")
    if remi is not None:
        head, _, rest = remi.partition("/")
        if head == "USTD":
            details.remittance = clean_text(rest.lstrip("/"))
        elif head == "STRD":
            # /REMI/STRD/CUR/<reference>/ : Dutch "betalingskenmerk"
            _, _, ref = rest.partition("/")
            details.structured_reference = compact(ref.strip("/")) or None
        else:
            details.remittance = clean_text(remi)
    if details.remittance is None and values.get("SVWZ"):
        details.remittance = clean_text(values["SVWZ"])
    for key in values.keys() & _SLASH_EXTRA.keys():
        value = clean_text(values[key])
        if value:
            details.extra[_SLASH_EXTRA[key]] = value
    if details.structured_reference is None and details.extra.get("creditor_reference"):
        details.structured_reference = details.extra["creditor_reference"]


def parse_details(lines: list[str]) -> Details:
    """Read an ``:86:`` field given as its physical lines."""
    details = Details()
    joined = "".join(lines).strip()
    if not joined:
        return details
    if _ZKA_RE.match(joined):
        _zka(joined, details)
    elif joined.startswith("/") and len(_SLASH_RE.findall(joined)) >= 1:
        _slash(joined, details)
    else:
        details.remittance = join_text(lines)
    account = details.counterparty_account
    if account and is_valid_iban(account.upper()):
        details.counterparty_account = account.upper()
    if details.structured_reference is None:
        details.structured_reference = find_structured_reference(details.remittance)
    return details
