# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import hashlib
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from ..lib.audit_chain import GENESIS, canonical_json, compute_hash, verify_chain


def build_chain(contents, start=GENESIS):
    entries = []
    prev = start
    for index, content in enumerate(contents, start=1):
        stored = compute_hash(prev, content)
        entries.append((index, prev, stored, content))
        prev = stored
    return entries


CONTENTS = [
    {"action": "create", "model": "sale.order", "res_id": n, "amount": Decimal("10.50")}
    for n in range(1, 6)
]


def test_canonical_json_format():
    data = {
        "b": 1,
        "a": [Decimal("1.10"), date(2026, 3, 1)],
        "é": "ü",
        "t": datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
        "s": {"z", "x", "y"},
    }
    assert (
        canonical_json(data)
        == (
            '{"a":["1.10","2026-03-01"],"b":1,"s":["x","y","z"],'
            '"t":"2026-03-01T12:00:00+00:00","é":"ü"}'
        ).encode()
    )


def test_canonical_json_key_order_independent():
    assert canonical_json({"a": 1, "b": {"c": 2, "d": 3}}) == canonical_json(
        {"b": {"d": 3, "c": 2}, "a": 1}
    )


def test_canonical_json_rejects_nan_and_unknown_types():
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})
    with pytest.raises(TypeError):
        canonical_json({"x": object()})


def test_compute_hash_definition():
    content = {"k": "v"}
    expected = hashlib.sha256(GENESIS.encode() + b"\n" + b'{"k":"v"}').hexdigest()
    assert compute_hash(GENESIS, content) == expected
    assert compute_hash("1" * 64, content) != expected
    assert GENESIS == "0" * 64


def test_intact_chain():
    assert verify_chain(build_chain(CONTENTS)) is None
    assert verify_chain([]) is None


def test_edited_content_detected():
    entries = build_chain(CONTENTS)
    entry_id, prev, stored, content = entries[2]
    entries[2] = (entry_id, prev, stored, dict(content, amount=Decimal("1000.50")))
    assert verify_chain(entries) == 3


def test_decimal_representation_matters():
    entries = build_chain(CONTENTS)
    entry_id, prev, stored, content = entries[1]
    entries[1] = (entry_id, prev, stored, dict(content, amount=Decimal("10.5")))
    assert verify_chain(entries) == 2


def test_edited_stored_hash_detected():
    entries = build_chain(CONTENTS)
    entry_id, prev, _stored, content = entries[3]
    entries[3] = (entry_id, prev, "f" * 64, content)
    assert verify_chain(entries) == 4


def test_recomputed_hash_breaks_next_link():
    # An attacker editing an entry AND recomputing its hash is caught at the
    # next entry, whose prev_hash no longer matches.
    entries = build_chain(CONTENTS)
    entry_id, prev, _stored, content = entries[1]
    forged = dict(content, amount=Decimal("0.01"))
    entries[1] = (entry_id, prev, compute_hash(prev, forged), forged)
    assert verify_chain(entries) == 3


def test_deleted_middle_entry_detected():
    entries = build_chain(CONTENTS)
    del entries[2]
    assert verify_chain(entries) == 4


def test_deleted_first_entry_detected():
    entries = build_chain(CONTENTS)
    assert verify_chain(entries[1:]) == 2


def test_reordered_entries_detected():
    entries = build_chain(CONTENTS)
    entries[1], entries[2] = entries[2], entries[1]
    assert verify_chain(entries) == 3


def test_first_entry_must_start_at_genesis():
    entries = build_chain(CONTENTS, start="a" * 64)
    assert verify_chain(entries) == 1
    assert verify_chain(entries, start_hash="a" * 64) is None


def test_streaming_consumes_lazily():
    consumed = []

    def generate():
        for entry in build_chain(CONTENTS):
            consumed.append(entry[0])
            yield entry

    entries = build_chain(CONTENTS)
    entries[1] = (2, entries[1][1], "0" * 64, entries[1][3])

    def broken():
        for entry in entries:
            consumed.append(entry[0])
            yield entry

    assert verify_chain(generate()) is None
    consumed.clear()
    assert verify_chain(broken()) == 2
    assert consumed == [1, 2]  # stopped at the break, did not read the rest
