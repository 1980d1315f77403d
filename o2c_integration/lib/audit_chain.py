# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Tamper-evident, keyed hash chain for the audit log.

Each entry stores ``hash = HMAC-SHA256(key, prev_hash + "\\n" + canonical_json(content))``
where ``prev_hash`` is the hash of the previous entry (:data:`GENESIS` for the
first one) and ``key`` a sealing key from the server configuration (never from
the database), named in the entry by its :func:`key_id`. Editing, deleting or
reordering any entry breaks every following link; without the key nobody can
recompute a chain that verifies. Without a configured key the chain falls back to
the plain ``sha256(...)`` of :func:`compute_hash`, which only catches accidents:
whoever can write the table can recompute it.

Removing entries at the end (or all of them) leaves a shorter chain that links
perfectly; signed *digests* of the chain head (:func:`build_digest`), kept outside
the audit table, catch that: :func:`verify_sealed_chain` takes their heads as
checkpoints.

The content must be hashed exactly as it is stored and read back: e.g.
``Decimal("1.0")`` and ``Decimal("1.00")`` serialise differently, and a
datetime read back without its microseconds will not match.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

_logger = logging.getLogger(__name__)

__all__ = [
    "CONFIG_OPTION",
    "ENV_VAR",
    "GENESIS",
    "UNKEYED",
    "AuditKeyError",
    "AuditKeyring",
    "ChainReport",
    "SealedEntry",
    "build_digest",
    "canonical_json",
    "compute_hash",
    "digest_problem",
    "entry_hash",
    "key_id",
    "stamp",
    "stamp_valid",
    "verify_chain",
    "verify_digest_sequence",
    "verify_sealed_chain",
]

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


# --- keyed sealing (HMAC) -------------------------------------------------

#: Server option / environment variable holding the sealing keys (primary first).
CONFIG_OPTION = "o2c_audit_keys"
ENV_VAR = "O2C_AUDIT_KEYS"
#: A sealing key is a secret string of at least this many characters
#: (``python3 -c "import secrets; print(secrets.token_urlsafe(32))"``).
MIN_KEY_LENGTH = 32
#: ``key_id`` of entries and digests sealed without a key (plain SHA-256).
UNKEYED = ""
_KEY_SEPARATORS = re.compile(r"[\s,]+")


class AuditKeyError(ValueError):
    """A sealing key is malformed, or an entry names a key that is not configured."""


def key_id(key: str) -> str:
    """Public identifier of a sealing key: the first 8 hex digits of its SHA-256.

    Stored beside every entry and digest so that verification picks the right key
    after a rotation; it reveals nothing usable about the key.
    """
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:8]


class AuditKeyring:
    """The configured sealing keys: the first one seals, all of them verify.

    Rotation: put a new key first, keep the old ones after it (entries and digests
    sealed with them keep verifying), restart. Dropping an old key makes every
    entry it sealed fail verification with "key ... not configured".
    """

    def __init__(self, keys: Sequence[str] = ()):
        if isinstance(keys, str):
            keys = [k for k in _KEY_SEPARATORS.split(keys.strip()) if k]
        self._keys: dict[str, bytes] = {}
        self.primary_id = UNKEYED
        for position, key in enumerate(keys, start=1):
            key = key.strip()
            if len(key) < MIN_KEY_LENGTH:
                # never echo the key: messages end up in logs
                raise AuditKeyError(
                    f"O2C audit sealing key #{position} (from '{CONFIG_OPTION}' / "
                    f"'{ENV_VAR}') is too short: at least {MIN_KEY_LENGTH} characters."
                )
            kid = key_id(key)
            self._keys.setdefault(kid, key.encode("utf-8"))
            if not self.primary_id:
                self.primary_id = kid

    @classmethod
    def from_sources(cls, config_value: str | None, env_value: str | None):
        """Keys from the server option, else the environment variable."""
        for source in (config_value, env_value):
            if source and source.strip():
                return cls(source)
        return cls()

    def __bool__(self) -> bool:
        return bool(self._keys)

    @property
    def key_ids(self) -> list[str]:
        return list(self._keys)

    def key(self, kid: str) -> bytes:
        try:
            return self._keys[kid]
        except KeyError:
            raise AuditKeyError(
                f"audit sealing key {kid!r} is not configured (removed after a "
                "rotation, or the entry was forged)"
            ) from None

    def mac(self, kid: str, message: bytes) -> str:
        """HMAC-SHA256 of ``message`` with key ``kid``; plain SHA-256 if unkeyed."""
        if kid == UNKEYED:
            return hashlib.sha256(message).hexdigest()
        return hmac.new(self.key(kid), message, hashlib.sha256).hexdigest()


def _chain_message(prev_hash: str, content: Mapping) -> bytes:
    return prev_hash.encode("ascii") + b"\n" + canonical_json(content)


def entry_hash(keyring: AuditKeyring, kid: str, prev_hash: str, content) -> str:
    """Chain hash of an entry: ``HMAC-SHA256(key, prev_hash "\\n" canonical_json)``.

    With ``kid == UNKEYED`` this is :func:`compute_hash` (the legacy, forgeable
    plain chain). Raises :class:`AuditKeyError` for an unknown key id.
    """
    return keyring.mac(kid, _chain_message(prev_hash, content))


def stamp(keyring: AuditKeyring, kid: str, content: Mapping) -> str:
    """MAC an entry receives at insert time, before it has a chain position.

    Sealing chains only entries whose stamp verifies, so a row INSERTed by raw SQL
    without the key (a forged or back-dated entry) is never sealed into the chain.
    The domain prefix keeps a stamp from ever being valid as a chain hash.
    """
    return keyring.mac(kid, b"o2c-audit-stamp\n" + canonical_json(content))


def stamp_valid(keyring: AuditKeyring, kid: str, content, stored: str | None) -> bool:
    try:
        expected = stamp(keyring, kid or UNKEYED, content)
    except AuditKeyError:
        return False
    return bool(stored) and hmac.compare_digest(expected, stored)


# --- verification report --------------------------------------------------


@dataclass
class SealedEntry:
    """One sealed entry as read back: ``content`` is what its hash covers."""

    id: int
    sequence: int
    prev_hash: str
    hash: str
    key_id: str
    content: Mapping


@dataclass
class ChainReport:
    """Outcome of :func:`verify_sealed_chain`; ``ok`` is False at the first failure."""

    ok: bool = True
    count: int = 0
    keyed: int = 0
    unkeyed: int = 0
    last_sequence: int = 0
    last_hash: str = GENESIS
    broken_id: int | None = None
    broken_sequence: int | None = None
    reason: str = ""
    checkpoints_checked: int = 0
    warnings: list[str] = field(default_factory=list)

    def fail(self, reason: str, entry: SealedEntry | None = None) -> ChainReport:
        self.ok = False
        self.reason = reason
        if entry is not None:
            self.broken_id = entry.id
            self.broken_sequence = entry.sequence
        _logger.warning("Audit chain verification failed: %s", reason)
        return self


def verify_sealed_chain(
    entries: Iterable[SealedEntry],
    keyring: AuditKeyring,
    checkpoints: Mapping[int, str] | None = None,
    *,
    start_sequence: int = 0,
    start_hash: str = GENESIS,
) -> ChainReport:
    """Verify a whole chain, streamed in sequence order, and report the first failure.

    Checked per entry: the sequence follows the previous one (1, 2, 3, ...), the
    ``prev_hash`` link, the key id is configured, the recomputed HMAC (or plain hash
    for ``UNKEYED`` entries) equals the stored hash, and no unkeyed entry follows a
    keyed one (a downgrade to the public algorithm). ``checkpoints`` maps sequences
    to the head hashes that signed digests recorded: the entry at each such
    sequence must carry exactly that hash, and the chain must reach the highest
    one (detects truncation, tail deletion and rewritten history that a forger
    re-hashed consistently). ``start_sequence``/``start_hash`` resume after an
    already trusted head (e.g. the last digest's).
    """
    checkpoints = dict(checkpoints or {})
    report = ChainReport(last_sequence=start_sequence, last_hash=start_hash)
    expected_prev = start_hash
    seen_keyed = False
    for entry in entries:
        expected_seq = report.last_sequence + 1
        if entry.sequence < expected_seq:
            return report.fail(
                f"entry #{entry.sequence} appears again after #{report.last_sequence}",
                entry,
            )
        if entry.sequence != expected_seq:
            return report.fail(
                f"entry #{entry.sequence} follows #{report.last_sequence}: entries "
                f"#{expected_seq}..#{entry.sequence - 1} are missing",
                entry,
            )
        if entry.prev_hash != expected_prev:
            return report.fail(
                f"entry #{entry.sequence}: its previous-hash link does not match "
                f"entry #{report.last_sequence} (an entry was changed or removed)",
                entry,
            )
        kid = entry.key_id or UNKEYED
        if kid == UNKEYED and seen_keyed:
            return report.fail(
                f"entry #{entry.sequence} is sealed without a key after keyed "
                "entries (rewritten with the public algorithm)",
                entry,
            )
        try:
            expected = entry_hash(keyring, kid, entry.prev_hash, entry.content)
        except AuditKeyError as exc:
            return report.fail(f"entry #{entry.sequence}: {exc}", entry)
        if not entry.hash or not hmac.compare_digest(expected, entry.hash):
            return report.fail(
                f"entry #{entry.sequence}: its content does not match its "
                + ("HMAC" if kid else "hash")
                + " (the entry was altered)",
                entry,
            )
        if entry.sequence in checkpoints:
            if not hmac.compare_digest(checkpoints[entry.sequence], entry.hash):
                return report.fail(
                    f"entry #{entry.sequence} differs from the signed digest of the "
                    "chain head at that position (history rewritten)",
                    entry,
                )
            report.checkpoints_checked += 1
        seen_keyed = seen_keyed or kid != UNKEYED
        report.count += 1
        report.keyed += kid != UNKEYED
        report.unkeyed += kid == UNKEYED
        report.last_sequence = entry.sequence
        report.last_hash = entry.hash
        expected_prev = entry.hash
    beyond = [seq for seq in checkpoints if seq > report.last_sequence]
    if beyond:
        return report.fail(
            f"the chain ends at entry #{report.last_sequence} but a signed digest "
            f"recorded entry #{max(beyond)}: entries were removed (truncated table "
            "or deleted tail)"
        )
    if report.unkeyed:
        report.warnings.append(
            f"{report.unkeyed} entries are sealed with the plain SHA-256 chain (no "
            "audit key configured when they were sealed): anyone with write access "
            "to the database can rewrite them undetected"
        )
    return report


# --- signed digests of the chain head ------------------------------------

DIGEST_VERSION = 1
DIGEST_FIELDS = (
    "version",
    "database_uuid",
    "last_sequence",
    "head_hash",
    "count",
    "timestamp",
    "prev_signature",
    "key_id",
)


def build_digest(
    keyring: AuditKeyring,
    *,
    database_uuid: str,
    last_sequence: int,
    head_hash: str,
    count: int,
    timestamp: str,
    prev_signature: str,
) -> dict:
    """A digest of the chain head, signed with the primary key.

    Returns ``{"payload": {...}, "signature": hex}``; the signature is
    ``HMAC-SHA256(key, canonical_json(payload))`` (plain SHA-256 when no key is
    configured: then it only detects a DB-only attacker who cannot touch the
    digest files). ``prev_signature`` chains digests like the entries
    (:data:`GENESIS` for the first one).
    """
    payload = {
        "version": DIGEST_VERSION,
        "database_uuid": database_uuid,
        "last_sequence": last_sequence,
        "head_hash": head_hash,
        "count": count,
        "timestamp": timestamp,
        "prev_signature": prev_signature,
        "key_id": keyring.primary_id,
    }
    return {"payload": payload, "signature": sign_digest(keyring, payload)}


def sign_digest(keyring: AuditKeyring, payload: Mapping) -> str:
    return keyring.mac(
        payload.get("key_id") or UNKEYED,
        b"o2c-audit-digest\n" + canonical_json(payload),
    )


def digest_problem(keyring: AuditKeyring, digest: Mapping) -> str | None:
    """Why ``digest`` cannot be trusted (None if its signature verifies)."""
    payload = digest.get("payload") if isinstance(digest, Mapping) else None
    if not isinstance(payload, Mapping) or set(payload) != set(DIGEST_FIELDS):
        return "malformed digest"
    if payload["count"] != payload["last_sequence"]:
        return "digest count and last sequence disagree"
    try:
        expected = sign_digest(keyring, payload)
    except AuditKeyError as exc:
        return str(exc)
    signature = digest.get("signature")
    if not isinstance(signature, str) or not hmac.compare_digest(expected, signature):
        return "digest signature does not verify (forged or altered digest)"
    return None


def verify_digest_sequence(
    keyring: AuditKeyring, digests: Iterable[Mapping]
) -> str | None:
    """Check signed digests in creation order: signatures, links, growing heads."""
    prev_signature = GENESIS
    last_sequence = 0
    for position, digest in enumerate(digests, start=1):
        problem = digest_problem(keyring, digest)
        if problem:
            return f"digest {position}: {problem}"
        payload = digest["payload"]
        if payload["prev_signature"] != prev_signature:
            return (
                f"digest {position} does not follow digest {position - 1} (a digest "
                "was removed or inserted)"
            )
        if payload["last_sequence"] < last_sequence:
            return (
                f"digest {position} records a shorter chain than digest {position - 1}"
            )
        prev_signature = digest["signature"]
        last_sequence = payload["last_sequence"]
    return None
