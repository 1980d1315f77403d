# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import base64
import copy
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from ..lib import adyen
from ..lib.events import Kind, MalformedPayload, SignatureError
from .lib_fixtures import (
    ADYEN_OTHER_KEY,
    ADYEN_TEST_KEY,
    adyen_batch,
    adyen_body,
    adyen_item,
    adyen_sign,
    fixture_bytes,
    resign_adyen,
    to_body,
)


def _events(name, **options):
    return adyen.parse_items(fixture_bytes("adyen", name), **options)


# -- HMAC ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "item", "expected"),
    [
        # Published test vectors of Adyen's own libraries.
        (
            "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056",
            {
                "pspReference": "7914073381342284",
                "merchantReference": "TestPayment-1407325143704",
                "merchantAccountCode": "TestMerchant",
                "amount": {"currency": "EUR", "value": 1130},
                "eventCode": "AUTHORISATION",
                "success": "true",
            },
            "coqCmt/IZ4E3CzPvMY8zTjQVL5hYJUiBRg8UU+iCWo0=",
        ),
        (  # a colon inside a signed field is NOT escaped
            "74F490DD33F7327BAECC88B2947C011FC02D014A473AAA33A8EC93E4DC069174",
            {
                "pspReference": "M8NB66SBZSGLNK82",
                "merchantReference": ":slashes are fun",
                "merchantAccountCode": "AntoniStroinski",
                "amount": {"currency": "EUR", "value": 1000},
                "eventCode": "AUTHORISATION",
                "success": "true",
            },
            "2EQYm7YJpKO4EtHSPu55SQTyWf8dkW5u2nD1tJFpViA=",
        ),
        (  # nor are backslashes
            "74F490DD33F7327BAECC88B2947C011FC02D014A473AAA33A8EC93E4DC069174",
            {
                "pspReference": "T7FD4VM4D3RZNN82",
                "merchantReference": json.loads(r'"\\\\slashes are fun"'),
                "merchantAccountCode": "AntoniStroinski",
                "amount": {"currency": "EUR", "value": 1000},
                "eventCode": "AUTHORISATION",
                "success": "true",
            },
            "nIgT81gaB5oJpn2jPXupDq68iRo2wUlBsuYjtYfwKqo=",
        ),
    ],
)
def test_known_answer_vectors(key, item, expected):
    assert adyen.compute_hmac(key, item) == expected
    assert adyen.compute_hmac(key.lower(), item) == expected


def test_signing_string_layout():
    item = adyen_batch("refund_kwd.json")["notificationItems"][0][
        "NotificationRequestItem"
    ]
    assert adyen.signing_string(item) == (
        "W3N7QK2P9F6JZS82:K8RD4XJ9MZ2QPL82:O2CShopEUR:RINV/2024/00009:12345:KWD:"
        "REFUND:true"
    )
    assert adyen.signing_string({"eventCode": "X", "success": True}) == "::::::X:true"
    assert adyen.compute_hmac(ADYEN_TEST_KEY, item) == adyen_sign(ADYEN_TEST_KEY, item)


@pytest.mark.parametrize(
    "name",
    [
        "authorisation_batch.json",
        "authorisation_jpy.json",
        "refund_kwd.json",
        "dispute_batch.json",
        "modifications_batch.json",
    ],
)
def test_fixture_batches_verify(name):
    body = fixture_bytes("adyen", name)
    items = adyen.verify_notification(body, [ADYEN_TEST_KEY])
    assert len(items) == len(json.loads(body)["notificationItems"])
    assert all("pspReference" in item for item in items)


def test_wrong_key_refused():
    body = fixture_bytes("adyen", "authorisation_batch.json")
    with pytest.raises(adyen.AdyenSignatureError) as excinfo:
        adyen.verify_notification(body, [ADYEN_OTHER_KEY])
    assert excinfo.value.item_index == 0
    assert excinfo.value.psp_reference == "QFQTPCQ8HXSKGK82"
    assert excinfo.value.reason == "signature mismatch"
    assert isinstance(excinfo.value, SignatureError)


def test_rotated_keys_any_key_may_match_any_item():
    document = resign_adyen(adyen_batch("authorisation_batch.json"), ADYEN_OTHER_KEY, 1)
    body = to_body(document)
    # Item 0 signed with the old key, item 1 with the new one.
    items = adyen.verify_notification(body, [ADYEN_OTHER_KEY, ADYEN_TEST_KEY])
    assert [item["pspReference"] for item in items] == [
        "QFQTPCQ8HXSKGK82",
        "NC6HT9CRT65ZGN82",
    ]
    with pytest.raises(adyen.AdyenSignatureError) as excinfo:
        adyen.verify_notification(body, [ADYEN_TEST_KEY])
    assert excinfo.value.item_index == 1


def test_batch_with_one_tampered_item_is_refused_whole():
    document = adyen_batch("dispute_batch.json")
    document["notificationItems"][2]["NotificationRequestItem"]["amount"]["value"] = 1
    with pytest.raises(adyen.AdyenSignatureError) as excinfo:
        adyen.verify_notification(to_body(document), [ADYEN_TEST_KEY])
    assert excinfo.value.item_index == 2
    assert excinfo.value.psp_reference == "FV8N3K2LQ9XZTR82"
    assert "item 2" in str(excinfo.value)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("merchantReference", "INV/2024/99999"),
        ("eventCode", "REFUND"),
        ("success", "false"),
        ("pspReference", "QFQTPCQ8HXSKGK83"),
        ("originalReference", "SOMETHINGELSE"),
    ],
)
def test_every_signed_field_is_covered(field, value):
    document = adyen_batch("authorisation_batch.json")
    document["notificationItems"][0]["NotificationRequestItem"][field] = value
    with pytest.raises(adyen.AdyenSignatureError):
        adyen.verify_notification(to_body(document), [ADYEN_TEST_KEY])


def test_missing_signature_and_key_problems():
    document = adyen_batch("refund_kwd.json")
    unsigned = copy.deepcopy(document)
    del unsigned["notificationItems"][0]["NotificationRequestItem"]["additionalData"]
    with pytest.raises(adyen.AdyenSignatureError) as excinfo:
        adyen.verify_notification(to_body(unsigned), [ADYEN_TEST_KEY])
    assert excinfo.value.reason == "missing hmacSignature"
    body = to_body(document)
    with pytest.raises(adyen.AdyenSignatureError) as excinfo:
        adyen.verify_notification(body, [])
    assert excinfo.value.item_index is None
    assert excinfo.value.reason == "no hmac key configured"
    with pytest.raises(adyen.AdyenSignatureError) as excinfo:
        adyen.verify_notification(body, ["not-hex-at-all"])
    assert "invalid hmac key" in excinfo.value.reason


@pytest.mark.parametrize(
    "body",
    [b"", b"[accepted]", b"{}", b'{"notificationItems": []}', b'{"live": "false"}'],
)
def test_not_a_notification_batch(body):
    with pytest.raises(MalformedPayload):
        adyen.verify_notification(body, [ADYEN_TEST_KEY])


def _basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_basic_auth():
    header = _basic("ws_o2c", "s3cr:et")
    assert adyen.verify_basic_auth(header, "ws_o2c", "s3cr:et")
    assert adyen.verify_basic_auth(
        header.replace("Basic", "basic"), "ws_o2c", "s3cr:et"
    )
    assert not adyen.verify_basic_auth(header, "ws_o2c", "other")
    assert not adyen.verify_basic_auth(header, "someone", "s3cr:et")
    assert not adyen.verify_basic_auth(_basic("ws_o2c", ""), "ws_o2c", "s3cr:et")
    assert not adyen.verify_basic_auth(None, "ws_o2c", "s3cr:et")
    assert not adyen.verify_basic_auth("Bearer abc", "ws_o2c", "s3cr:et")
    assert not adyen.verify_basic_auth("Basic %%%not-base64", "ws_o2c", "s3cr:et")
    # Unconfigured credentials never open the endpoint.
    assert not adyen.verify_basic_auth(_basic("", ""), "", "")


def test_ack_body():
    assert adyen.ACK_BODY == "[accepted]"


# -- event mapping ---------------------------------------------------------------


def test_authorisation_success_and_failure():
    ok, refused = _events("authorisation_batch.json")
    assert ok.kind is Kind.PAYMENT_SUCCEEDED
    assert ok.gateway == "adyen"
    assert ok.event_id == "QFQTPCQ8HXSKGK82:AUTHORISATION:true"
    assert ok.amount == Decimal("100.00") and ok.currency == "EUR"
    assert ok.charge_ref == ok.object_ref == ok.payment_ref == "QFQTPCQ8HXSKGK82"
    assert ok.invoice_ref == "INV/2024/00077"
    assert ok.order_ref == "S00077"
    assert ok.customer_ref == "odoo-partner-14"
    assert ok.account == "O2CShopEUR"
    assert ok.occurred_at == datetime(2024, 6, 17, 12, 2, 11, tzinfo=UTC)
    assert ok.reason is None
    assert ok.livemode is False
    assert refused.kind is Kind.PAYMENT_FAILED
    assert refused.event_id == "NC6HT9CRT65ZGN82:AUTHORISATION:false"
    assert refused.reason == "Refused"
    assert refused.amount == Decimal("49.99")


def test_zero_decimal_jpy_and_three_decimal_kwd():
    (jpy,) = _events("authorisation_jpy.json")
    assert jpy.amount == Decimal(5000) and jpy.currency == "JPY"
    (kwd,) = _events("refund_kwd.json")
    assert kwd.kind is Kind.REFUND_SUCCEEDED
    assert kwd.amount == Decimal("12.345") and kwd.currency == "KWD"
    assert kwd.charge_ref == "K8RD4XJ9MZ2QPL82"  # originalReference
    assert kwd.object_ref == "W3N7QK2P9F6JZS82"


def test_adyen_minor_units_differ_from_stripe_for_clp():
    body = adyen_body(adyen_item("AUTHORISATION", "CLP0000000000001", 1500000, "CLP"))
    (event,) = adyen.parse_items(body)
    assert event.amount == Decimal("15000.00")


def test_dispute_lifecycle():
    notified, chargeback, reversed_, second = _events("dispute_batch.json")
    assert notified.kind is chargeback.kind is Kind.DISPUTE_OPENED
    assert notified.business_key == chargeback.business_key
    assert notified.event_id != chargeback.event_id
    assert chargeback.charge_ref == "QFQTPCQ8HXSKGK82"
    assert chargeback.object_ref == "FV8N3K2LQ9XZTR82"
    assert chargeback.due_by == datetime(2024, 7, 8, 8, 15, 30, tzinfo=UTC)
    assert chargeback.reason.startswith("10.4")
    assert chargeback.status == "Pending"
    assert reversed_.kind is Kind.DISPUTE_WON
    assert second.kind is Kind.DISPUTE_LOST
    assert second.amount == Decimal("100.00")


def test_modifications_and_payouts():
    capture, cancel_or_refund, refund_failed, payout, reversed_, report = _events(
        "modifications_batch.json"
    )
    assert capture.kind is Kind.IGNORED  # automatic capture by default
    assert capture.charge_ref == "QFQTPCQ8HXSKGK82"
    assert cancel_or_refund.kind is Kind.REFUND_SUCCEEDED
    assert cancel_or_refund.charge_ref == "M7QJ3X5PZK9RWT82"
    assert cancel_or_refund.amount == Decimal("25.00")
    assert refund_failed.kind is Kind.REFUND_FAILED
    assert refund_failed.reason == "Refund failed: account closed"
    assert payout.kind is Kind.PAYOUT_PAID
    assert payout.object_ref == "Z5RM8K3QW2XJTP82" and payout.charge_ref is None
    assert payout.amount == Decimal("750.00")
    assert reversed_.kind is Kind.PAYOUT_FAILED
    assert report.kind is Kind.IGNORED
    assert report.raw_type == "REPORT_AVAILABLE"


def test_capture_is_payment_flag():
    auth, _refused = _events("authorisation_batch.json", capture_is_payment=True)
    assert auth.kind is Kind.IGNORED  # only an authorisation
    capture = _events("modifications_batch.json", capture_is_payment=True)[0]
    assert capture.kind is Kind.PAYMENT_SUCCEEDED
    assert capture.charge_ref == "QFQTPCQ8HXSKGK82"
    assert capture.object_ref == "T4XG8P2MZ5QWKR82"
    assert capture.amount == Decimal("100.00")


@pytest.mark.parametrize(
    ("code", "success", "action", "capture_is_payment", "expected"),
    [
        ("REFUND", "false", None, False, Kind.REFUND_FAILED),
        ("CANCEL_OR_REFUND", "true", "cancel", True, Kind.IGNORED),
        ("CANCEL_OR_REFUND", "true", "cancel", False, Kind.REFUND_SUCCEEDED),
        ("CANCEL_OR_REFUND", "false", "refund", False, Kind.REFUND_FAILED),
        ("CAPTURE_FAILED", "true", None, False, Kind.PAYMENT_FAILED),
        ("CAPTURE", "false", None, True, Kind.PAYMENT_FAILED),
        ("REFUNDED_REVERSED", "true", None, False, Kind.REFUND_FAILED),
        ("PREARBITRATION_LOST", "true", None, False, Kind.DISPUTE_LOST),
        ("PREARBITRATION_WON", "true", None, False, Kind.DISPUTE_WON),
        ("PAYOUT_THIRDPARTY", "false", None, False, Kind.PAYOUT_FAILED),
        ("PAYOUT_DECLINE", "true", None, False, Kind.PAYOUT_FAILED),
        ("REQUEST_FOR_INFORMATION", "true", None, False, Kind.IGNORED),
        ("OFFER_CLOSED", "true", None, False, Kind.IGNORED),
        ("CHARGEBACK", "false", None, False, Kind.IGNORED),
    ],
)
def test_event_code_table(code, success, action, capture_is_payment, expected):
    additional = {"modification.action": action} if action else {}
    wrapper = adyen_item(
        code,
        "PSP0000000000042",
        1000,
        "EUR",
        success,
        "ORIG000000000042",
        additional=additional,
    )
    (event,) = adyen.parse_items(adyen_body(wrapper), capture_is_payment)
    assert event.kind is expected
    assert event.event_id == f"PSP0000000000042:{code}:{success}"


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda i: i.pop("eventCode"), "eventCode"),
        (lambda i: i.pop("pspReference"), "pspReference"),
        (lambda i: i.update(success="maybe"), "success"),
        (lambda i: i.update(eventDate="yesterday"), "eventDate"),
        (lambda i: i["amount"].update(value="1000"), "amount.value"),
        (lambda i: i["amount"].update(value=-5), "amount.value"),
        (lambda i: i.pop("amount"), "amount"),
        (lambda i: i.pop("originalReference"), "originalReference"),
    ],
)
def test_malformed_items_name_the_path(mutate, path):
    document = adyen_batch("dispute_batch.json")
    mutate(document["notificationItems"][1]["NotificationRequestItem"])
    with pytest.raises(MalformedPayload) as excinfo:
        adyen.parse_items(to_body(document))
    assert excinfo.value.path == f"notificationItems[1].NotificationRequestItem.{path}"


def test_live_flag_and_out_of_order_items():
    document = adyen_batch("dispute_batch.json")
    document["live"] = "true"
    document["notificationItems"].reverse()
    events = adyen.parse_items(to_body(document))
    assert all(event.livemode for event in events)
    in_order = _events("dispute_batch.json")
    assert [event.event_id for event in events] == [
        event.event_id for event in reversed(in_order)
    ]
    assert {event.business_key for event in events} == {
        event.business_key for event in in_order
    }
