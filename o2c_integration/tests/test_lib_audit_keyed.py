# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Keyed sealing and signed digests of the audit chain (pure, no Odoo)."""

import hashlib
import hmac

import pytest

from ..lib.audit_chain import (
    GENESIS,
    UNKEYED,
    AuditKeyError,
    AuditKeyring,
    SealedEntry,
    build_digest,
    canonical_json,
    compute_hash,
    digest_problem,
    entry_hash,
    key_id,
    stamp,
    stamp_valid,
    verify_digest_sequence,
    verify_sealed_chain,
)

KEY = "k" * 40
OLD_KEY = "o" * 40
RING = AuditKeyring([KEY])


def chain(contents, ring=RING, kid=None, start_seq=0, start=GENESIS):
    kid = ring.primary_id if kid is None else kid
    entries, prev = [], start
    for seq, content in enumerate(contents, start=start_seq + 1):
        content = dict(content, sequence=seq)
        digest = entry_hash(ring, kid, prev, content)
        entries.append(SealedEntry(seq * 10, seq, prev, digest, kid, content))
        prev = digest
    return entries


CONTENTS = [{"action": "a", "amount": f"{n}.00"} for n in range(1, 101)]


def digest_of(entries, ring=RING, prev=GENESIS, uuid="db-1"):
    head = entries[-1]
    return build_digest(
        ring,
        database_uuid=uuid,
        last_sequence=head.sequence,
        head_hash=head.hash,
        count=head.sequence,
        timestamp="2026-12-04T12:00:00Z",
        prev_signature=prev,
    )


def test_key_id_and_hmac_definition():
    assert key_id(KEY) == hashlib.sha256(KEY.encode()).hexdigest()[:8]
    content = {"k": "v"}
    expected = hmac.new(
        KEY.encode(), GENESIS.encode() + b"\n" + b'{"k":"v"}', hashlib.sha256
    ).hexdigest()
    assert entry_hash(RING, RING.primary_id, GENESIS, content) == expected
    # unkeyed entries keep the legacy public algorithm
    assert entry_hash(RING, UNKEYED, GENESIS, content) == compute_hash(GENESIS, content)


def test_keyring_sources_rotation_and_errors():
    ring = AuditKeyring.from_sources(None, f"{KEY}, {OLD_KEY}")
    assert ring.primary_id == key_id(KEY)
    assert ring.key_ids == [key_id(KEY), key_id(OLD_KEY)]
    assert AuditKeyring.from_sources(OLD_KEY, KEY).primary_id == key_id(OLD_KEY)
    assert not AuditKeyring.from_sources("  ", None)
    with pytest.raises(AuditKeyError) as err:
        AuditKeyring(["short-secret"])
    assert "short-secret" not in str(err.value)
    with pytest.raises(AuditKeyError):
        RING.key("deadbeef")


def test_intact_chain_and_rotation():
    old = AuditKeyring([OLD_KEY])
    first = chain(CONTENTS[:3], ring=old)
    rotated = AuditKeyring([KEY, OLD_KEY])
    rest = chain(CONTENTS[3:6], ring=rotated, start_seq=3, start=first[-1].hash)
    report = verify_sealed_chain(first + rest, rotated)
    assert report.ok and report.count == 6 and report.keyed == 6
    # dropping the old key makes its entries unverifiable
    report = verify_sealed_chain(first + rest, RING)
    assert not report.ok and report.broken_sequence == 1
    assert "not configured" in report.reason


def test_recomputed_with_public_algorithm_fails():
    """Edit entry 5 and recompute every later hash WITHOUT the key: caught at 5."""
    entries = chain(CONTENTS[:10])
    prev = entries[3].hash
    forged = []
    for entry in entries[4:]:
        content = dict(entry.content)
        if entry.sequence == 5:
            content["amount"] = "0.01"
        digest = compute_hash(prev, content)
        forged.append(
            SealedEntry(entry.id, entry.sequence, prev, digest, UNKEYED, content)
        )
        prev = digest
    report = verify_sealed_chain(entries[:4] + forged, RING)
    assert not report.ok and report.broken_sequence == 5
    assert "public algorithm" in report.reason
    # also when the forger keeps the key id: the HMAC does not match
    keep_kid = [
        SealedEntry(e.id, e.sequence, e.prev_hash, e.hash, RING.primary_id, e.content)
        for e in forged
    ]
    report = verify_sealed_chain(entries[:4] + keep_kid, RING)
    assert not report.ok and report.broken_sequence == 5
    assert "HMAC" in report.reason


def test_wrong_key_cannot_forge():
    """A forger with another key, labelling entries with the real key id, fails."""
    forger_key = ("f" * 40).encode()
    entries, prev = [], GENESIS
    for seq, content in enumerate(CONTENTS[:5], start=1):
        content = dict(content, sequence=seq)
        message = prev.encode() + b"\n" + canonical_json(content)
        digest = hmac.new(forger_key, message, hashlib.sha256).hexdigest()
        entries.append(SealedEntry(seq, seq, prev, digest, RING.primary_id, content))
        prev = digest
    report = verify_sealed_chain(entries, RING)
    assert not report.ok and report.broken_sequence == 1


def test_sequence_gap_and_duplicate():
    entries = chain(CONTENTS[:5])
    report = verify_sealed_chain(entries[:2] + entries[3:], RING)
    assert report.broken_sequence == 4 and "missing" in report.reason
    report = verify_sealed_chain(entries[:3] + entries[2:], RING)
    assert not report.ok and "again" in report.reason


def test_truncation_and_tail_deletion_caught_by_checkpoint():
    entries = chain(CONTENTS)
    checkpoints = {100: entries[-1].hash}
    assert verify_sealed_chain(entries, RING, checkpoints).checkpoints_checked == 1
    report = verify_sealed_chain(entries[:50], RING, checkpoints)
    assert not report.ok and "#100" in report.reason and "removed" in report.reason
    report = verify_sealed_chain([], RING, checkpoints)
    assert not report.ok and report.count == 0
    # without a digest, a shortened chain links perfectly: why digests exist
    assert verify_sealed_chain(entries[:50], RING).ok


def test_checkpoint_mismatch_detected():
    entries = chain(CONTENTS[:10])
    report = verify_sealed_chain(entries, RING, {7: "a" * 64})
    assert report.broken_sequence == 7 and "digest" in report.reason


def test_plain_chain_is_accepted_with_a_warning():
    entries = chain(CONTENTS[:3], kid=UNKEYED)
    report = verify_sealed_chain(entries, AuditKeyring())
    assert report.ok and report.unkeyed == 3 and report.warnings


def test_resume_from_checkpoint():
    entries = chain(CONTENTS[:10])
    report = verify_sealed_chain(
        entries[5:], RING, start_sequence=5, start_hash=entries[4].hash
    )
    assert report.ok and report.count == 5 and report.last_hash == entries[-1].hash


def test_stamp():
    content = {"summary": "x", "nonce": "n1"}
    kid = RING.primary_id
    value = stamp(RING, kid, content)
    assert stamp_valid(RING, kid, content, value)
    assert not stamp_valid(RING, kid, dict(content, summary="y"), value)
    assert not stamp_valid(RING, "deadbeef", content, value)
    assert not stamp_valid(RING, kid, content, None)
    # a stamp is never a valid chain hash of the same bytes
    assert (
        value != hmac.new(KEY.encode(), canonical_json(content), "sha256").hexdigest()
    )
    # without the key, anyone can compute an unkeyed stamp: the model refuses those
    # when a key is configured
    plain = stamp(AuditKeyring(), UNKEYED, content)
    assert stamp_valid(RING, UNKEYED, content, plain)


def test_digest_signature_and_sequence():
    entries = chain(CONTENTS)
    first = digest_of(entries[:40])
    second = digest_of(entries, prev=first["signature"])
    assert digest_problem(RING, first) is None
    assert verify_digest_sequence(RING, [first, second]) is None
    assert "not follow" in verify_digest_sequence(RING, [second])
    altered = {
        "payload": dict(second["payload"], last_sequence=50, count=50),
        "signature": second["signature"],
    }
    assert "does not verify" in digest_problem(RING, altered)
    assert "count" in digest_problem(
        RING, {"payload": dict(second["payload"], count=3), "signature": "x"}
    )
    assert digest_problem(RING, {"payload": {"x": 1}}) == "malformed digest"
    forged = digest_of(entries, ring=AuditKeyring(["f" * 40]))
    assert digest_problem(RING, forged)
