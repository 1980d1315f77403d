# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Pure tests of the generic JSON bank API mapping (no database)."""

from datetime import date
from decimal import Decimal

import pytest

from ..feeds import json_provider as jp

PAGE = {
    "data": {
        "transactions": [
            {
                "id": "tx-1",
                "bookingDate": "2026-03-02T08:00:00+01:00",
                "amount": {"value": "120.10", "currency": "eur"},
                "indicator": "DBIT",
                "debtor": {"name": " ACME  ", "iban": "DE89 3704 0044 0532 0130 00"},
                "remittance": "INV/2026/00042",
            }
        ]
    },
    "links": {"next": 42},
}
MAPPING = jp.merged(
    {
        "transactions": "data.transactions",
        "date": "bookingDate",
        "amount": "amount.value",
        "currency": "amount.currency",
        "credit_debit": "indicator",
        "counterparty_name": "debtor.name",
        "counterparty_account": "debtor.iban",
        "next_cursor": "links.next",
    }
)


def test_page_to_statement_line():
    txs = jp.page_transactions(PAGE, MAPPING)
    line = jp.to_statement_line(txs[0], MAPPING, "USD", 1)
    assert line.amount == Decimal("-120.10")
    assert line.currency == "EUR"
    assert line.booking_date == date(2026, 3, 2)
    assert line.counterparty_name == "ACME"
    assert line.counterparty_account == "DE89370400440532013000"
    assert line.remittance == "INV/2026/00042"
    assert line.bank_reference == "tx-1"
    assert line.unique_import_id("ACC", "x") == "ACC|tx-1"
    assert jp.next_cursor(PAGE, MAPPING) == "42"


def test_defaults_and_dig():
    mapping = jp.merged(None)
    assert mapping["pagination"] == "cursor"
    assert jp.dig({"a": [{"b": 1}]}, "a.0.b") == 1
    assert jp.dig({"a": [{"b": 1}]}, "a.5.b") is None
    assert jp.dig({"a": 1}, "") is None
    assert jp.page_transactions({"other": []}, mapping) == []
    assert jp.next_cursor({"next_cursor": ""}, mapping) is None


def test_float_amount_is_exact():
    mapping = jp.merged({})
    tx = {"id": "1", "booking_date": "2026-01-01", "amount": 0.1}
    assert jp.to_statement_line(tx, mapping, "EUR", 1).amount == Decimal("0.1")


@pytest.mark.parametrize(
    ("tx", "message"),
    [
        ({"booking_date": "2026-01-01", "amount": "1"}, "transaction id"),
        ({"id": "9", "booking_date": "01/02/2026", "amount": "1"}, "ISO date"),
        ({"id": "9", "booking_date": "2026-01-01", "amount": "NaN"}, "not an amount"),
        ({"id": "9", "booking_date": "2026-01-01", "amount": "1,0.0"}, "not an amount"),
        ({"id": "9", "booking_date": "2026-01-01"}, "missing"),
    ],
)
def test_bad_transactions_name_the_transaction(tx, message):
    with pytest.raises(jp.MappingError, match=message):
        jp.to_statement_line(tx, jp.merged({}), "EUR", 3)


def test_mapping_validation():
    with pytest.raises(jp.MappingError, match="unknown mapping keys"):
        jp.merged({"amout": "x"})
    with pytest.raises(jp.MappingError, match="pagination"):
        jp.merged({"pagination": "offset"})
    with pytest.raises(jp.MappingError, match="not a list"):
        jp.page_transactions({"transactions": {"a": 1}}, jp.merged({}))
    bad_indicator = dict(PAGE["data"]["transactions"][0], indicator="??")
    with pytest.raises(jp.MappingError, match="indicator"):
        jp.to_statement_line(bad_indicator, MAPPING, "EUR", 1)
