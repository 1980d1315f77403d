# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""What an administrator may know about the encryption keys, never the keys.

The Settings page shows whether keys are configured, how many, an id of the primary
key and how many stored secrets are still encrypted under an older key. The id is a
short fingerprint (SHA-256 of the key text, 8 hex digits): it tells two keys apart
and lets an administrator check which key a server runs with, but reveals nothing
usable about the key itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken

__all__ = ["KeyStatus", "key_fingerprint", "key_status"]


def key_fingerprint(key: str) -> str:
    """Return the short public id of a key (8 hex digits of its SHA-256)."""
    return hashlib.sha256(key.strip().encode("utf-8")).hexdigest()[:8]


@dataclass(frozen=True)
class KeyStatus:
    """Key configuration and the secrets' state, safe to show."""

    configured: bool
    count: int
    primary_id: str
    secrets_total: int
    secrets_old_key: int
    error: str = ""


def key_status(keys: Sequence[str], tokens: Iterable[str]) -> KeyStatus:
    """Describe ``keys`` (primary first) against the stored ``tokens``.

    A token that the primary key cannot decrypt counts as "under an older key"
    (encrypted with a key listed after the primary, or with a removed key): both
    need the re-encryption action, which tells the two apart.
    An invalid key is reported in ``error`` (never with the key in it).
    """
    tokens = [token for token in tokens if token]
    keys = [key.strip() for key in keys if key and key.strip()]
    if not keys:
        return KeyStatus(False, 0, "", len(tokens), 0)
    try:
        primary = Fernet(keys[0])
    except (ValueError, TypeError):
        return KeyStatus(
            False,
            len(keys),
            "",
            len(tokens),
            0,
            "the primary key is not a valid Fernet key",
        )
    old = 0
    for token in tokens:
        try:
            primary.decrypt(token.encode("ascii"))
        except (InvalidToken, UnicodeError, AttributeError):
            old += 1
    return KeyStatus(True, len(keys), key_fingerprint(keys[0]), len(tokens), old)
