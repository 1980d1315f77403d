# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Hypothesis property tests of the backbone's pure core.

Kept in one module so the Hypothesis set-up below applies to all of them.
"""

import json
import os
import random
import re
import sys
import tempfile
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ..lib.audit_chain import GENESIS, canonical_json, compute_hash, verify_chain
from ..lib.masking import luhn_valid, mask_data, mask_text
from ..lib.retry import backoff_delay, parse_retry_after
from ..lib.signature import sign, verify


def _quiet_hypothesis():
    """Keep Hypothesis from writing into the repository and scanning Odoo.

    Hypothesis stores its data under ``./.hypothesis`` (the repo root when
    tests run from there) and harvests literals from every "local" module for
    its generators: Odoo is not installed in site-packages, so that means
    ~1000 Odoo modules parsed on the first property test (seconds). The
    modules already imported are marked as seen (a private, guarded API).
    """
    try:
        from hypothesis.configuration import set_hypothesis_home_dir
        from hypothesis.internal.conjecture import providers
    except ImportError:  # pragma: no cover - other Hypothesis versions
        return
    if not os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        set_hypothesis_home_dir(os.path.join(tempfile.gettempdir(), "o2c-hypothesis"))
    seen = getattr(providers, "_seen_modules", None)
    if isinstance(seen, set):
        seen.update(id(module) for module in list(sys.modules.values()))


_quiet_hypothesis()


@pytest.fixture(autouse=True)
def _skip_odoo_constants():
    # pytest-odoo imports the addons after collection: mark them again.
    _quiet_hypothesis()


FAST = settings(database=None, deadline=None, max_examples=150)
#: Recursive structures are slower to generate: fewer examples.
SLOW = settings(database=None, deadline=None, max_examples=40)


def _luhn_complete(prefix15: str) -> str:
    """Append the check digit making a 16-digit Luhn-valid number."""
    for check in "0123456789":
        if luhn_valid(prefix15 + check):
            return prefix15 + check
    raise AssertionError("unreachable")


cards = st.text("0123456789", min_size=15, max_size=15).map(_luhn_complete)
# Surrounding text that cannot glue digits to the card number.
filler = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="0123456789"),
    max_size=30,
)
separators = st.sampled_from(["", " ", "-"])


@FAST
@given(card=cards, before=filler, after=filler, sep=separators)
def test_masking_never_leaks_luhn_valid_card(card, before, after, sep):
    formatted = sep.join(card[i : i + 4] for i in range(0, 16, 4))
    masked = mask_text(f"{before} {formatted} {after}")
    digits = re.sub(r"\D", "", masked)
    assert card not in digits
    assert card[:12] not in digits
    assert formatted[-4:] in masked  # last 4 kept for support


@FAST
@given(card=cards, key=st.sampled_from(["note", "pan", "Card Number", "x"]))
def test_mask_data_never_leaks_cards(card, key):
    data = {key: [card, {"deep": f"paid {card}"}, int(card)]}
    assert card not in json.dumps(mask_data(data))


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=10)
    | st.decimals(allow_nan=False, allow_infinity=False).map(Decimal),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=8,
)


@SLOW
@given(st.dictionaries(st.text(max_size=6), json_values, max_size=6), st.randoms())
def test_canonical_json_is_order_independent(mapping, rnd):
    items = list(mapping.items())
    rnd.shuffle(items)
    assert canonical_json(dict(items)) == canonical_json(mapping)
    # and it is valid JSON
    json.loads(canonical_json(mapping))


@SLOW
@given(
    st.lists(
        st.dictionaries(st.text(max_size=4), json_values, max_size=3),
        min_size=1,
        max_size=6,
    ),
    st.data(),
)
def test_any_single_content_edit_is_detected(contents, data):
    entries, prev = [], GENESIS
    for index, content in enumerate(contents, start=1):
        stored = compute_hash(prev, content)
        entries.append((index, prev, stored, content))
        prev = stored
    assert verify_chain(iter(entries)) is None
    victim = data.draw(st.integers(min_value=0, max_value=len(entries) - 1))
    entry_id, prev_hash, stored, content = entries[victim]
    edited = dict(content, __tampered__=True)
    entries[victim] = (entry_id, prev_hash, stored, edited)
    assert verify_chain(iter(entries)) == entry_id


@FAST
@given(
    attempt=st.integers(min_value=1, max_value=5000),
    base=st.floats(min_value=0.001, max_value=100),
    cap=st.floats(min_value=0.001, max_value=3600),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_backoff_within_bounds(attempt, base, cap, seed):
    nominal = cap if attempt > 64 else min(base * 2 ** (attempt - 1), cap)
    delay = backoff_delay(attempt, base, cap, rng=random.Random(seed))
    assert nominal / 2 - 1e-9 <= delay <= nominal + 1e-9
    assert delay > 0
    assert delay <= cap + 1e-9


@FAST
@given(st.text(max_size=40))
def test_parse_retry_after_never_raises_nor_negative(value):
    result = parse_retry_after(value)
    assert result is None or result >= 0


@FAST
@given(
    body=st.binary(max_size=200),
    secret=st.text(min_size=1, max_size=20),
    timestamp=st.integers(min_value=0, max_value=2**40),
    flip=st.integers(min_value=0, max_value=10_000),
)
def test_signature_round_trip_and_tamper(body, secret, timestamp, flip):
    header = sign(secret, body, timestamp)
    verify([secret], body, header, now=timestamp)
    if body:
        index = flip % len(body)
        tampered = body[:index] + bytes([body[index] ^ 1]) + body[index + 1 :]
        try:
            verify([secret], tampered, header, now=timestamp)
        except Exception as exc:
            assert type(exc).__name__ == "BadSignature"
        else:
            raise AssertionError("tampered body accepted")
