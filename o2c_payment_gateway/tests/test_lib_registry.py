# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import base64
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from ..lib import adyen, registry, stripe
from ..lib.events import Kind, NeutralEvent, SignatureError, UnknownGateway
from .lib_fixtures import (
    ADYEN_OTHER_KEY,
    ADYEN_TEST_KEY,
    STRIPE_SECRET,
    fixture_bytes,
    stripe_event,
    stripe_header,
)

NOW = 1718625602


def test_builtin_adapters_registered():
    assert registry.available_gateways() == ["adyen", "stripe"]
    assert isinstance(registry.get_adapter("stripe"), registry.GatewayAdapter)
    assert registry.get_adapter("adyen").code == "adyen"
    with pytest.raises(UnknownGateway):
        registry.get_adapter("paypal")
    with pytest.raises(UnknownGateway):
        registry.get_adapter(["stripe"])


def test_stripe_adapter_round_trip_with_case_insensitive_headers():
    adapter = registry.get_adapter("stripe")
    body = stripe_event("charge.succeeded")
    headers = {"stripe-signature": stripe_header(body, NOW, STRIPE_SECRET)}
    adapter.verify(body, headers, [STRIPE_SECRET], now=NOW, capture_is_payment=True)
    (event,) = adapter.parse(body)
    assert event.kind is Kind.PAYMENT_SUCCEEDED
    assert adapter.ack_body() == (200, "application/json", '{"received": true}')
    with pytest.raises(stripe.StripeSignatureError) as excinfo:
        adapter.verify(body, {}, [STRIPE_SECRET], now=NOW)
    assert excinfo.value.reason == "missing header"
    with pytest.raises(stripe.StripeSignatureError):
        adapter.verify(body, headers, [STRIPE_SECRET], now=NOW + 3600)


def test_adyen_adapter_hmac_and_basic_auth():
    adapter = registry.get_adapter("adyen")
    body = fixture_bytes("adyen", "modifications_batch.json")
    good = "Basic " + base64.b64encode(b"ws_o2c:pa55").decode()
    adapter.verify(body, {"authorization": good}, [ADYEN_TEST_KEY])
    adapter.verify(
        body, {"Authorization": good}, [ADYEN_TEST_KEY], basic_auth=("ws_o2c", "pa55")
    )
    with pytest.raises(adyen.AdyenBasicAuthError):
        adapter.verify(body, {}, [ADYEN_TEST_KEY], basic_auth=("ws_o2c", "pa55"))
    with pytest.raises(adyen.AdyenSignatureError):
        adapter.verify(
            body,
            {"Authorization": good},
            [ADYEN_OTHER_KEY],
            basic_auth=("ws_o2c", "pa55"),
        )
    assert issubclass(adyen.AdyenBasicAuthError, SignatureError)
    events = adapter.parse(body, capture_is_payment=True)
    assert events[0].kind is Kind.PAYMENT_SUCCEEDED
    assert adapter.parse(body)[0].kind is Kind.IGNORED
    assert adapter.ack_body() == (200, "text/plain", "[accepted]")


class _DemoAdapter:
    """A third gateway in a few lines: the registry contract in action."""

    code = "demo"

    def verify(self, payload, headers, secrets, **options):
        if registry.header_value(headers, "X-Demo-Token") not in secrets:
            raise SignatureError("bad token")

    def parse(self, payload, **options):
        return [
            NeutralEvent(
                gateway=self.code,
                kind=Kind.PAYMENT_SUCCEEDED,
                event_id=payload.decode(),
                occurred_at=datetime(2024, 1, 1, tzinfo=UTC),
                amount=Decimal("1.00"),
                currency="EUR",
            )
        ]

    def ack_body(self):
        return 204, "text/plain", ""


def test_register_third_gateway():
    adapter = registry.register(_DemoAdapter())
    try:
        assert registry.get_adapter("demo") is adapter
        adapter.verify(b"x", {"x-demo-token": "t0k"}, ["t0k"])
        with pytest.raises(SignatureError):
            adapter.verify(b"x", {}, ["t0k"])
        assert adapter.parse(b"evt-1")[0].event_id == "evt-1"
    finally:
        registry._REGISTRY.pop("demo", None)
    assert "demo" not in registry.available_gateways()


def test_register_refuses_incomplete_adapters():
    class NoCode:
        def verify(self, *args, **kwargs): ...

        def parse(self, *args, **kwargs): ...

        def ack_body(self): ...

    class NoParse:
        code = "broken"

        def verify(self, *args, **kwargs): ...

        def ack_body(self): ...

    with pytest.raises(UnknownGateway):
        registry.register(NoCode())
    with pytest.raises(UnknownGateway):
        registry.register(NoParse())
    assert "broken" not in registry.available_gateways()


def test_header_value():
    assert registry.header_value({"Content-Type": "x"}, "content-type") == "x"
    assert registry.header_value(None, "a") is None
    assert registry.header_value({}, "a") is None
