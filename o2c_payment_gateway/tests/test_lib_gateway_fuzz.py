# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Property tests: whatever arrives, only GatewayError subclasses escape.

A webhook endpoint is internet-facing: an unexpected ``KeyError`` or
``TypeError`` would turn into a 500 and, for Stripe/Adyen, endless retries.
"""

import copy
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ..lib import adyen, stripe
from ..lib.events import GatewayError
from .lib_fixtures import (
    ADYEN_TEST_KEY,
    STRIPE_SECRET,
    adyen_batch,
    adyen_sign,
    stripe_event_dict,
)

SETTINGS = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)

STRIPE_FIXTURES = [
    "payment_intent.succeeded",
    "charge.succeeded",
    "payment_intent.payment_failed",
    "charge.refunded",
    "refund.created",
    "refund.updated.failed",
    "charge.dispute.created",
    "charge.dispute.closed.won",
    "payout.paid",
    "payout.failed",
]
ADYEN_FIXTURES = [
    "authorisation_batch.json",
    "dispute_batch.json",
    "modifications_batch.json",
    "refund_kwd.json",
]


def _paths(node, prefix=()):
    """Every (container, key) pair of a JSON document."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield node, key
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield node, index
            yield from _paths(value, (*prefix, index))


def _mutate(document, data):
    document = copy.deepcopy(document)
    targets = list(_paths(document))
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        container, key = data.draw(st.sampled_from(targets))
        if data.draw(st.booleans()) and isinstance(container, dict):
            container.pop(key, None)
        else:
            try:
                container[key] = data.draw(json_values)
            except IndexError:
                pass
        targets = list(_paths(document)) or [(document, "x")]
    return json.dumps(document).encode()


@SETTINGS
@given(st.binary(max_size=512))
def test_random_bytes_only_raise_gateway_errors(body):
    for call in (
        stripe.parse_event,
        adyen.parse_items,
        lambda b: stripe.verify_webhook(b, "t=1,v1=ab", [STRIPE_SECRET], now=1),
        lambda b: adyen.verify_notification(b, [ADYEN_TEST_KEY]),
        adyen.parse_settlement_report,
    ):
        try:
            call(body)
        except GatewayError:
            pass


@SETTINGS
@given(st.text(max_size=200), st.binary(max_size=64))
def test_random_stripe_headers(header, body):
    try:
        stripe.verify_webhook(body, header, [STRIPE_SECRET], now=1718625602)
    except GatewayError:
        pass


@SETTINGS
@given(st.sampled_from(STRIPE_FIXTURES), st.data())
def test_mutated_stripe_events(name, data):
    body = _mutate(stripe_event_dict(name), data)
    try:
        stripe.parse_event(body)
    except GatewayError:
        pass


@SETTINGS
@given(st.sampled_from(ADYEN_FIXTURES), st.data())
def test_mutated_adyen_batches(name, data):
    body = _mutate(adyen_batch(name), data)
    try:
        adyen.parse_items(body, capture_is_payment=data.draw(st.booleans()))
    except GatewayError:
        pass
    try:
        adyen.verify_notification(body, [ADYEN_TEST_KEY])
    except GatewayError:
        pass


@SETTINGS
@given(st.data())
def test_mutated_but_correctly_signed_adyen_items(data):
    """Signed garbage (e.g. a buggy upstream) still only raises GatewayError."""
    document = json.loads(_mutate(adyen_batch("modifications_batch.json"), data))
    for wrapper in document.get("notificationItems") or []:
        item = (
            wrapper.get("NotificationRequestItem")
            if isinstance(wrapper, dict)
            else None
        )
        if isinstance(item, dict) and isinstance(item.get("amount", {}), dict):
            try:
                signature = adyen_sign(ADYEN_TEST_KEY, item)
            except (TypeError, AttributeError):
                continue
            if isinstance(item.get("additionalData"), dict):
                item["additionalData"]["hmacSignature"] = signature
    body = json.dumps(document).encode()
    try:
        adyen.verify_notification(body, [ADYEN_TEST_KEY])
        adyen.parse_items(body)
    except GatewayError:
        pass


@SETTINGS
@given(st.lists(st.lists(st.text(max_size=10), max_size=25), max_size=6))
def test_random_settlement_rows(rows):
    header = (
        "Company Account,Merchant Account,Psp Reference,Merchant Reference,"
        "Payment Method,Creation Date,TimeZone,Type,Modification Reference,"
        "Gross Currency,Gross Debit (GC),Gross Credit (GC),Exchange Rate,"
        "Net Currency,Net Debit (NC),Net Credit (NC),Commission (NC),Markup (NC),"
        "Scheme Fees (NC),Interchange (NC),Payment Method Variant,"
        "Modification Merchant Reference,Batch Number"
    )
    lines = [header] + [",".join(json.dumps(cell) for cell in row) for row in rows]
    try:
        adyen.parse_settlement_report("\n".join(lines).encode())
    except GatewayError:
        pass
