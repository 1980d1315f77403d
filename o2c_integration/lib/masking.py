# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Masking of sensitive values before anything is logged or stored.

Every payload, header set or URL written to the event log goes through these
functions. The rules err on the side of over-masking: a masked order reference
is an inconvenience, a leaked card number or API key is an incident.
"""

from __future__ import annotations

import importlib.machinery
import json
import logging
import re
from collections.abc import Mapping

from . import json_depth

_logger = logging.getLogger(__name__)

__all__ = [
    "MASK",
    "SENSITIVE_KEY_PARTS",
    "iban_valid",
    "is_sensitive_key",
    "luhn_valid",
    "mask_data",
    "mask_headers",
    "mask_json_text",
    "mask_text",
]

MASK = "••••"
_DOT = "•"

#: A key is sensitive when its normalised (lower-case, ``-``/space -> ``_``)
#: name contains one of these. IBANs are not listed: they are recognised by
#: pattern wherever they appear (keeping country + last 4 for support).
SENSITIVE_KEY_PARTS = (
    "secret",
    "token",
    "password",
    "passwd",
    "authorization",
    "api_key",
    "apikey",
    "signature",
    "cvc",
    "cvv",
    "card_number",
    "cardnumber",
    "private_key",
    "credential",
    "cookie",
)
#: Short names that are sensitive only as a whole key (``?key=...``).
_SENSITIVE_EXACT_KEYS = frozenset({"key", "sig", "pwd", "pass", "pin", "auth"})

#: Headers masked as a whole (besides names containing the parts below).
_SENSITIVE_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"}
)
_SENSITIVE_HEADER_PARTS = ("signature", "token", "secret", "key", "auth", "password")
#: Idempotency keys contain "key" but are not secrets, and support needs them.
_HEADER_ALLOWLIST = frozenset({"idempotency-key", "x-idempotency-key"})
_AUTH_SCHEMES = ("bearer", "basic", "token", "digest", "hmac", "apikey")

# Digit runs: groups of digits separated by a single space or dash.
_DIGIT_RUN = re.compile(r"\d+(?:[ -]\d+)*")
_CARD_MIN, _CARD_MAX = 13, 19
# IBAN candidates: compact or in space-separated groups of 4. Upper case only,
# to avoid matching ordinary words.
_IBAN = re.compile(
    r"\b[A-Z]{2}\d{2}(?:[A-Z0-9]{11,30}|(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,4})?)\b"
)
_EMAIL = re.compile(
    r"(?<![\w.%+-])([A-Za-z0-9])[A-Za-z0-9._%+-]*@"
    r"([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})"
)
_AUTH_TOKEN = re.compile(
    r"(?i)\b(bearer|basic|token|digest)(\s+)([A-Za-z0-9\-._~+/]+=*)"
)
# key=value in query strings / form bodies / log lines; the key is checked
# by a callback (a regex listing key parts inside [\w.-]* backtracks badly).
_KEY_VALUE = re.compile(r"(?<![A-Za-z0-9_.-])([A-Za-z0-9_.-]{1,100})=([^&\s\"',;]+)")
# "key": value in JSON-like text that failed to parse (e.g. truncated).
_JSON_PAIR = re.compile(r'"([^"\\]{1,100})"(\s*:\s*)("(?:[^"\\]|\\.)*"|[^\s,}\]]+)')


def _stdnum_iban():
    """``stdnum.iban``, importable inside an Odoo process too.

    Odoo 19 wraps the loader of the packages it monkeypatches (``stdnum``
    among them, see ``odoo/_monkeypatches``) in an object without
    ``get_resource_reader``: ``importlib.resources`` then cannot open
    stdnum's data files ("Can't open orphan path"), and ``stdnum.iban``
    reads the IBAN registry (``iban.dat``) as it is imported. The package
    gets a standard source loader back for its resources; Odoo's patch,
    applied when the package was executed, stays applied.
    """
    import stdnum

    spec = stdnum.__spec__
    if spec and spec.origin and not hasattr(spec.loader, "get_resource_reader"):
        spec.loader = importlib.machinery.SourceFileLoader(spec.name, spec.origin)
    from stdnum import iban

    return iban


stdnum_iban = _stdnum_iban()


def luhn_valid(digits: str) -> bool:
    """Luhn checksum of a string of digits (card numbers)."""
    if not digits.isdigit():
        return False
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if index % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _mask_cards_in_run(run: str) -> str:
    """Mask Luhn-valid 13-19 digit windows of a digit run, keeping last 4.

    Windows are aligned on group boundaries (a card is never the middle of
    a contiguous digit string) but may span separators, so a card followed
    by another number ("4111 1111 1111 1111 12/27") is still found.
    Luhn sums come from prefix sums, so long runs of small numbers (tables,
    "1 2 3 ...") stay linear.
    """
    if len(run) < _CARD_MIN:
        return run
    # Character index of every digit, and where each group starts/ends
    # (as indices into that list).
    char_index = [i for i, char in enumerate(run) if char.isdigit()]
    bounds = []
    count = 0
    for match in re.finditer(r"\d+", run):
        length = match.end() - match.start()
        bounds.append((count, count + length))
        count += length
    # prefix[parity][doubled][k]: Luhn contribution of digits[:k] at positions
    # of that parity, taken plain or doubled.
    prefix = [[[0], [0]], [[0], [0]]]
    for position, index in enumerate(char_index):
        value = ord(run[index]) - 48
        doubled = value * 2 - 9 if value > 4 else value * 2
        for parity in (0, 1):
            on = position % 2 == parity
            prefix[parity][0].append(prefix[parity][0][-1] + (value if on else 0))
            prefix[parity][1].append(prefix[parity][1][-1] + (doubled if on else 0))
    masked = set()
    for first in range(len(bounds)):
        start = bounds[first][0]
        for last in range(first, len(bounds)):
            end = bounds[last][1]  # exclusive
            length = end - start
            if length > _CARD_MAX:
                break
            if length < _CARD_MIN:
                continue
            # Luhn doubles every second digit from the right: positions whose
            # parity differs from the last digit's.
            keep = (end - 1) % 2
            total = (
                prefix[keep][0][end]
                - prefix[keep][0][start]
                + prefix[1 - keep][1][end]
                - prefix[1 - keep][1][start]
            )
            if total % 10 == 0:
                masked.update(char_index[start : end - 4])
    if not masked:
        return run
    return "".join(_DOT if i in masked else char for i, char in enumerate(run))


def iban_valid(iban: str) -> bool:
    """ISO 13616 check of an IBAN (spaces ignored), by python-stdnum.

    Besides the mod-97 check digits, stdnum checks the country's IBAN length
    and BBAN structure (SWIFT registry), so "DE" + 21 digits is refused even
    when its check digits fit. Its country modules are not run: they look
    the bank code up in a bundled list that lags behind new banks.
    """
    compact = iban.replace(" ", "").upper()
    if not compact.isalnum() or not compact.isascii():
        return False
    return stdnum_iban.is_valid(compact, check_country=False)


def _mask_iban(match: re.Match) -> str:
    candidate = match.group(0)
    rest = ""
    if " " in candidate and not iban_valid(candidate):
        # "BE68 5390 0754 7034 EUR": the last "group" may be the next word.
        head, _sep, last = candidate.rpartition(" ")
        if iban_valid(head):
            candidate, rest = head, " " + last
    # Keep the country code and the last 4 characters (not counting spaces).
    chars = list(candidate)
    kept = 0
    for index in range(len(chars) - 1, 1, -1):
        if chars[index] == " ":
            continue
        if kept < 4:
            kept += 1
        else:
            chars[index] = _DOT
    return "".join(chars) + rest


def _looks_like_credential(value: str) -> bool:
    """Tell a credential from an ordinary word after "Bearer"/"Token"...

    Credentials contain digits, symbols or inner capitals (base64, JWT, hex),
    prose ("basic information", "token expired") does not.
    """
    if len(value) < 6:
        return False
    if any(char.isdigit() or char in "-._~+/=" for char in value):
        return True
    return any(char.isupper() for char in value[1:])


def _mask_auth(match: re.Match) -> str:
    if not _looks_like_credential(match.group(3)):
        return match.group(0)
    return f"{match.group(1)}{match.group(2)}{MASK}"


def _mask_key_value(match: re.Match) -> str:
    if not is_sensitive_key(match.group(1)):
        return match.group(0)
    return f"{match.group(1)}={MASK}"


def _mask_json_pair(match: re.Match) -> str:
    if not is_sensitive_key(match.group(1)):
        return match.group(0)
    return f'"{match.group(1)}"{match.group(2)}"{MASK}"'


def mask_text(text: str) -> str:
    """Mask card numbers, IBANs, e-mails and credentials in free text.

    * card numbers (13-19 digits, spaces/dashes allowed) only when
      Luhn-valid, keeping the last 4 digits;
    * IBANs keep the country code and the last 4 characters;
    * e-mails keep the first character and the domain;
    * ``Bearer``/``Basic``/``Token`` credentials, ``secret=...``-like
      key/value pairs and ``"token": "..."``-like JSON pairs are masked.
    """
    if not text:
        return text
    if not isinstance(text, str):
        text = str(text)
    # IBANs first: their digits would otherwise be seen as digit runs.
    text = _IBAN.sub(_mask_iban, text)
    text = _DIGIT_RUN.sub(lambda m: _mask_cards_in_run(m.group(0)), text)
    text = _EMAIL.sub(lambda m: f"{m.group(1)}{MASK}@{m.group(2)}", text)
    text = _AUTH_TOKEN.sub(_mask_auth, text)
    text = _KEY_VALUE.sub(_mask_key_value, text)
    text = _JSON_PAIR.sub(_mask_json_pair, text)
    return text


def is_sensitive_key(key) -> bool:
    """Whether values under this mapping key must be hidden entirely."""
    name = str(key).lower().replace("-", "_").replace(" ", "_")
    if name in _SENSITIVE_EXACT_KEYS:
        return True
    return any(part in name for part in SENSITIVE_KEY_PARTS)


def _mask_all(obj):
    if isinstance(obj, Mapping):
        return {key: _mask_all(value) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_mask_all(value) for value in obj]
    if obj is None:
        return None
    return MASK


def mask_data(obj):
    """Return a masked deep copy of a JSON-like structure.

    Values under sensitive keys (see :data:`SENSITIVE_KEY_PARTS`) become
    ``"••••"`` (``None`` stays ``None``; containers are masked leaf by
    leaf), other strings go through :func:`mask_text`. Integers that look
    like card numbers are masked too (some APIs send PANs as numbers).
    """
    if isinstance(obj, Mapping):
        return {
            key: _mask_all(value) if is_sensitive_key(key) else mask_data(value)
            for key, value in obj.items()
        }
    if isinstance(obj, (list, tuple)):
        return [mask_data(value) for value in obj]
    if isinstance(obj, str):
        return mask_text(obj)
    if isinstance(obj, int) and not isinstance(obj, bool):
        text = str(obj)
        masked = mask_text(text)
        return obj if masked == text else masked
    return obj


def _mask_header_value(value: str) -> str:
    scheme, sep, _rest = value.strip().partition(" ")
    if sep and scheme.lower() in _AUTH_SCHEMES:
        return f"{scheme} {MASK}"
    return MASK


def mask_headers(headers: Mapping[str, str] | None) -> dict:
    """Masked copy of HTTP headers (credentials, cookies, signatures...)."""
    result = {}
    for name, value in (headers or {}).items():
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        value = "" if value is None else str(value)
        lname = str(name).lower()
        if lname in _HEADER_ALLOWLIST:
            result[name] = value
        elif lname in _SENSITIVE_HEADERS or any(
            part in lname for part in _SENSITIVE_HEADER_PARTS
        ):
            result[name] = _mask_header_value(value) if value else value
        else:
            result[name] = mask_text(value)
    return result


def mask_json_text(text: str | bytes | None) -> str:
    """Mask a body: JSON is parsed, masked and pretty-printed, else free text."""
    if text is None:
        return ""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    try:
        # bounded depth: mask_data recurses once per level (see json_depth)
        data = json_depth.loads(text)
    except ValueError:
        return mask_text(text)
    if not isinstance(data, (dict, list)):
        return mask_text(text)
    return json.dumps(mask_data(data), indent=2, ensure_ascii=False)
