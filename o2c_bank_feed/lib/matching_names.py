# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Payer names as banks write them -> partners (pure, no database).

A bank line without reference and without account number still carries the
payer's name, but rarely as the customer is called in Odoo: banks upper-case
it, fold accents ("MUELLER" for "Müller"), abbreviate or drop the legal form
("LTD" for "Limited", no "GmbH"), cut it at 35 or 70 characters (SWIFT
fields, the SEPA name) and some put the words in another order. Everything
here reduces both sides to the same tokens so that those variants compare
equal, and says when a bank name is *consistent* with a partner's name:

* same tokens once legal forms and filler words are dropped, in any order;
* or, for a name of exactly 35 / 70 characters, a prefix of the partner's
  name whose last word may be cut.

:func:`resolve_name` then decides between the partners the engine's indexed
lookup found around the bank name: one consistent partner and no
near-identical sibling means the name is unambiguous; two consistent
partners ("Acme Trading GmbH" and "Acme Trading Ltd" for "ACME TRADING"), or
a sibling whose name differs by a letter, make it ambiguous. Typos fall back
to a fuzzy similarity (rapidfuzz), which is never trusted alone.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from rapidfuzz import fuzz

__all__ = [
    "BANK_NAME_LIMITS",
    "LEGAL_FORMS",
    "NameMatch",
    "NormalizedName",
    "is_consistent",
    "mapping_key",
    "maybe_truncated",
    "normalize_name",
    "resolve_name",
    "search_starts",
]

#: Lengths at which banks cut a name: SWIFT MT 35-character lines, the SEPA
#: 70-character name. A name of that length may have lost its end.
BANK_NAME_LIMITS = (35, 70)

#: Legal forms, as single tokens once dots and spaces between initials are
#: removed ("S.A." -> "SA", "G m b H" -> "GMBH"). Dropped before comparing:
#: banks abbreviate or omit them.
LEGAL_FORMS = frozenset(
    """AB AG AKTIENGESELLSCHAFT APS AS ASA BHD BV BVBA CO COMPANY CORP CORPORATION
    CV EG EI EK EURL EV GBR GES GESMBH GMBH INC INCORPORATED KFT KG KGAA
    KOMMANDITGESELLSCHAFT LDA LIMITED LLC LLP LP LTD MBH NV OG OHG OY OYJ PLC PTY
    SA SAPA SARL SAS SASU SCA SCS SE SL SLU SNC SPA SPRL SPZOO SRL SRO UG VOF ZOO""".split()
)
#: Words that carry no identity ("Smith & Sons" vs "Smith and Sons").
FILLER = frozenset("AND UND ET THE DER DIE DAS LE LA LES DE".split())

#: German umlauts as SEPA's character set writes them; then the two spellings
#: are made equal ("MÜLLER", "MUELLER", "MULLER" all give "MULLER").
_TRANSLIT = str.maketrans({"ß": "ss", "ẞ": "SS", "Æ": "AE", "æ": "ae", "Ø": "O"})
_UMLAUT_PAIRS = re.compile(r"(?<=[A-Z])(AE|OE|UE)")
_TOKEN = re.compile(r"[A-Z0-9]+(?:\.[A-Z0-9]+)*\.?")
_SEPARATORS = re.compile(r"[^A-Z0-9.]+")
#: A sibling whose name is this similar (and carries the same numbers) to the
#: bank name makes the bank name ambiguous.
SIBLING_RATIO = 90.0


@dataclass(frozen=True)
class NormalizedName:
    """``raw``: every token in order; ``tokens``: legal forms / fillers dropped."""

    raw: tuple[str, ...]
    tokens: tuple[str, ...]

    @property
    def norm(self) -> str:
        """Tokens in the written order: the key a prefix (truncation) works on."""
        return " ".join(self.tokens)

    @property
    def key(self) -> str:
        """Tokens sorted: the key word order does not change."""
        return " ".join(sorted(self.tokens))


def _fold(name: str) -> str:
    text = unicodedata.normalize("NFKD", (name or "").translate(_TRANSLIT))
    text = text.encode("ascii", "ignore").decode("ascii").upper()
    return _UMLAUT_PAIRS.sub(lambda m: m.group(1)[0], text)


def _raw_tokens(name: str | None) -> tuple[str, ...]:
    tokens = []
    for chunk in _SEPARATORS.split(_fold(name or "")):
        for token in _TOKEN.findall(chunk):
            token = token.replace(".", "")
            if token:
                tokens.append(token)
    # Initials written apart ("S A", "B V", "G M B H") form one token.
    merged: list[str] = []
    initials = False
    for token in tokens:
        letter = len(token) == 1 and token.isalpha()
        if letter and initials:
            merged[-1] += token
        else:
            merged.append(token)
        initials = letter
    return tuple(merged)


def normalize_name(name: str | None) -> NormalizedName:
    """Upper-case ASCII tokens of ``name``, with and without legal forms.

    >>> normalize_name("Müller Bau GmbH & Co. KG").tokens
    ('MULLER', 'BAU')
    >>> normalize_name("S.A. des Eaux").raw
    ('SA', 'DES', 'EAUX')

    A name made only of legal forms or fillers keeps them (else it would
    compare equal to every other such name).
    """
    raw = _raw_tokens(name)
    tokens = tuple(t for t in raw if t not in LEGAL_FORMS and t not in FILLER)
    return NormalizedName(raw=raw, tokens=tokens or raw)


def mapping_key(name: str | None) -> str:
    """Key of a learned bank name: every token kept, legal form included.

    "ACME GMBH" and "ACME LTD" are two different mappings: a person's
    confirmation of one says nothing about the other.
    """
    return " ".join(_raw_tokens(name))


def maybe_truncated(name: str | None) -> bool:
    """Whether ``name`` has a length at which banks cut names (35 / 70).

    One less counts too: a cut right after a word loses the trailing space.
    """
    length = len((name or "").strip())
    return any(length in (limit - 1, limit) for limit in BANK_NAME_LIMITS)


def search_starts(name: str | None) -> tuple[str, str]:
    """``(norm, key)`` values the engine's index range scans start from.

    For a possibly truncated name the last (maybe partial) word is left out
    of the start, so every partner whose name continues it sorts right after.
    """
    normalized = normalize_name(name)
    tokens = normalized.tokens
    if maybe_truncated(name) and len(tokens) > 1:
        tokens = tokens[:-1]
    return " ".join(tokens), normalized.key


def _prefix_of(cut: tuple[str, ...], full: tuple[str, ...]) -> bool:
    """``cut`` is ``full`` cut inside (or after) its ``len(cut)``-th token."""
    if not cut or len(cut) > len(full):
        return False
    head, last = cut[:-1], cut[-1]
    return full[: len(head)] == head and full[len(head)].startswith(last)


def is_consistent(bank_name: str | None, partner_name: str | None) -> bool:
    """Whether the bank could have written ``bank_name`` for ``partner_name``.

    Case, accents, punctuation, legal forms, fillers and word order never
    matter. A name cut at a bank length limit also matches a partner whose
    name it starts (the last word may be cut, and may be a cut legal form).
    """
    bank, partner = normalize_name(bank_name), normalize_name(partner_name)
    if not bank.tokens or not partner.tokens:
        return False
    if bank.key == partner.key:
        return True
    if not maybe_truncated(bank_name):
        return False
    if _prefix_of(bank.raw, partner.raw) or _prefix_of(bank.tokens, partner.tokens):
        return True
    # Cut inside a legal form or filler: what came before it is the whole name.
    last = bank.raw[-1]
    cut_form = any(form.startswith(last) for form in LEGAL_FORMS | FILLER)
    return cut_form and bank.tokens[:-1] == partner.tokens


@dataclass(frozen=True)
class NameMatch:
    """The partners a bank name points to, and how sure that is.

    ``kind``: "mapped" (a person confirmed this bank name before), "exact"
    (one consistent partner, no sibling), "ambiguous" (several consistent
    partners, or one with a near-identical sibling), "fuzzy" (no consistent
    partner, only similar names) or "none".
    """

    kind: str
    partner_ids: tuple[int, ...] = ()
    ratio: float = 100.0

    @property
    def unambiguous(self) -> bool:
        return self.kind in ("mapped", "exact") and len(self.partner_ids) == 1


def _digits(name: NormalizedName) -> tuple[str, ...]:
    return tuple(t for t in name.tokens if any(c.isdigit() for c in t))


def resolve_name(
    bank_name: str | None,
    partners: Mapping[int, str],
    mapped: int | None = None,
    fuzzy_threshold: float = 85.0,
) -> NameMatch:
    """Which of ``partners`` (id -> name) the bank name designates.

    ``partners`` are the neighbours the engine's index lookup found (names
    sorting around the bank name, by word order and by sorted words);
    ``mapped`` the partner a person confirmed for this bank name. A sibling
    counts when its name is at least :data:`SIBLING_RATIO` similar to the
    bank name and carries the same numbers: "ACME TRADING" is ambiguous
    between "Acme Trading" and "Acme Tradings", not between "Customer 41"
    and "Customer 42".
    """
    if mapped:
        return NameMatch("mapped", (mapped,))
    bank = normalize_name(bank_name)
    if not bank.tokens:
        return NameMatch("none")
    consistent = sorted(
        pid for pid, name in partners.items() if is_consistent(bank_name, name)
    )
    if len(consistent) > 1:
        return NameMatch("ambiguous", tuple(consistent))
    ratios = {
        pid: fuzz.token_sort_ratio(bank.norm, normalize_name(name).norm)
        for pid, name in partners.items()
        if pid not in consistent
    }
    if consistent:
        digits = _digits(bank)
        siblings = sorted(
            pid
            for pid, ratio in ratios.items()
            if ratio >= SIBLING_RATIO
            and _digits(normalize_name(partners[pid])) == digits
        )
        if siblings:
            return NameMatch("ambiguous", tuple(consistent + siblings))
        return NameMatch("exact", tuple(consistent))
    close = sorted(
        (pid for pid, ratio in ratios.items() if ratio >= fuzzy_threshold),
        key=lambda pid: (-ratios[pid], pid),
    )
    if not close:
        return NameMatch("none")
    return NameMatch("fuzzy", tuple(close), ratios[close[0]])
