# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Tests of the pure reference helpers (RF creditor references, invoice keys)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ..lib import references as r

PATTERNS = r.default_invoice_patterns(["INV", "RINV", "BILL"])


def test_normalize_ref_keeps_only_upper_alnum():
    assert r.normalize_ref(" inv/2026-00042. ") == "INV202600042"
    assert r.normalize_ref("Réf: été 12") == "REFETE12"
    assert r.normalize_ref(None) == ""
    assert r.normalize_ref("") == ""


# -- ISO 11649 ----------------------------------------------------------------


def test_rf_known_example_is_valid():
    # Example of the ISO 11649 standard.
    assert r.is_valid_rf("RF18539007547034")
    assert r.is_valid_rf("RF18 5390 0754 7034")
    assert r.is_valid_rf("rf18 5390 0754 7034")


@pytest.mark.parametrize(
    "ref",
    [
        "RF19539007547034",  # wrong check digits
        "RF18539007547035",  # typo in the body
        "RF18539007574034",  # transposed digits
        "RF18",  # no body
        "RF1853900754703412345678901",  # body longer than 21
        "XX18539007547034",  # not RF
        "RFAB539007547034",  # check digits not numeric
        "",
        None,
    ],
)
def test_rf_invalid(ref):
    assert not r.is_valid_rf(ref)


def _body_with_check(check: str) -> str:
    for n in range(1, 10000):
        if r.make_rf(str(n))[2:4] == check:
            return str(n)
    raise AssertionError("no body found")


def test_rf_non_canonical_check_digits_rejected():
    # 99 = 2 (mod 97) and 01 = 98 (mod 97): they satisfy the modulus, but no
    # issuer computes them, so they are typos.
    body = _body_with_check("02")
    assert r.is_valid_rf(f"RF02{body}")
    assert r._mod97(f"{body}RF99") == 1
    assert not r.is_valid_rf(f"RF99{body}")
    body = _body_with_check("98")
    assert r.is_valid_rf(f"RF98{body}")
    assert not r.is_valid_rf(f"RF01{body}")


def test_make_rf_builds_known_reference():
    assert r.make_rf("5390 0754 7034") == "RF18539007547034"
    with pytest.raises(ValueError):
        r.make_rf("")
    with pytest.raises(ValueError):
        r.make_rf("1" * 22)


@settings(deadline=None)
@given(
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=21)
)
def test_make_rf_always_validates(body):
    ref = r.make_rf(body)
    assert r.is_valid_rf(ref)
    assert 2 <= int(ref[2:4]) <= 98


def test_extract_rf_from_free_text():
    text = "Payment RF18 5390 0754 7034 Invoice 12, thanks. Also rf18539007547034"
    assert r.extract_rf(text) == ["RF18539007547034"]


def test_extract_rf_ignores_invalid_and_glued():
    assert r.extract_rf("ref RF19 5390 0754 7034") == []
    assert r.extract_rf("XRF18539007547034") == []
    assert r.extract_rf("") == []
    assert r.extract_rf(None) == []


def test_extract_rf_stops_at_chunk_boundary():
    ref = r.make_rf("ABC123")
    assert r.extract_rf(f"{ref[:4]} ABC1 23 PAYMENT") == [ref]


# -- invoice numbers ----------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "INV/2026/00042",
        "payment INV 2026 00042 thanks",
        "INV-2026-42",
        "inv2026/00042",
        "INV/2026/0042",
        "INV202600042",
        "Inv. 2026 / 000042",
        "1NV/2O26/00O42",  # OCR: 1 for I, O for 0
        "INV/2026/0OO42",
    ],
)
def test_extract_candidates_variants_meet_ref_keys(text):
    found = r.extract_candidates(text, PATTERNS)
    assert "INV2026#42" in found
    assert set(found) & r.ref_keys("INV/2026/00042")


def test_extract_candidates_full_and_canonical_keys_in_order():
    found = r.extract_candidates("INV/2026/00042 and BILL 2026 7", PATTERNS)
    assert found == ["INV202600042", "INV2026#42", "BILL20267", "BILL2026#7"]


def test_extract_candidates_prefix_boundaries():
    found = r.extract_candidates("credit RINV/2026/00001", PATTERNS)
    assert found == ["RINV202600001", "RINV2026#1"]
    assert r.extract_candidates("INVOICE 2026 paid", PATTERNS) == []
    assert r.extract_candidates("XINV/2026/00042", PATTERNS) == []
    assert r.extract_candidates("nothing here", PATTERNS) == []
    assert r.extract_candidates(None, PATTERNS) == []


def test_extract_candidates_sequence_must_end_on_digit():
    found = r.extract_candidates("INV/2026/00042OK", PATTERNS)
    assert "INV2026#42" in found


def test_extract_candidates_monthly_sequence():
    found = r.extract_candidates("INV/2026/01/0042", PATTERNS)
    assert set(found) == r.ref_keys("INV/2026/01/0042")


def test_extract_candidates_other_year_does_not_match():
    found = set(r.extract_candidates("INV/2025/00042", PATTERNS))
    assert not found & r.ref_keys("INV/2026/00042")


def test_custom_pattern_without_groups_uses_whole_match():
    import re

    pattern = re.compile(r"po_[A-Za-z0-9]+")
    assert r.extract_candidates("payout po_1AbC ok", [pattern]) == ["PO1ABC"]


def test_ref_keys():
    assert r.ref_keys("INV/2026/00042") == {"INV202600042", "INV2026#42"}
    assert r.ref_keys("INV202600042") == {"INV202600042", "INV2026#42"}
    assert r.ref_keys("RINV/2026/01/0007") == {"RINV2026010007", "RINV202601#7"}
    assert r.ref_keys("po_1NabcXYZ") == {"PO1NABCXYZ"}
    assert r.ref_keys("RF18 5390 0754 7034") == {"RF18539007547034"}
    assert r.ref_keys("") == set()
    assert r.ref_keys(None) == set()


def test_canonical_marker_prevents_cross_collision():
    assert not r.ref_keys("INV/2026/01/0042") & r.ref_keys("INV/2026/0142")


def test_line_keys_combines_sources():
    keys = r.line_keys(
        ["INV/2026/0042", None, "E2E-1"],
        "also RF18 5390 0754 7034 and bill-2026-9",
        PATTERNS,
    )
    assert {"INV2026#42", "E2E1", "RF18539007547034", "BILL2026#9"} <= keys


@settings(deadline=None)
@given(
    prefix=st.sampled_from(["INV", "RINV", "BILL"]),
    year=st.integers(1990, 2099),
    seq=st.integers(1, 99999),
    sep=st.sampled_from(["/", " ", "-", "", " / ", "."]),
    pad=st.integers(0, 7),
    lower=st.booleans(),
)
def test_any_spelling_meets_the_invoice_keys(prefix, year, seq, sep, pad, lower):
    number = f"{prefix}/{year}/{seq:05d}"
    written = f"{prefix}{sep}{year}{sep}{str(seq).zfill(pad)}"
    if lower:
        written = written.lower()
    found = r.extract_candidates(f"paid {written} thank you", PATTERNS)
    assert set(found) & r.ref_keys(number)
