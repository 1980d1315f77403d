# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Tamper-evident hash chain for the audit log.

Each entry stores ``hash = sha256(prev_hash + "\\n" + canonical_json(content))``
where ``prev_hash`` is the hash of the previous entry (:data:`GENESIS` for the
first one). Editing, deleting or reordering any entry breaks every following
link, which :func:`verify_chain` detects.

The content must be hashed exactly as it is stored and read back: e.g.
``Decimal("1.0")`` and ``Decimal("1.00")`` serialise differently, and a
datetime read back without its microseconds will not match.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from decimal import Decimal

_logger = logging.getLogger(__name__)

__all__ = ["GENESIS", "canonical_json", "compute_hash", "verify_chain"]

GENESIS = "0" * 64


def _default(obj):
    if isinstance(obj, Decimal):
        # str() keeps the exact value and exponent; floats would round.
        return str(obj)
    if isinstance(obj, (datetime, date, time)):
        return obj.isoformat()
    if isinstance(obj, (set, frozenset)):
        # Sort by the canonical form so mixed types still sort deterministically.
        return sorted(obj, key=lambda item: canonical_json(item))
    raise TypeError(
        f"Object of type {type(obj).__name__} is not canonical-JSON serialisable"
    )


def canonical_json(obj) -> bytes:
    """Deterministic UTF-8 JSON: sorted keys, no whitespace, no NaN.

    ``Decimal`` -> string, ``datetime``/``date`` -> ISO 8601, sets -> sorted
    lists. Two equal structures always give the same bytes whatever the key
    insertion order.
    """
    return json.dumps(
        obj,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=_default,
    ).encode("utf-8")


def compute_hash(prev_hash: str, content: Mapping) -> str:
    """Hash of an entry chained to ``prev_hash``."""
    digest = hashlib.sha256()
    digest.update(prev_hash.encode("ascii"))
    digest.update(b"\n")
    digest.update(canonical_json(content))
    return digest.hexdigest()


def verify_chain(
    entries: Iterable[tuple[int, str, str, Mapping]],
    start_hash: str = GENESIS,
) -> int | None:
    """Return the id of the first broken entry, or None if the chain is intact.

    ``entries`` yields ``(entry_id, prev_hash, stored_hash, content)`` in
    chain order and is consumed lazily (pass a generator reading the table
    in batches). An entry is broken when its ``prev_hash`` is not the
    previous entry's stored hash (``start_hash``, i.e. :data:`GENESIS`, for
    the first one) or when its recomputed hash differs from ``stored_hash``.
    ``start_hash`` lets a verification resume from an already verified
    checkpoint.
    """
    expected_prev = start_hash
    count = 0
    for entry_id, prev_hash, stored_hash, content in entries:
        count += 1
        if prev_hash != expected_prev:
            _logger.warning(
                "Audit chain broken at entry %s: previous hash mismatch", entry_id
            )
            return entry_id
        if compute_hash(prev_hash, content) != stored_hash:
            _logger.warning(
                "Audit chain broken at entry %s: content hash mismatch", entry_id
            )
            return entry_id
        expected_prev = stored_hash
    _logger.debug("Audit chain intact (%s entries checked)", count)
    return None
