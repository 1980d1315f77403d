# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from ..lib import events
from ..lib.events import Kind, NeutralEvent


def _event(**overrides):
    values = {
        "gateway": "stripe",
        "kind": Kind.PAYMENT_SUCCEEDED,
        "event_id": "evt_1",
        "occurred_at": datetime(
            2024, 6, 17, 14, 0, tzinfo=timezone(timedelta(hours=2))
        ),
        "amount": Decimal("10.00"),
        "currency": "eur",
        "charge_ref": "ch_1",
        "object_ref": "ch_1",
    }
    values.update(overrides)
    return NeutralEvent(**values)


def test_kind_vocabulary_is_complete():
    assert {kind.name for kind in Kind} == {
        "PAYMENT_SUCCEEDED",
        "PAYMENT_FAILED",
        "REFUND_SUCCEEDED",
        "REFUND_FAILED",
        "DISPUTE_OPENED",
        "DISPUTE_WON",
        "DISPUTE_LOST",
        "PAYOUT_PAID",
        "PAYOUT_FAILED",
        "FEE",
        "IGNORED",
    }
    assert Kind("refund_succeeded") is Kind.REFUND_SUCCEEDED


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        (12500, "USD", Decimal("125.00")),
        (5000, "JPY", Decimal(5000)),
        (12345, "KWD", Decimal("12.345")),
        (1, "BHD", Decimal("0.001")),
        (0, "EUR", Decimal("0.00")),
        (-150, "eur", Decimal("-1.50")),
        (999, "XOF", Decimal(999)),
        (100, "CLP", Decimal(100)),
    ],
)
def test_from_minor_default_table(value, currency, expected):
    result = events.from_minor(value, currency)
    assert result == expected
    # Exponent is exact, e.g. 125.00 keeps two decimals, JPY none.
    assert result.as_tuple().exponent == expected.as_tuple().exponent
    assert events.to_minor(result, currency) == value


def test_gateway_specific_exponents():
    # Adyen documents CLP with 2 decimals and IDR/CVE without; Stripe follows
    # the zero-decimal table for CLP and two decimals for IDR.
    assert events.from_minor(150000, "CLP", "adyen") == Decimal("1500.00")
    assert events.from_minor(150000, "CLP", "stripe") == Decimal(150000)
    assert events.from_minor(150000, "IDR", "adyen") == Decimal(150000)
    assert events.from_minor(150000, "IDR", "stripe") == Decimal("1500.00")
    assert events.currency_exponent("kwd", "adyen") == 3
    assert events.currency_exponent("JPY", "adyen") == 0
    assert events.to_minor(Decimal(1500), "CLP", "adyen") == 150000


def test_to_minor_refuses_to_round_and_bad_input():
    with pytest.raises(events.InvalidAmount):
        events.to_minor(Decimal("10.005"), "EUR")
    with pytest.raises(events.InvalidAmount):
        events.to_minor(Decimal("1.5"), "JPY")
    with pytest.raises(events.InvalidAmount):
        events.to_minor(10.5, "EUR")  # float: money is never a float
    with pytest.raises(events.InvalidAmount):
        events.to_minor(Decimal("NaN"), "EUR")
    with pytest.raises(events.InvalidAmount):
        events.from_minor(True, "EUR")
    with pytest.raises(events.InvalidAmount):
        events.from_minor(10**16, "EUR")
    with pytest.raises(events.InvalidAmount):
        events.from_minor(100, "EURO")
    assert events.to_minor(Decimal("1234567890123.45"), "EUR") == 123456789012345
    with pytest.raises(events.InvalidAmount):
        events.to_minor(Decimal("12345678901234.56"), "EUR")  # above the cap


def test_neutral_event_normalises_and_validates():
    event = _event()
    assert event.currency == "EUR"
    assert event.occurred_at == datetime(2024, 6, 17, 12, 0, tzinfo=UTC)
    assert event.occurred_at.utcoffset() == timedelta(0)
    naive = _event(occurred_at=datetime(2024, 1, 1, 8, 0))
    assert naive.occurred_at.tzinfo is not None
    assert _event(kind="payment_failed").kind is Kind.PAYMENT_FAILED
    with pytest.raises(events.InvalidAmount):
        _event(amount=Decimal(-1))
    with pytest.raises(events.InvalidAmount):
        _event(amount=10)
    with pytest.raises(events.MalformedPayload):
        _event(event_id="")
    with pytest.raises(events.InvalidAmount):
        _event(currency="€")
    with pytest.raises(AttributeError):
        event.amount = Decimal(1)  # frozen


def test_business_key_deduplicates_facts_not_deliveries():
    from_pi = _event(event_id="evt_pi", raw_type="payment_intent.succeeded")
    from_charge = _event(event_id="evt_ch", raw_type="charge.succeeded")
    assert from_pi.event_id != from_charge.event_id
    assert (
        from_pi.business_key
        == from_charge.business_key
        == (
            "stripe",
            "payment_succeeded",
            "ch_1",
        )
    )
    refund = _event(kind=Kind.REFUND_SUCCEEDED, object_ref="re_1")
    assert refund.business_key == ("stripe", "refund_succeeded", "re_1")
    assert _event(object_ref=None, charge_ref=None).business_key[2] == "evt_1"


def test_as_dict_is_json_friendly():
    data = _event(
        due_by=datetime(2024, 7, 1, tzinfo=UTC), fee=Decimal("0.30")
    ).as_dict()
    assert data["kind"] == "payment_succeeded"
    assert data["amount"] == "10.00"
    assert data["fee"] == "0.30"
    assert data["occurred_at"] == "2024-06-17T12:00:00+00:00"
    assert data["due_by"] == "2024-07-01T00:00:00+00:00"


def test_pick_metadata_order_and_case():
    metadata = {"Invoice": "INV/1", "invoice_ref": " INV/2 ", "order": 42, "x": True}
    assert events.pick_metadata(metadata, events.INVOICE_METADATA_KEYS) == "INV/2"
    assert events.pick_metadata(metadata, events.ORDER_METADATA_KEYS) == "42"
    assert events.pick_metadata({"invoice": ""}, ("invoice",)) is None
    assert events.pick_metadata({"invoice": True}, ("invoice",)) is None
    assert events.pick_metadata({}, ("invoice",)) is None


def test_exception_hierarchy():
    for cls in (
        events.UnsupportedEvent,
        events.MalformedPayload,
        events.SignatureError,
        events.InvalidAmount,
        events.UnknownGateway,
    ):
        assert issubclass(cls, events.GatewayError)
    error = events.MalformedPayload("data.object.amount", "missing field")
    assert error.path == "data.object.amount"
    assert str(error) == "data.object.amount: missing field"
