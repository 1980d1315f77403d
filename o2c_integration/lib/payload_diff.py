# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Readable differences between an event payload and its corrected version.

Webhook bodies are usually one-line JSON: a line diff of them says "everything
changed". :func:`pretty_json_text` lays JSON out one member per line *without*
parsing its values, so ``77.00`` stays ``77.00`` (a float round trip would show
``77.0`` and hide or invent an amount change); :func:`payload_diff` diffs the
two layouts.

Example::

    >>> print(payload_diff('{"amount": 10.00}', '{"amount": 77.00}'))
    --- original
    +++ corrected
    @@ -1,3 +1,3 @@
     {
    -  "amount": 10.00
    +  "amount": 77.00
     }
"""

from __future__ import annotations

import difflib
import json

__all__ = ["is_json", "payload_diff", "pretty_json_text"]


def is_json(text: str | None) -> bool:
    if not text:
        return False
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def pretty_json_text(text: str, indent: int = 2) -> str:
    """Re-indent valid JSON token by token, keeping every literal as written.

    Text that is not valid JSON is returned unchanged.
    """
    if not is_json(text):
        return text
    out: list[str] = []
    level = 0
    in_string = escaped = False
    pad = " " * indent
    chars = text.strip()
    for index, char in enumerate(chars):
        if in_string:
            out.append(char)
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            continue
        if char in " \t\r\n":
            continue
        if char == '"':
            in_string = True
            out.append(char)
        elif char in "{[":
            rest = chars[index + 1 :].lstrip()
            out.append(char)
            if rest[:1] in ("}", "]"):
                continue  # empty container stays "{}" / "[]"
            level += 1
            out.append("\n" + pad * level)
        elif char in "}]":
            if out and out[-1] in ("{", "["):
                out.append(char)
                continue
            level -= 1
            out.append("\n" + pad * level + char)
        elif char == ",":
            out.append(",\n" + pad * level)
        elif char == ":":
            out.append(": ")
        else:
            out.append(char)
    return "".join(out)


def payload_diff(original: str | None, corrected: str | None, context: int = 3) -> str:
    """Unified diff of the two payloads (JSON laid out first); "" if equal."""
    before = pretty_json_text(original or "").splitlines()
    after = pretty_json_text(corrected or "").splitlines()
    return "\n".join(
        difflib.unified_diff(
            before, after, "original", "corrected", lineterm="", n=context
        )
    )
