# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import json

import pytest

from ..lib.masking import (
    MASK,
    iban_valid,
    is_sensitive_key,
    luhn_valid,
    mask_data,
    mask_headers,
    mask_json_text,
    mask_text,
)

VISA = "4111111111111111"  # Luhn-valid test card
VISA_BAD = "4111111111111112"  # same length, Luhn-invalid


@pytest.mark.parametrize(
    "digits, valid",
    [
        (VISA, True),
        (VISA_BAD, False),
        ("5555555555554444", True),
        ("378282246310005", True),  # Amex, 15 digits
        ("79927398713", True),
        ("", False),
        ("12a4", False),
    ],
)
def test_luhn(digits, valid):
    assert luhn_valid(digits) is valid


@pytest.mark.parametrize(
    "text, expected",
    [
        (f"card {VISA} ok", "card ••••••••••••1111 ok"),
        ("card 4111 1111 1111 1111", "card •••• •••• •••• 1111"),
        ("card 4111-1111-1111-1111.", "card ••••-••••-••••-1111."),
        ("amex 378282246310005", "amex •••••••••••0005"),
        # A card followed by another number is still found.
        ("4111 1111 1111 1111 12 27", "•••• •••• •••• 1111 12 27"),
    ],
)
def test_mask_luhn_valid_cards(text, expected):
    assert mask_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        f"ref {VISA_BAD}",
        "4111 1111 1111 1112",
        "order 123456789012",  # 12 digits: too short
        "id 41111111111111110000",  # 22 contiguous digits: not a card
        "phone +33 6 12 34 56 78",
        "date 2026-03-01 amount 1234.56",
    ],
)
def test_non_cards_untouched(text):
    assert mask_text(text) == text


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "IBAN DE89 3704 0044 0532 0130 00 received",
            "IBAN DE•• •••• •••• •••• ••30 00 received",
        ),
        ("iban=GB29NWBK60161331926819;", "iban=GB••••••••••••••••6819;"),
        # A following upper-case word is not swallowed into a grouped IBAN.
        ("BE68 5390 0754 7034 EUR", "BE•• •••• •••• 7034 EUR"),
    ],
)
def test_mask_iban(text, expected):
    assert mask_text(text) == expected


def test_iban_checksum():
    assert iban_valid("DE89 3704 0044 0532 0130 00")
    assert iban_valid("FR7630006000011234567890189")
    assert not iban_valid("DE88 3704 0044 0532 0130 00")
    assert not iban_valid("DE89")


@pytest.mark.parametrize(
    "value",
    [
        "DE54 3704 0044 0532 0130 001",  # 19-digit BBAN: Germany has 18
        "XX11 3704 0044 0532 0130 001",  # no such IBAN country
    ],
)
def test_iban_check_knows_the_country_format(value):
    # the check digits fit (a bare mod-97 accepted these), the country does not
    compact = value.replace(" ", "")
    rearranged = compact[4:] + compact[:4]
    assert int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1
    assert not iban_valid(value)


def test_grouped_candidate_that_is_no_iban_is_still_masked_whole():
    # iban_valid only decides whether a trailing group is the next word:
    # a candidate refused by it is masked all the same
    assert mask_text("DE54 3704 0044 0532 0130 001") == "DE•• •••• •••• •••• •••0 001"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("contact john.doe@example.com now", "contact j••••@example.com now"),
        ("<a+b@sub.example.co.uk>", "<a••••@sub.example.co.uk>"),
        ("x@y.io", "x••••@y.io"),
    ],
)
def test_mask_emails(text, expected):
    assert mask_text(text) == expected


@pytest.mark.parametrize(
    "text, leaked",
    [
        ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc", "eyJhbGci"),
        ("auth Basic dXNlcjpwYXNz", "dXNlcjpwYXNz"),
        ("Token 9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b", "9944b091"),
        ("GET /v1/x?api_key=sk_live_123&page=2", "sk_live_123"),
        ("client_secret=abc123&grant=x", "abc123"),
        ('{"password": "hunter2", "truncated', "hunter2"),
        ('"accessToken":"tok_987"', "tok_987"),
    ],
)
def test_mask_credentials(text, leaked):
    masked = mask_text(text)
    assert leaked not in masked
    assert MASK in masked


def test_credentials_masking_keeps_context():
    assert mask_text("GET /v1/x?api_key=sk_1&page=2") == "GET /v1/x?api_key=••••&page=2"
    assert mask_text("Bearer abc.def-123") == "Bearer ••••"


@pytest.mark.parametrize(
    "text",
    [
        "basic information about the token expired yesterday",
        "page=2&sort=name",
        '{"name": "ACME", "count": 3}',
        "",
    ],
)
def test_prose_untouched(text):
    assert mask_text(text) == text


@pytest.mark.parametrize(
    "key, sensitive",
    [
        ("password", True),
        ("client_secret", True),
        ("X-API-KEY", True),
        ("apiKey", True),
        ("access_token", True),
        ("Card-Number", True),
        ("cvc", True),
        ("signature", True),
        ("key", True),
        ("name", False),
        ("iban", False),
        ("amount", False),
        ("idempotency_key", False),
    ],
)
def test_sensitive_keys(key, sensitive):
    assert is_sensitive_key(key) is sensitive


def test_mask_data_nested():
    data = {
        "id": "ord_1",
        "customer": {"email": "jane@example.com", "iban": "DE89370400440532013000"},
        "payment": {
            "card_number": VISA,
            "CVC": 123,
            "token": {"id": "tok_1", "type": "card"},
            "client_secret": None,
        },
        "lines": [{"note": f"paid with {VISA}"}, {"qty": 2, "price": 9.5}],
        "Authorization": "Bearer xyz",
        "pan_as_number": int(VISA),
        "ok": True,
    }
    masked = mask_data(data)
    assert masked["id"] == "ord_1"
    assert masked["customer"] == {
        "email": "j••••@example.com",
        "iban": "DE••••••••••••••••3000",
    }
    assert masked["payment"] == {
        "card_number": MASK,
        "CVC": MASK,
        "token": {"id": MASK, "type": MASK},
        "client_secret": None,
    }
    assert masked["lines"] == [
        {"note": "paid with ••••••••••••1111"},
        {"qty": 2, "price": 9.5},
    ]
    assert masked["Authorization"] == MASK
    assert masked["pan_as_number"] == "••••••••••••1111"
    assert masked["ok"] is True
    # The input is not modified.
    assert data["payment"]["card_number"] == VISA
    assert VISA not in json.dumps(masked)


def test_mask_headers():
    headers = {
        "Authorization": "Bearer sk_live_abc",
        "Cookie": "session=abc",
        "X-Api-Key": "k123",
        "X-O2C-Signature": "t=1,v1=abc",
        "X-Auth-Token": "zzz",
        "X-Client-Secret": "s",
        "Stripe-Signature": "t=1,v1=ff",
        "Idempotency-Key": "8c1e-uuid",
        "Content-Type": "application/json",
        "X-Customer": "bob@example.com",
        "X-Empty-Token": "",
    }
    masked = mask_headers(headers)
    assert masked == {
        "Authorization": "Bearer ••••",
        "Cookie": MASK,
        "X-Api-Key": MASK,
        "X-O2C-Signature": MASK,
        "X-Auth-Token": MASK,
        "X-Client-Secret": MASK,
        "Stripe-Signature": MASK,
        "Idempotency-Key": "8c1e-uuid",
        "Content-Type": "application/json",
        "X-Customer": "b••••@example.com",
        "X-Empty-Token": "",
    }
    assert mask_headers(None) == {}
    assert mask_headers({"authorization": b"Basic Zm9vOmJhcg=="}) == {
        "authorization": "Basic ••••"
    }


def test_mask_json_text_parses_and_pretty_prints():
    text = json.dumps({"api_key": "sk_1", "customer": {"email": "al@x.org"}})
    masked = mask_json_text(text)
    assert json.loads(masked) == {"api_key": MASK, "customer": {"email": "a••••@x.org"}}
    assert "\n  " in masked  # indent=2
    assert mask_json_text(text.encode()) == masked


def test_mask_json_text_falls_back_to_text():
    assert mask_json_text(f"not json {VISA}") == "not json ••••••••••••1111"
    assert mask_json_text('"a string"') == '"a string"'
    assert mask_json_text(None) == ""
    truncated = '{"secret": "abc", "card": "' + VISA
    assert "abc" not in mask_json_text(truncated)
    assert VISA not in mask_json_text(truncated)


def test_long_text_is_fast():
    import time

    text = ("a.b-c_d " * 20000) + ("x" * 100000) + (" 1 2 3" * 10000)
    start = time.perf_counter()
    mask_text(text)
    assert time.perf_counter() - start < 2.0
