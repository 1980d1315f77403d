# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Tests of the versioned inbound order format (v1.0)."""

import copy
import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal as D
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from ..lib import order_format as of
from ..lib.exceptions import PermanentError, ValidationError

README = Path(__file__).resolve().parents[1] / "readme" / "ORDER_FORMAT.md"


def full_order():
    return {
        "schema_version": "1.0",
        "external_id": "shop-1001",
        "reference": "#1001",
        "date": "2026-03-01",
        "currency": "EUR",
        "payment_terms": "30_DAYS",
        "note": "Leave at the door",
        "customer": {
            "external_id": "cust-77",
            "name": " Acme Trading GmbH ",
            "email": "billing@acme.example",
            "vat": "DE123456789",
            "phone": "+49 30 1234567",
            "is_company": True,
            "billing_address": {
                "street": "Hauptstr. 1",
                "street2": "",
                "city": "Berlin",
                "zip": "10115",
                "state_code": "BE",
                "country_code": "DE",
            },
            "shipping_address": {"city": "Potsdam", "country_code": "DE"},
        },
        "lines": [
            {
                "sku": "SKU-1",
                "description": "Blue widget",
                "quantity": 2,
                "unit_price": "19.99",
                "discount": 10,
                "taxes": ["VAT19"],
            },
            {"sku": "SKU-2", "quantity": "1.5", "unit_price": 0.1},
        ],
        "shipping": {"sku": "SHIP", "description": "DHL", "amount": "4.90"},
        "action": "create",
        "source_updated_at": "2026-03-01T10:15:00+01:00",
        "x_channel": "web",
    }


def minimal_order():
    return {
        "schema_version": "1.0",
        "external_id": "o-1",
        "currency": "USD",
        "customer": {"external_id": "c-1", "name": "Bob"},
        "lines": [{"sku": "A", "quantity": 1, "unit_price": 0}],
    }


def violations_of(data):
    with pytest.raises(ValidationError) as info:
        of.validate_order(data)
    return dict(info.value.violations)


def set_path(doc, path, value):
    *parents, last = path
    for key in parents:
        doc = doc[key]
    if value is _DELETE:
        del doc[last]
    else:
        doc[last] = value


_DELETE = object()


# -- valid documents --------------------------------------------------------------


def test_valid_full_order_is_normalized():
    order = of.validate_order(full_order())
    assert order.external_id == "shop-1001"
    assert order.date == date(2026, 3, 1)
    assert order.currency == "EUR"
    assert order.action == "create"
    assert order.source_updated_at == datetime(2026, 3, 1, 9, 15, tzinfo=UTC)
    assert order.customer.name == "Acme Trading GmbH"
    assert order.customer.is_company is True
    assert order.customer.billing_address.street2 is None
    assert order.customer.shipping_address.city == "Potsdam"
    first, second = order.lines
    assert (first.quantity, first.unit_price, first.discount) == (D(2), D("19.99"), 10)
    assert isinstance(first.quantity, D) and first.taxes == ("VAT19",)
    assert second.unit_price == D("0.1")  # the float 0.1, exactly
    assert order.shipping.amount == D("4.90")
    assert order.extra == {"x_channel": "web"}


def test_minimal_order_defaults():
    order = of.validate_order(minimal_order())
    assert order.action == "create"
    assert order.date is None and order.shipping is None
    assert order.customer.billing_address is None
    assert order.lines[0].discount == 0 and order.lines[0].taxes == ()


def test_bytes_str_and_dict_give_the_same_order():
    doc = full_order()
    text = json.dumps(doc)
    from_dict = of.validate_order(doc)
    assert of.validate_order(text) == from_dict
    assert of.validate_order(text.encode()) == from_dict
    assert of.validate_order(b"\xef\xbb\xbf" + text.encode()) == from_dict  # BOM
    assert doc == full_order()  # the caller's dict is not modified


def test_json_numbers_are_read_exactly():
    text = json.dumps(minimal_order()).replace('"unit_price": 0', '"unit_price": 0.3')
    assert of.validate_order(text).lines[0].unit_price == D("0.3")


def test_duplicate_skus_are_allowed():
    doc = minimal_order()
    doc["lines"].append({"sku": "A", "quantity": "2.5", "unit_price": 3})
    order = of.validate_order(doc)
    assert order.quantities_by_sku() == {"A": D("3.5")}


def test_cancel_needs_no_customer_nor_lines():
    doc = {"schema_version": "1.0", "external_id": "o-1", "currency": "EUR"}
    doc["action"] = "cancel"
    order = of.validate_order(doc)
    assert order.action == "cancel" and order.lines == () and order.customer is None


def test_validation_error_is_permanent():
    assert issubclass(ValidationError, PermanentError)


# -- missing, unknown, wrong ----------------------------------------------------------


@pytest.mark.parametrize(
    "path, expected",
    [
        (("schema_version",), "schema_version"),
        (("external_id",), "external_id"),
        (("currency",), "currency"),
        (("customer",), "customer"),
        (("lines",), "lines"),
        (("customer", "external_id"), "customer.external_id"),
        (("customer", "name"), "customer.name"),
        (("lines", 1, "sku"), "lines[1].sku"),
        (("lines", 1, "quantity"), "lines[1].quantity"),
        (("lines", 0, "unit_price"), "lines[0].unit_price"),
        (("shipping", "amount"), "shipping.amount"),
    ],
)
def test_missing_required_field_names_its_path(path, expected):
    doc = full_order()
    set_path(doc, path, _DELETE)
    assert violations_of(doc) == {expected: "required field missing"}


@pytest.mark.parametrize(
    "path, value, expected",
    [
        (("external_id",), 42, "must be of type string, not number"),
        (("external_id",), "   ", "must not be blank"),
        (("lines",), {"sku": "A"}, "must be of type array, not object"),
        (("lines",), [], "must have at least 1 item(s)"),
        (("lines", 0, "quantity"), "two", "must be a decimal"),
        (("lines", 0, "quantity"), True, "must be of type number or string"),
        (("lines", 0, "taxes"), "VAT19", "must be of type array, not string"),
        (("customer", "is_company"), "yes", "must be of type boolean, not string"),
        (("customer", "email"), "not-an-email", "must be an e-mail address"),
        (("customer", "billing_address", "country_code"), "de", "ISO 3166-1"),
        (("customer",), None, "must be of type object, not null"),
        (("schema_version",), "2.0", 'must be "1.0"'),
        (("schema_version",), 1.0, 'must be "1.0"'),
        (("note",), ["a"], "must be of type string, not array"),
    ],
)
def test_wrong_types_and_shapes(path, value, expected):
    doc = full_order()
    set_path(doc, path, value)
    found = violations_of(doc)
    assert list(found) == [of._fmt_path(path)]
    assert expected in found[of._fmt_path(path)]


def test_unknown_field_is_reported_at_its_own_path():
    doc = full_order()
    doc["lines"][1]["quantitiy"] = 3
    doc["customer"]["shipping_address"]["x_floor"] = "3rd"  # custom: fine
    found = violations_of(doc)
    assert list(found) == ["lines[1].quantitiy"]
    assert "unknown field" in found["lines[1].quantitiy"]


@pytest.mark.parametrize("value", [-1, 0, "-1", "0", "0.000", "-0.5"])
def test_quantity_must_be_positive(value):
    doc = minimal_order()
    doc["lines"][0]["quantity"] = value
    assert violations_of(doc) == {"lines[0].quantity": "must be greater than 0"}


@pytest.mark.parametrize("value", [101, "100.01", 1000])
def test_discount_above_100(value):
    doc = minimal_order()
    doc["lines"][0]["discount"] = value
    assert violations_of(doc) == {
        "lines[0].discount": "must be less than or equal to 100"
    }


@pytest.mark.parametrize("value", [-0.01, "-3"])
def test_negative_prices(value):
    doc = full_order()
    doc["lines"][0]["unit_price"] = value
    doc["shipping"]["amount"] = value
    found = violations_of(doc)
    assert set(found) == {"lines[0].unit_price", "shipping.amount"}
    assert all("greater than or equal to 0" in reason for reason in found.values())


@pytest.mark.parametrize(
    "value, reason",
    [
        ("1.1234567", "decimal"),
        (D("1.1234567"), "at most 6 decimals"),
        (0.1234567, "at most 6 decimals"),
        (D("1E+15"), "too large"),
        ("1e3", "decimal"),
        (float("nan"), "finite"),
        (float("inf"), "finite"),
    ],
)
def test_decimal_rules(value, reason):
    doc = minimal_order()
    doc["lines"][0]["unit_price"] = value
    found = violations_of(doc)
    assert list(found) == ["lines[0].unit_price"]
    assert reason in found["lines[0].unit_price"]


def test_six_decimals_and_trailing_zeros_are_fine():
    doc = minimal_order()
    doc["lines"][0]["unit_price"] = D("1.123456000000")
    doc["lines"][0]["quantity"] = "0.000001"
    assert of.validate_order(doc).lines[0].unit_price == D("1.123456")


@pytest.mark.parametrize("currency", ["eur", "EURO", "E1R", 978, "", "€"])
def test_bad_currency(currency):
    doc = minimal_order()
    doc["currency"] = currency
    assert list(violations_of(doc)) == ["currency"]


@pytest.mark.parametrize(
    "field, value",
    [
        ("date", "2026-02-30"),
        ("date", "2026/03/01"),
        ("date", "01.03.2026"),
        ("date", "2026-13-01"),
        ("date", "２０２６-01-01"),
        ("source_updated_at", "2026-03-01T10:00:00"),  # no time zone
        ("source_updated_at", "2026-03-01"),
        ("source_updated_at", "2026-03-01T25:00:00Z"),
    ],
)
def test_bad_dates(field, value):
    doc = minimal_order()
    doc[field] = value
    assert list(violations_of(doc)) == [field]


def test_unknown_action():
    doc = minimal_order()
    doc["action"] = "delete"
    assert violations_of(doc) == {
        "action": 'must be one of "create", "update", "cancel"'
    }


# -- unreadable documents -----------------------------------------------------------


def test_invalid_json_reports_position():
    found = violations_of(b'{"external_id": "a",\n "lines": [1, 2,]}')
    assert list(found) == ["$"]
    assert "invalid JSON" in found["$"] and "line 2 column" in found["$"]


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"\xff\xfe{}", "invalid UTF-8 at byte 0"),
        (b"[1, 2]", "must be a JSON object"),
        ("", "invalid JSON"),
        (None, "must be a JSON object"),
        (42, "must be a JSON object"),
        (b" " * (of.MAX_PAYLOAD_BYTES + 1), "larger than"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ],
)
def test_unreadable_documents(data, reason):
    found = violations_of(data)
    assert list(found) == ["$"]
    assert reason in found["$"]


def test_nan_token_in_json_is_reported_at_its_path():
    text = json.dumps(minimal_order()).replace('"quantity": 1', '"quantity": NaN')
    assert "finite" in violations_of(text)["lines[0].quantity"]


def test_non_json_python_values():
    doc = minimal_order()
    doc["x_set"] = {1, 2}
    doc["x_map"] = {1: "a"}
    deep = []
    for _i in range(of.MAX_DEPTH + 5):
        deep = [deep]
    doc["x_deep"] = deep
    found = violations_of(doc)
    assert set(found) == {"x_set", "x_map", "x_deep" + "[0]" * of.MAX_DEPTH}
    doc = minimal_order()
    doc["lines"][0]["unit_price"] = D("0E-9")  # zero, however written
    assert of.validate_order(doc).lines[0].unit_price == 0


def test_several_violations_at_once_all_reported_and_sorted():
    doc = full_order()
    del doc["external_id"]
    doc["currency"] = "eur"
    doc["date"] = "2026-02-31"
    doc["customer"]["name"] = ""
    doc["lines"] = [dict(minimal_order()["lines"][0]) for _i in range(11)]
    doc["lines"][2]["quantity"] = -1
    doc["lines"][10]["discount"] = 101
    doc["action"] = "remove"
    with pytest.raises(ValidationError) as info:
        of.validate_order(doc)
    paths = [path for path, _reason in info.value.violations]
    assert paths == [
        "action",
        "currency",
        "customer.name",
        "date",
        "external_id",
        "lines[2].quantity",
        "lines[10].discount",
    ]
    assert "lines[10].discount" in str(info.value)


# -- hashes and staleness --------------------------------------------------------------


def test_content_hash_is_stable_across_spelling():
    doc = full_order()
    same = json.loads(json.dumps(doc), object_pairs_hook=lambda p: dict(reversed(p)))
    same["lines"][0]["unit_price"] = "19.990"
    same["lines"][0]["quantity"] = "2.0"
    same["source_updated_at"] = "2026-03-02T00:00:00Z"
    one, two = of.validate_order(doc), of.validate_order(same)
    assert one.content_hash() == two.content_hash()
    assert re.fullmatch(r"[0-9a-f]{64}", one.content_hash())


def test_content_hash_changes_with_content():
    doc = full_order()
    base = of.validate_order(doc).content_hash()
    for path, value in [
        (("lines", 0, "quantity"), 3),
        (("customer", "email"), "other@acme.example"),
        (("action",), "update"),
        (("x_channel",), "pos"),
    ]:
        changed = copy.deepcopy(doc)
        set_path(changed, path, value)
        assert of.validate_order(changed).content_hash() != base, path


def test_lines_signature():
    doc = full_order()
    base = of.validate_order(doc).lines_signature()
    reordered = copy.deepcopy(doc)
    reordered["lines"].reverse()
    reordered["lines"][0]["description"] = "renamed"
    reordered["note"] = "another note"
    assert of.validate_order(reordered).lines_signature() == base
    changed = copy.deepcopy(doc)
    changed["lines"][1]["quantity"] = "2.5"
    assert of.validate_order(changed).lines_signature() != base


def test_is_stale():
    order = of.validate_order(full_order())  # 09:15 UTC
    assert order.is_stale(datetime(2026, 3, 1, 9, 15))  # naive = UTC, equal
    assert order.is_stale(datetime(2026, 3, 1, 11, 0, tzinfo=UTC))
    assert not order.is_stale(datetime(2026, 3, 1, 9, 0))
    assert not order.is_stale(None)
    assert not of.validate_order(minimal_order()).is_stale(datetime(2030, 1, 1))


# -- schema and documentation ----------------------------------------------------------


def test_schema_is_valid_draft_2020_12():
    schema = of.load_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def _doc_example():
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"```json\n(.*?)```", text, re.S)
    return text, json.loads(blocks[0])


def test_documented_example_is_valid():
    _text, example = _doc_example()
    order = of.validate_order(example)
    assert order.lines and order.customer


def test_every_schema_field_is_documented():
    text, _example = _doc_example()
    schema = of.load_schema()
    names = set(schema["properties"])
    for definition in ("customer", "address", "line", "shipping"):
        names |= set(schema["$defs"][definition]["properties"])
    missing = {name for name in names if f"`{name}`" not in text}
    assert not missing


# -- robustness --------------------------------------------------------------------


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.decimals()
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)

FIELD_PATHS = [
    ("external_id",),
    ("currency",),
    ("date",),
    ("customer",),
    ("customer", "name"),
    ("customer", "billing_address"),
    ("lines",),
    ("lines", 0),
    ("lines", 0, "quantity"),
    ("lines", 0, "unit_price"),
    ("lines", 0, "discount"),
    ("lines", 0, "taxes"),
    ("shipping",),
    ("action",),
    ("source_updated_at",),
    ("x_free",),
]


def _only_validation_error(data):
    try:
        order = of.validate_order(data)
    except ValidationError as exc:
        assert exc.violations and all(isinstance(p, str) for p, _r in exc.violations)
        return
    assert isinstance(order, of.NormalizedOrder)
    order.content_hash()
    order.lines_signature()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.text(max_size=15), json_values, max_size=8))
def test_random_dicts_only_raise_validation_error(doc):
    _only_validation_error(doc)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(FIELD_PATHS), json_values)
def test_mutated_orders_only_raise_validation_error(path, value):
    doc = minimal_order()
    set_path(doc, path, value)
    _only_validation_error(doc)


@settings(deadline=None)
@given(st.binary(max_size=200) | st.text(max_size=200))
def test_random_payloads_only_raise_validation_error(data):
    _only_validation_error(data)
