# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import hashlib
import hmac

import pytest

from ..lib import signature
from ..lib.exceptions import BadSignature, MissingSignature, StaleTimestamp

SECRET = "whsec_test_1"
BODY = b'{"event":"order.created","id":"evt_1","amount":"12.50"}'
NOW = 1_750_000_000


def test_header_name_and_format():
    assert signature.SIGNATURE_HEADER == "X-O2C-Signature"
    header = signature.sign(SECRET, BODY, NOW)
    expected = hmac.new(
        SECRET.encode(), f"{NOW}.".encode() + BODY, hashlib.sha256
    ).hexdigest()
    assert header == f"t={NOW},v1={expected}"


def test_valid_signature_accepted():
    header = signature.sign(SECRET, BODY, NOW)
    assert signature.verify([SECRET], BODY, header, now=NOW + 10) is None


def test_wrong_secret_refused():
    header = signature.sign("other", BODY, NOW)
    with pytest.raises(BadSignature):
        signature.verify([SECRET], BODY, header, now=NOW)


def test_tampered_body_refused():
    header = signature.sign(SECRET, BODY, NOW)
    with pytest.raises(BadSignature):
        signature.verify([SECRET], BODY.replace(b"12.50", b"1250"), header, now=NOW)


def test_timestamp_is_signed():
    header = signature.sign(SECRET, BODY, NOW)
    forged = header.replace(f"t={NOW}", f"t={NOW + 1}")
    with pytest.raises(BadSignature):
        signature.verify([SECRET], BODY, forged, now=NOW)


@pytest.mark.parametrize("offset", [301, -301, 10_000])
def test_stale_or_future_timestamp_refused(offset):
    header = signature.sign(SECRET, BODY, NOW)
    with pytest.raises(StaleTimestamp):
        signature.verify([SECRET], BODY, header, now=NOW + offset)


@pytest.mark.parametrize("offset", [300, -300, 0])
def test_tolerance_boundary_accepted(offset):
    header = signature.sign(SECRET, BODY, NOW)
    signature.verify([SECRET], BODY, header, now=NOW + offset)


def test_custom_tolerance():
    header = signature.sign(SECRET, BODY, NOW)
    with pytest.raises(StaleTimestamp):
        signature.verify([SECRET], BODY, header, tolerance=5, now=NOW + 6)


def test_default_now_is_current_time():
    import time

    header = signature.sign(SECRET, BODY, int(time.time()))
    signature.verify([SECRET], BODY, header)
    old = signature.sign(SECRET, BODY, int(time.time()) - 3600)
    with pytest.raises(StaleTimestamp):
        signature.verify([SECRET], BODY, old)


@pytest.mark.parametrize("header", [None, "", "   "])
def test_missing_header(header):
    with pytest.raises(MissingSignature):
        signature.verify([SECRET], BODY, header, now=NOW)


@pytest.mark.parametrize("secrets", [[], [""], None])
def test_no_secret_configured_refuses(secrets):
    header = signature.sign(SECRET, BODY, NOW)
    with pytest.raises(MissingSignature) as info:
        signature.verify(secrets, BODY, header, now=NOW)
    assert info.value.reason == "no secret configured"


def test_rotated_secrets_any_may_match():
    header_old = signature.sign("old-secret", BODY, NOW)
    header_new = signature.sign("new-secret", BODY, NOW)
    for header in (header_old, header_new):
        signature.verify(["new-secret", "old-secret"], BODY, header, now=NOW)


def test_several_v1_values_sender_rotation():
    v_old = signature.sign("old-secret", BODY, NOW).split(",")[1]
    header = f"{signature.sign('unknown', BODY, NOW)},{v_old}"
    signature.verify(["old-secret"], BODY, header, now=NOW)


def test_unknown_scheme_ignored_and_spaces_tolerated():
    sig = signature.compute_signature(SECRET, BODY, NOW)
    header = f" t={NOW} , v0=deadbeef, v1={sig.upper()} "
    signature.verify([SECRET], BODY, header, now=NOW)


@pytest.mark.parametrize(
    "header",
    [
        "garbage",
        f"t={NOW}",
        "v1=abcdef",
        f"t=abc,v1={'0' * 64}",
        f"t={NOW},t={NOW},v1={'0' * 64}",
        f"t=-{NOW},v1={'0' * 64}",
        f"t={NOW},v1=",
        f"t={NOW};v1={'0' * 64}",
        "t=1,v1=" + "a" * 5000,
    ],
)
def test_malformed_header_refused(header):
    with pytest.raises(BadSignature):
        signature.verify([SECRET], BODY, header, now=NOW)


def test_empty_body_signed():
    header = signature.sign(SECRET, b"", NOW)
    signature.verify([SECRET], b"", header, now=NOW)
    with pytest.raises(BadSignature):
        signature.verify([SECRET], b"x", header, now=NOW)


def test_verify_uses_compare_digest(monkeypatch):
    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(signature.hmac, "compare_digest", spy)
    signature.verify([SECRET], BODY, signature.sign(SECRET, BODY, NOW), now=NOW)
    assert calls


def test_content_hash():
    assert signature.content_hash(b"abc") == hashlib.sha256(b"abc").hexdigest()
    assert signature.content_hash(b"abc") != signature.content_hash(b"abd")
    assert len(signature.content_hash(b"")) == 64


def test_single_string_secret_is_not_split_into_characters():
    header = signature.sign(SECRET, BODY, NOW)
    signature.verify(SECRET, BODY, header, now=NOW)
    with pytest.raises(BadSignature):
        signature.verify("w", BODY, signature.sign("w" + "x", BODY, NOW), now=NOW)
