# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""JSON loading with a bound on nesting depth.

``json.loads`` recurses once per nesting level: a body of a few kilobytes nested
thousands of levels deep raises ``RecursionError`` deep inside the decoder (and any
recursive walk of the result would too). A signed webhook body is still untrusted
input, so every inbound path loads JSON through :func:`loads`, which measures the
depth first, in one linear pass, and refuses a document nested deeper than the bound
with :class:`JSONTooDeep`, a ``ValueError`` that says how deep it goes and where.
Catching ``RecursionError`` is not the guard: it depends on the interpreter's stack
and fires after the damage.

Example::

    from odoo.addons.o2c_integration.lib.json_depth import loads
    data = loads(body)  # bytes or str; ValueError if unreadable or too deep
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["DEFAULT_MAX_DEPTH", "JSONTooDeep", "json_depth", "loads"]

#: Deepest nesting accepted. Real provider payloads stay below 15 levels (Stripe
#: events ~8, Adyen notifications 5, our order format 32 for ``x_`` extras); the
#: decoder and the recursive masking of payloads are safe far beyond it.
DEFAULT_MAX_DEPTH = 64

# A string literal (skipped whole, escapes included) or a bracket. Brackets inside
# strings are not structure; a JSON string cannot contain a raw quote, so the
# alternation consumes every string before its brackets can be seen.
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


class JSONTooDeep(ValueError):
    """The document nests arrays/objects deeper than allowed."""

    def __init__(self, max_depth: int, position: int):
        self.max_depth = max_depth
        self.position = position
        super().__init__(
            f"JSON nested deeper than {max_depth} levels (at character {position})"
        )


def json_depth(text: str, max_depth: int | None = None) -> int:
    """Return the maximum nesting depth of the JSON text ``text``.

    Only brackets outside string literals count; the text need not be valid JSON
    (the decoder reports syntax errors). With ``max_depth``, stop at the first
    bracket that goes deeper and raise :class:`JSONTooDeep`.
    """
    depth = deepest = 0
    for match in _TOKENS.finditer(text):
        char = match.group()
        if char in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if max_depth is not None and depth > max_depth:
                    raise JSONTooDeep(max_depth, match.start())
        elif char in "]}":
            depth -= 1
    return deepest


def loads(
    data: bytes | bytearray | str, max_depth: int = DEFAULT_MAX_DEPTH, **kwargs
) -> Any:
    """``json.loads`` that refuses documents nested deeper than ``max_depth``.

    ``data`` is UTF-8 bytes (a BOM is not accepted, as in RFC 8259) or text; keyword
    arguments go to :func:`json.loads`. Raises ``ValueError``:
    :class:`JSONTooDeep`, ``json.JSONDecodeError`` or ``UnicodeDecodeError``.
    """
    text = bytes(data).decode("utf-8") if not isinstance(data, str) else data
    json_depth(text, max_depth)
    return json.loads(text, **kwargs)
