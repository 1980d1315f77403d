# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Fixture loading and *independent* signing helpers for the pure-lib tests.

The signing helpers re-implement the gateways' documented algorithms with
the standard library only (not with the module under test), so a bug in the
module's HMAC code makes the tests fail instead of agreeing with itself.
"""

import base64
import copy
import hashlib
import hmac
import json
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"

#: HMAC key the Adyen fixture batches were signed with (test-only key).
ADYEN_TEST_KEY = "6D2F5C9A0B8E4F1A3C7D9E2B5A8F0C1D4E7A9B2C5D8E1F3A6B9C2D5E8F1A4B7C"
ADYEN_OTHER_KEY = "0F1E2D3C4B5A69788796A5B4C3D2E1F00F1E2D3C4B5A69788796A5B4C3D2E1F0"
STRIPE_SECRET = "whsec_test_8d3b1f0c6a2e4d7f9b5c1a3e6d8f0b2c"
STRIPE_NEW_SECRET = "whsec_test_new_1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d"


def fixture_bytes(*parts: str) -> bytes:
    return FIXTURES.joinpath(*parts).read_bytes()


def fixture_json(*parts: str):
    return json.loads(fixture_bytes(*parts))


def stripe_event(name: str) -> bytes:
    return fixture_bytes("stripe", f"{name}.json")


def stripe_event_dict(name: str) -> dict:
    return fixture_json("stripe", f"{name}.json")


def to_body(document) -> bytes:
    return json.dumps(document, indent=2).encode()


def stripe_sign(secret: str, body: bytes, timestamp: int) -> str:
    """Stripe: hex HMAC-SHA256(secret, "<t>.<body>")."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def stripe_header(body: bytes, timestamp: int, *secrets: str) -> str:
    parts = [f"t={timestamp}"]
    parts += [f"v1={stripe_sign(secret, body, timestamp)}" for secret in secrets]
    return ",".join(parts)


def adyen_sign(hex_key: str, item: dict) -> str:
    """Adyen: base64 HMAC-SHA256(unhex(key), documented colon-joined fields)."""
    amount = item.get("amount", {})
    values = [
        item.get("pspReference", ""),
        item.get("originalReference", ""),
        item.get("merchantAccountCode", ""),
        item.get("merchantReference", ""),
        str(amount.get("value", "")),
        amount.get("currency", ""),
        item.get("eventCode", ""),
        item.get("success", ""),
    ]
    digest = hmac.new(
        bytes.fromhex(hex_key), ":".join(values).encode(), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode()


def adyen_batch(name: str) -> dict:
    return fixture_json("adyen", name)


def resign_adyen(document: dict, hex_key: str, only: int | None = None) -> dict:
    """Copy of a batch with item signatures recomputed with ``hex_key``."""
    document = copy.deepcopy(document)
    for index, wrapper in enumerate(document["notificationItems"]):
        if only is not None and index != only:
            continue
        item = wrapper["NotificationRequestItem"]
        item.setdefault("additionalData", {})["hmacSignature"] = adyen_sign(
            hex_key, item
        )
    return document


def adyen_item(
    event_code: str,
    psp: str,
    value: int,
    currency: str,
    success: str = "true",
    original: str | None = None,
    merchant_ref: str = "INV/2024/00100",
    event_date: str = "2024-06-17T12:00:00+02:00",
    additional: dict | None = None,
    key: str = ADYEN_TEST_KEY,
) -> dict:
    """One signed NotificationRequestItem wrapper shaped like Adyen's."""
    item = {
        "additionalData": dict(additional or {}),
        "amount": {"currency": currency, "value": value},
        "eventCode": event_code,
        "eventDate": event_date,
        "merchantAccountCode": "O2CShopEUR",
        "merchantReference": merchant_ref,
        "paymentMethod": "visa",
        "pspReference": psp,
        "success": success,
    }
    if original:
        item["originalReference"] = original
    item["additionalData"]["hmacSignature"] = adyen_sign(key, item)
    return {"NotificationRequestItem": item}


def adyen_body(*wrappers: dict, live: str = "false") -> bytes:
    return to_body({"live": live, "notificationItems": list(wrappers)})
