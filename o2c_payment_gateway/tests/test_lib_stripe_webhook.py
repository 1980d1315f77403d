# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import copy
import random
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from ..lib import stripe
from ..lib.events import Kind, MalformedPayload, UnsupportedEvent
from .lib_fixtures import (
    STRIPE_NEW_SECRET,
    STRIPE_SECRET,
    stripe_event,
    stripe_event_dict,
    stripe_header,
    stripe_sign,
    to_body,
)

NOW = 1718625602
BODY = stripe_event("payment_intent.succeeded")


def _reason(excinfo):
    return excinfo.value.reason


# -- signatures --------------------------------------------------------------


def test_compute_signature_matches_stripe_scheme():
    expected = stripe_sign(STRIPE_SECRET, BODY, NOW)
    assert stripe.compute_signature(STRIPE_SECRET, BODY, NOW) == expected
    assert stripe.build_header(STRIPE_SECRET, BODY, NOW) == f"t={NOW},v1={expected}"
    rotated = stripe.build_header(STRIPE_SECRET, BODY, NOW, [STRIPE_NEW_SECRET])
    assert rotated == stripe_header(BODY, NOW, STRIPE_SECRET, STRIPE_NEW_SECRET)


def test_valid_signature_accepted():
    header = stripe_header(BODY, NOW, STRIPE_SECRET)
    assert stripe.verify_webhook(BODY, header, [STRIPE_SECRET], now=NOW + 10) is None
    # v0 (legacy test scheme) and unknown schemes are ignored, spaces tolerated.
    noisy = f"{header}, v0=deadbeef, v9=abc"
    stripe.verify_webhook(BODY, noisy, [STRIPE_SECRET], now=NOW)


def test_wrong_secret_refused():
    header = stripe_header(BODY, NOW, "whsec_someone_else")
    with pytest.raises(stripe.StripeSignatureError) as excinfo:
        stripe.verify_webhook(BODY, header, [STRIPE_SECRET], now=NOW)
    assert _reason(excinfo) == "no matching signature"


def test_tampered_body_refused():
    header = stripe_header(BODY, NOW, STRIPE_SECRET)
    tampered = BODY.replace(b'"amount": 12500', b'"amount": 12600', 1)
    assert tampered != BODY
    with pytest.raises(stripe.StripeSignatureError) as excinfo:
        stripe.verify_webhook(tampered, header, [STRIPE_SECRET], now=NOW)
    assert _reason(excinfo) == "no matching signature"
    # Re-serialised JSON (same data, other bytes) does not verify either.
    reserialised = to_body(stripe_event_dict("payment_intent.succeeded")).replace(
        b"\n", b""
    )
    with pytest.raises(stripe.StripeSignatureError):
        stripe.verify_webhook(reserialised, header, [STRIPE_SECRET], now=NOW)


@pytest.mark.parametrize("offset", [301, -301, 86400])
def test_stale_or_future_timestamp_refused(offset):
    header = stripe_header(BODY, NOW, STRIPE_SECRET)
    with pytest.raises(stripe.StripeSignatureError) as excinfo:
        stripe.verify_webhook(BODY, header, [STRIPE_SECRET], now=NOW + offset)
    assert _reason(excinfo) == "timestamp outside tolerance"
    # Inside a wider tolerance it is fine.
    stripe.verify_webhook(
        BODY, header, [STRIPE_SECRET], tolerance=abs(offset), now=NOW + offset
    )


def test_tolerance_boundary_is_inclusive():
    header = stripe_header(BODY, NOW, STRIPE_SECRET)
    stripe.verify_webhook(BODY, header, [STRIPE_SECRET], now=NOW + 300)
    stripe.verify_webhook(BODY, header, [STRIPE_SECRET], now=NOW - 300)


def test_rotation_two_v1_values_and_two_configured_secrets():
    # Stripe rolls: it signs with the old and the new secret.
    header = stripe_header(BODY, NOW, "whsec_old_expiring", STRIPE_NEW_SECRET)
    stripe.verify_webhook(BODY, header, [STRIPE_NEW_SECRET], now=NOW)
    # We roll first: both secrets configured, Stripe still on the old one.
    header = stripe_header(BODY, NOW, STRIPE_SECRET)
    stripe.verify_webhook(BODY, header, [STRIPE_NEW_SECRET, STRIPE_SECRET], now=NOW)
    with pytest.raises(stripe.StripeSignatureError):
        stripe.verify_webhook(BODY, header, [STRIPE_NEW_SECRET], now=NOW)


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "missing header"),
        ("", "missing header"),
        ("   ", "missing header"),
        ("v1=abc", "no timestamp"),
        ("t=notanumber,v1=abc", "no timestamp"),
        (f"t={NOW}", "no v1 signature"),
        (f"t={NOW},v0=abcdef", "no v1 signature"),
        (f"t={NOW},v1=", "no v1 signature"),
        ("garbage", "no timestamp"),
    ],
)
def test_malformed_headers(header, reason):
    with pytest.raises(stripe.StripeSignatureError) as excinfo:
        stripe.verify_webhook(BODY, header, [STRIPE_SECRET], now=NOW)
    assert _reason(excinfo) == reason


@pytest.mark.parametrize("secrets", [[], [""], None, [None]])
def test_no_secret_configured_refuses(secrets):
    header = stripe_header(BODY, NOW, STRIPE_SECRET)
    with pytest.raises(stripe.StripeSignatureError) as excinfo:
        stripe.verify_webhook(BODY, header, secrets, now=NOW)
    assert _reason(excinfo) == "no secret configured"


def test_signature_error_is_gateway_error():
    from ..lib.events import GatewayError, SignatureError

    assert issubclass(stripe.StripeSignatureError, SignatureError)
    assert issubclass(stripe.StripeSignatureError, GatewayError)


# -- event mapping -------------------------------------------------------------


def test_payment_intent_succeeded_uses_latest_charge():
    event = stripe.parse_event(BODY)
    assert event.gateway == "stripe"
    assert event.kind is Kind.PAYMENT_SUCCEEDED
    assert event.event_id == "evt_3PSl2vLkdIwHu7ix1Cx4XyPQ"
    assert event.amount == Decimal("125.00")
    assert event.currency == "USD"
    assert event.charge_ref == event.object_ref == "ch_3PSl2vLkdIwHu7ix1mN4wEvA"
    assert event.payment_ref == "pi_3PSl2vLkdIwHu7ix1xq0Fh7D"
    assert event.invoice_ref == "INV/2024/00042"
    assert event.order_ref == "S00042"
    assert event.customer_ref == "cus_QJeQbXxv5E2Cvd"
    assert event.occurred_at == datetime(2024, 6, 17, 12, 0, 2, tzinfo=UTC)
    assert event.livemode is False
    assert event.raw_type == "payment_intent.succeeded"
    assert event.fee is None  # balance transaction not expanded
    assert event.metadata["odoo_partner_id"] == "14"


def test_charge_succeeded_same_business_key_as_payment_intent():
    from_charge = stripe.parse_event(stripe_event("charge.succeeded"))
    from_pi = stripe.parse_event(BODY)
    assert from_charge.kind is Kind.PAYMENT_SUCCEEDED
    assert from_charge.event_id != from_pi.event_id
    assert from_charge.business_key == from_pi.business_key
    assert from_charge.payment_ref == from_pi.payment_ref
    assert from_charge.amount == from_pi.amount


def test_expanded_charge_and_balance_transaction_give_fee():
    document = stripe_event_dict("payment_intent.succeeded")
    charge = stripe_event_dict("charge.succeeded")["data"]["object"]
    charge["metadata"] = {"invoice_ref": "INV/FROM-CHARGE"}
    charge["balance_transaction"] = {
        "id": "txn_3PSl2vLkdIwHu7ix1cH2sKc1",
        "object": "balance_transaction",
        "amount": 12500,
        "currency": "usd",
        "fee": 393,
        "net": 12107,
        "type": "charge",
    }
    document["data"]["object"]["latest_charge"] = charge
    event = stripe.parse_event(to_body(document))
    assert event.charge_ref == "ch_3PSl2vLkdIwHu7ix1mN4wEvA"
    assert event.fee == Decimal("3.93")
    assert event.net == Decimal("121.07")
    assert event.invoice_ref == "INV/FROM-CHARGE"  # charge data preferred


def test_fee_not_mixed_across_currencies():
    document = stripe_event_dict("charge.succeeded")
    document["data"]["object"]["balance_transaction"] = {
        "id": "txn_1",
        "currency": "eur",
        "fee": 400,
        "net": 11000,
    }
    event = stripe.parse_event(to_body(document))
    assert event.fee is None and event.net is None


def test_zero_decimal_jpy_charge():
    event = stripe.parse_event(stripe_event("charge.succeeded.jpy"))
    assert event.amount == Decimal(5000)
    assert event.currency == "JPY"
    assert event.invoice_ref == "INV/2024/00043"


def test_uncaptured_charge_is_only_an_authorisation():
    document = stripe_event_dict("charge.succeeded")
    charge = document["data"]["object"]
    charge.update(captured=False, amount_captured=0, balance_transaction=None)
    assert stripe.parse_event(to_body(document)).kind is Kind.IGNORED
    document["type"] = "charge.captured"
    charge.update(captured=True, amount_captured=10000)
    event = stripe.parse_event(to_body(document))
    assert event.kind is Kind.PAYMENT_SUCCEEDED
    assert event.amount == Decimal("100.00")  # partial capture


def test_payment_failed():
    event = stripe.parse_event(stripe_event("payment_intent.payment_failed"))
    assert event.kind is Kind.PAYMENT_FAILED
    assert event.amount == Decimal("49.99")
    assert event.currency == "EUR"
    assert event.charge_ref == "ch_3PSnA1LkdIwHu7ix0Gq9zJpL"
    assert event.payment_ref == "pi_3PSnA1LkdIwHu7ix0r2YbT6u"
    assert "insufficient_funds" in event.reason
    assert event.invoice_ref == "INV/2024/00044"


def test_refund_created_refers_to_original_charge():
    event = stripe.parse_event(stripe_event("refund.created"))
    assert event.kind is Kind.REFUND_SUCCEEDED
    assert event.object_ref == "re_3PSl2vLkdIwHu7ix1uJ6bHtE"
    assert event.charge_ref == "ch_3PSl2vLkdIwHu7ix1mN4wEvA"
    assert event.amount == Decimal("30.00")
    assert event.reason == "requested_by_customer"


def test_refund_failed_and_pending():
    event = stripe.parse_event(stripe_event("refund.updated.failed"))
    assert event.kind is Kind.REFUND_FAILED
    assert event.reason == "expired_or_canceled_card"
    assert event.amount == Decimal("20.00")
    document = stripe_event_dict("refund.created")
    document["data"]["object"]["status"] = "pending"
    assert stripe.parse_event(to_body(document)).kind is Kind.IGNORED
    document["type"] = "refund.failed"
    assert stripe.parse_event(to_body(document)).kind is Kind.REFUND_FAILED


def test_legacy_charge_refund_updated_three_decimal_kwd():
    event = stripe.parse_event(stripe_event("charge.refund.updated.kwd"))
    assert event.kind is Kind.REFUND_SUCCEEDED
    assert event.amount == Decimal("12.340")
    assert event.currency == "KWD"
    assert event.charge_ref == "ch_3PSoB2LkdIwHu7ix1Yb2rKpD"
    assert event.object_ref == "re_3PSoB2LkdIwHu7ix1Lp0xQwE"


def test_charge_refunded_without_embedded_refunds_uses_delta():
    event = stripe.parse_event(stripe_event("charge.refunded"))
    assert event.kind is Kind.REFUND_SUCCEEDED
    assert event.amount == Decimal("30.00")
    assert event.charge_ref == "ch_3PSl2vLkdIwHu7ix1mN4wEvA"
    assert event.object_ref == "ch_3PSl2vLkdIwHu7ix1mN4wEvA#refunded:3000"
    # A second partial refund is a distinct fact with its own key.
    document = stripe_event_dict("charge.refunded")
    document["id"] = "evt_second"
    document["data"]["object"]["amount_refunded"] = 5000
    document["data"]["previous_attributes"] = {"amount_refunded": 3000}
    second = stripe.parse_event(to_body(document))
    assert second.amount == Decimal("20.00")
    assert second.business_key != event.business_key


def test_charge_refunded_with_embedded_refunds_names_the_refund():
    document = stripe_event_dict("charge.refunded")
    refund = stripe_event_dict("refund.created")["data"]["object"]
    older = dict(refund, id="re_older", amount=1000, created=refund["created"] - 99)
    document["data"]["object"]["refunds"] = {
        "object": "list",
        "data": [older, refund],
        "has_more": False,
        "total_count": 2,
        "url": "/v1/charges/ch_3PSl2vLkdIwHu7ix1mN4wEvA/refunds",
    }
    event = stripe.parse_event(to_body(document))
    assert event.object_ref == "re_3PSl2vLkdIwHu7ix1uJ6bHtE"
    assert event.amount == Decimal("30.00")
    assert (
        event.business_key
        == stripe.parse_event(stripe_event("refund.created")).business_key
    )


def test_dispute_created():
    event = stripe.parse_event(stripe_event("charge.dispute.created"))
    assert event.kind is Kind.DISPUTE_OPENED
    assert event.object_ref == "du_1PSpC3LkdIwHu7ixvWb3Nq2K"
    assert event.charge_ref == "ch_3PSl2vLkdIwHu7ix1mN4wEvA"
    assert event.amount == Decimal("125.00")
    assert event.fee == Decimal("15.00")
    assert event.net == Decimal("140.00")
    assert event.reason == "fraudulent"
    assert event.status == "needs_response"
    assert event.due_by == datetime(2024, 7, 18, 12, 0, tzinfo=UTC)


def test_dispute_closed_won_and_lost():
    won = stripe.parse_event(stripe_event("charge.dispute.closed.won"))
    assert won.kind is Kind.DISPUTE_WON
    assert won.object_ref == "du_1PSpC3LkdIwHu7ixvWb3Nq2K"
    lost = stripe.parse_event(stripe_event("charge.dispute.closed.lost"))
    assert lost.kind is Kind.DISPUTE_LOST
    assert lost.amount == Decimal(5000) and lost.currency == "JPY"
    document = stripe_event_dict("charge.dispute.closed.won")
    document["data"]["object"]["status"] = "warning_closed"
    assert stripe.parse_event(to_body(document)).kind is Kind.DISPUTE_WON
    document["data"]["object"]["status"] = "something_new"
    assert stripe.parse_event(to_body(document)).kind is Kind.IGNORED


def test_payouts():
    paid = stripe.parse_event(stripe_event("payout.paid"))
    assert paid.kind is Kind.PAYOUT_PAID
    assert paid.object_ref == "po_1PSrE5LkdIwHu7ixJh3Kc9Vd"
    assert paid.amount == Decimal("4863.75")
    assert paid.payout_arrival == date(2024, 6, 20)
    failed = stripe.parse_event(stripe_event("payout.failed"))
    assert failed.kind is Kind.PAYOUT_FAILED
    assert failed.reason.startswith("account_closed")
    assert failed.amount == Decimal("200.00")


def test_unknown_type_is_ignored_not_an_error():
    event = stripe.parse_event(stripe_event("customer.created"))
    assert event.kind is Kind.IGNORED
    assert event.raw_type == "customer.created"
    assert event.amount == Decimal(0)
    # Even with an object we could not map.
    document = {
        "id": "evt_x",
        "object": "event",
        "created": NOW,
        "livemode": True,
        "type": "issuing_card.created",
        "data": {"object": {"weird": [1, 2]}},
    }
    ignored = stripe.parse_event(to_body(document))
    assert ignored.kind is Kind.IGNORED and ignored.livemode is True


def test_thin_events_unsupported():
    thin = {
        "id": "evt_test_65R",
        "object": "v2.core.event",
        "type": "v1.charge.refunded",
    }
    with pytest.raises(UnsupportedEvent):
        stripe.parse_event(to_body(thin))


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda d: d["data"]["object"].pop("currency"), "data.object.currency"),
        (
            lambda d: d["data"]["object"].update(amount_received="125"),
            "data.object.amount_received",
        ),
        (
            lambda d: d["data"]["object"].update(amount_received=None, amount=None),
            "data.object.amount",
        ),
        (lambda d: d.pop("created"), "created"),
        (lambda d: d.update(created=True), "created"),
        (
            lambda d: d["data"]["object"].update(amount_received=True),
            "data.object.amount_received",
        ),
        (lambda d: d.update(created=10**20), "created"),
        (lambda d: d.pop("data"), "data"),
        (lambda d: d["data"].update(object=[]), "data.object"),
        (lambda d: d.update(livemode="no"), "livemode"),
        (lambda d: d.update(object="charge"), "object"),
    ],
)
def test_malformed_payload_names_the_path(mutate, path):
    document = stripe_event_dict("payment_intent.succeeded")
    mutate(document)
    with pytest.raises(MalformedPayload) as excinfo:
        stripe.parse_event(to_body(document))
    assert excinfo.value.path == path


@pytest.mark.parametrize("body", [b"", b"{", b"[]", b"\xff\xfe", b"null", b"NaN"])
def test_invalid_json(body):
    with pytest.raises(MalformedPayload):
        stripe.parse_event(body)


def test_negative_amount_refused():
    document = stripe_event_dict("refund.created")
    document["data"]["object"]["amount"] = -3000
    with pytest.raises(MalformedPayload) as excinfo:
        stripe.parse_event(to_body(document))
    assert excinfo.value.path == "data.object.amount"


def test_out_of_order_payloads_parse_independently():
    names = [
        "payment_intent.succeeded",
        "charge.succeeded",
        "charge.refunded",
        "refund.created",
        "charge.dispute.created",
        "charge.dispute.closed.won",
        "payout.paid",
    ]
    in_order = [stripe.parse_event(stripe_event(name)) for name in names]
    shuffled = copy.copy(names)
    random.Random(7).shuffle(shuffled)
    assert shuffled != names
    reordered = {name: stripe.parse_event(stripe_event(name)) for name in shuffled}
    assert [reordered[name] for name in names] == in_order
