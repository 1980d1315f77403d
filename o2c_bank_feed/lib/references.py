# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Payment references: normalisation, ISO 11649 (RF) and invoice-number keys.

The reconciliation engine never compares references as typed by people. Both
sides are reduced to *keys*:

* the open item side (an Odoo invoice number, a payment reference, a payout
  id) goes through :func:`ref_keys`;
* the bank side (structured reference, EndToEndId, free-text remittance) goes
  through :func:`line_keys`, which combines :func:`ref_keys`,
  :func:`extract_rf` and :func:`extract_candidates`.

A line matches an item by reference when the two key sets intersect. Keys are
plain strings, so the engine can store them in an indexed column and look
candidates up with SQL (``WHERE key = ANY(%s)``) instead of looping in Python.

Two kinds of key exist for a sequence-numbered document such as
``INV/2026/00042``:

* the *full* key, ``INV202600042``: upper-case alphanumerics only, so
  separators and case never matter;
* the *canonical* key, ``INV2026#42``: the sequence number without its zero
  padding, so "INV/2026/0042" (a padding typo) still meets the invoice. The
  ``#`` marker keeps canonical keys in their own namespace: without it the
  canonical key of the monthly number ``INV/2026/01/0042`` ("INV20260142")
  would equal the full key of the unrelated ``INV/2026/0142``.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence

from stdnum import iso11649
from stdnum.iso7064 import mod_97_10

_logger = logging.getLogger(__name__)

__all__ = [
    "CANONICAL_MARK",
    "default_invoice_patterns",
    "extract_candidates",
    "extract_rf",
    "is_valid_rf",
    "line_keys",
    "make_rf",
    "normalize_ref",
    "ref_keys",
]

#: Separates the prefix from the unpadded sequence number in canonical keys.
CANONICAL_MARK = "#"

_NON_ALNUM = re.compile(r"[^A-Z0-9]")
#: An RF reference is "RF", 2 check digits and 1 to 21 alphanumerics.
_RF_SHAPE = re.compile(r"^RF[0-9]{2}[A-Z0-9]{1,21}$")
#: Start of an RF reference in free text; people print it in groups of four
#: ("RF18 5390 0754 7034"), so the body is collected chunk by chunk.
_RF_START = re.compile(r"(?<![A-Za-z0-9])RF\s?[0-9]{2}", re.IGNORECASE)
_RF_CHUNK = re.compile(r"[ \-]?([A-Za-z0-9]+)")
#: Separators tolerated between the parts of an invoice number in free text.
_SEP = r"[\s/\\\-_.:#]{0,3}"
#: A digit as OCR and people type it: O for 0, I / l / | for 1.
_DIGIT = r"[0-9OIL|]"
_OCR_DIGITS = str.maketrans({"O": "0", "I": "1", "L": "1", "|": "1"})
#: Name prefix of the empty group that carries a pattern's journal prefix.
_PREFIX_GROUP = "jp_"
#: A number that ref_keys can split without separators: letters, year, seq.
_PACKED_NUMBER = re.compile(r"^([A-Z]+)((?:19|20)[0-9]{2})?([0-9]+)$")


def normalize_ref(s: str | None) -> str:
    """Reduce a reference to upper-case ASCII letters and digits.

    Accents are folded (``é`` -> ``E``) before everything else that is not
    alphanumeric is dropped, so "inv/2026-00042" and "INV 2026 00042" give the
    same key. ``None`` gives ``""``.
    """
    if not s:
        return ""
    folded = unicodedata.normalize("NFKD", str(s))
    folded = folded.encode("ascii", "ignore").decode("ascii")
    return _NON_ALNUM.sub("", folded.upper())


def _mod97(alnum: str) -> int:
    """ISO 7064 MOD 97-10 of an alphanumeric string (A=10 ... Z=35)."""
    return mod_97_10.checksum(alnum)


def is_valid_rf(ref: str | None) -> bool:
    """Whether ``ref`` is a well-formed ISO 11649 creditor reference.

    The reference is normalised first (spaces are allowed in print), then
    checked by python-stdnum's ``iso11649`` ("RFcc" moved to the end,
    letters converted to numbers, the result mod 97 must equal 1) after our
    own shape check (ASCII alphanumerics only: stdnum would read an Arabic
    digit as a digit). Check digits 00, 01 and 99 are refused although 99
    and 01 can satisfy the modulus: the standard computes them as
    ``98 - n % 97``, which only yields 02..98, so no issuer produces them and
    accepting them would accept a typo.
    """
    norm = normalize_ref(ref)
    if not _RF_SHAPE.match(norm):
        return False
    if norm[2:4] in ("00", "01", "99"):
        return False
    return iso11649.is_valid(norm)


def make_rf(body: str) -> str:
    """Build the RF reference for ``body`` (used by tests and invoicing).

    :raises ValueError: when the body is empty or longer than 21 characters
        once normalised.
    """
    norm = normalize_ref(body)
    if not 1 <= len(norm) <= 21:
        raise ValueError("RF body must have 1 to 21 alphanumeric characters")
    return f"RF{mod_97_10.calc_check_digits(norm + 'RF')}{norm}"


def extract_rf(text: str | None) -> list[str]:
    """Valid RF references found in free text, normalised, in order, unique.

    After the "RFcc" start, alphanumeric chunks separated by single spaces or
    dashes are collected (at most 21 characters of body). The longest prefix
    ending on a chunk boundary whose check digits verify wins. Cutting only at
    chunk boundaries, never inside a chunk, keeps the ~1/97 chance that an
    arbitrary prefix validates by accident out of the result.
    """
    found: list[str] = []
    if not text:
        return found
    for start in _RF_START.finditer(text):
        head = normalize_ref(start.group(0))
        pos = start.end()
        body = ""
        ends: list[int] = []
        while len(body) < 21:
            chunk = _RF_CHUNK.match(text, pos)
            if not chunk:
                break
            body += normalize_ref(chunk.group(1))
            pos = chunk.end()
            ends.append(len(body))
        for end in reversed(ends):
            if end <= 21 and is_valid_rf(head + body[:end]):
                ref = head + body[:end]
                if ref not in found:
                    found.append(ref)
                break
    return found


def _prefix_regex(prefix: str) -> str:
    """Regex for a journal prefix, tolerant of I/1 and O/0 OCR confusion."""
    parts = []
    for char in normalize_ref(prefix):
        if char == "I":
            parts.append("[I1|]")
        elif char == "O":
            parts.append("[O0]")
        else:
            parts.append(re.escape(char))
    return "".join(parts)


def default_invoice_patterns(prefixes: Sequence[str]) -> list[re.Pattern]:
    """Patterns finding Odoo-style numbers of the given journal prefixes.

    For the prefix "INV" the pattern accepts "INV/2026/00042", "INV 2026
    00042", "inv-2026-42", "INV2026/00042", the monthly form "INV/2026/01/0042"
    and numbers without a year ("INV/00042"). Up to three separators may
    stand between the parts and digits may be mistyped as O / I / |, but the
    sequence must end on a real digit. A prefix must not be glued to a letter
    or digit on its left, so "INV" does not fire inside "RINV/2026/00001".

    Each pattern has the named groups ``prefix``, ``year``, ``month`` and
    ``seq`` that :func:`extract_candidates` relies on, plus an empty group
    named ``jp_<PREFIX>`` carrying the journal prefix as configured, so an OCR
    variant ("1NV") is keyed under the real prefix. Longer prefixes come
    first so that "RINV" is tried before "INV".
    """
    year = rf"(?:[1I|]9|2[0O]){_DIGIT}{{2}}"
    month = r"(?:[0O][1-9]|1[0-2])"
    patterns = []
    unique = {normalize_ref(p) for p in prefixes if normalize_ref(p)}
    for prefix in sorted(unique, key=lambda p: (-len(p), p)):
        tag = f"(?P<{_PREFIX_GROUP}{prefix}>)"
        patterns.append(
            re.compile(
                rf"(?<![A-Za-z0-9]){tag}(?P<prefix>{_prefix_regex(prefix)}){_SEP}"
                rf"(?:(?P<year>{year}){_SEP}"
                rf"(?:(?P<month>{month})[\s/\\\-_.]{{1,3}})?)?"
                rf"(?P<seq>{_DIGIT}{{0,11}}[0-9])(?![0-9])",
                re.IGNORECASE,
            )
        )
    return patterns


def _digits(text: str) -> str:
    """Digits of an OCR-tolerant group: O -> 0, I / l / | -> 1."""
    return normalize_ref(text.upper().translate(_OCR_DIGITS))


def _keys_from_match(match: re.Match) -> tuple[str, ...]:
    groups = match.re.groupindex
    if "seq" not in groups or "prefix" not in groups:
        return (normalize_ref(match.group(0)),)
    prefix = next(
        (g[len(_PREFIX_GROUP) :] for g in groups if g.startswith(_PREFIX_GROUP)),
        normalize_ref(match.group("prefix")),
    )
    middle = ""
    for name in ("year", "month"):
        if name in groups and match.group(name):
            middle += _digits(match.group(name))
    seq = _digits(match.group("seq"))
    full = prefix + middle + seq
    return (full, f"{prefix}{middle}{CANONICAL_MARK}{int(seq)}")


def extract_candidates(text: str | None, patterns: Sequence[re.Pattern]) -> list[str]:
    """Keys of invoice-number-like tokens found in free text.

    For every match the full key ("INV202600042") and the canonical key
    ("INV2026#42", see the module docstring) are returned, in order of
    appearance, without duplicates. Patterns without the ``prefix`` / ``seq``
    groups contribute the normalised text of their match only. Prefix
    characters typed as digits ("1NV") are mapped back to the journal's
    letters so the key equals the one :func:`ref_keys` computes.
    """
    if not text:
        return []
    found = sorted(
        (match.start(), index, rank, key)
        for index, pattern in enumerate(patterns)
        for match in pattern.finditer(text)
        for rank, key in enumerate(_keys_from_match(match))
    )
    keys: list[str] = []
    for *_position, key in found:
        if key and key not in keys:
            keys.append(key)
    return keys


def ref_keys(number: str | None) -> set[str]:
    """Keys under which an open item is indexed, from one of its references.

    ``number`` is an invoice number, payment reference or payout id as Odoo
    stores it. The full key is always present. When the last
    separator-delimited part is a number ("INV/2026/00042"), the canonical key
    drops its zero padding ("INV2026#42"); a number written without
    separators ("INV202600042") is split as letters + optional year +
    sequence, the same way :func:`default_invoice_patterns` reads free text.
    A valid RF reference is kept as is: its digits are part of a checksum,
    so no canonical form applies.
    """
    full = normalize_ref(number)
    if not full:
        return set()
    keys = {full}
    if is_valid_rf(full):
        return keys
    parts = [normalize_ref(p) for p in re.split(r"[^A-Za-z0-9]+", number or "")]
    parts = [p for p in parts if p]
    if len(parts) > 1 and parts[-1].isdigit():
        keys.add("".join(parts[:-1]) + CANONICAL_MARK + str(int(parts[-1])))
    elif len(parts) == 1:
        packed = _PACKED_NUMBER.match(full)
        if packed:
            head = packed.group(1) + (packed.group(2) or "")
            keys.add(head + CANONICAL_MARK + str(int(packed.group(3))))
    return keys


def line_keys(
    structured: Iterable[str | None],
    text: str | None,
    patterns: Sequence[re.Pattern] = (),
) -> frozenset[str]:
    """All keys of a bank line: ``BankLine.refs`` is meant to be this.

    ``structured`` holds the structured creditor reference, EndToEndId and
    similar fields (each indexed like an open item reference, plus any number
    the patterns find in it, which catches padding typos there too);
    ``text`` is the unstructured remittance information, searched for RF
    references and invoice numbers.
    """
    keys: set[str] = set()
    for ref in structured:
        if ref:
            keys |= ref_keys(ref)
            keys.update(extract_candidates(ref, patterns))
    keys.update(extract_rf(text))
    keys.update(extract_candidates(text, patterns))
    return frozenset(keys)
