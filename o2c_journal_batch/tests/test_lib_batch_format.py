# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The journal batch format and the spreadsheet mappings, without a database."""

import io
import json
from decimal import Decimal

import pytest

from odoo.addons.o2c_journal_batch.lib.batch_format import (
    BatchFormatError,
    content_hash,
    parse_batch,
    unbalanced_groups,
)
from odoo.addons.o2c_journal_batch.lib.tabular import (
    READY_MAPPINGS,
    read_rows,
    rows_to_batch,
)


def doc(**over):
    base = {
        "format_version": "1.0",
        "source_system": "payroll",
        "batch_id": "PAY-2026-11",
        "version": 1,
        "period": "2026-11",
        "date": "2026-11-30",
        "currency": "EUR",
        "lines": [
            {
                "account": "6410",
                "label": "Gross wages",
                "debit": "1000.10",
                "analytic": {"ADM": 60, "OPS": "40"},
            },
            {"account": "4210", "label": "Net pay", "amount": -1000.1},
        ],
    }
    base.update(over)
    return base


def test_parse_normalises_amounts_exactly():
    batch = parse_batch(json.dumps(doc()))
    assert batch.lines[0].debit == Decimal("1000.10")
    assert batch.lines[1].credit == Decimal("1000.1")
    assert batch.lines[0].analytic == {"ADM": Decimal(60), "OPS": Decimal(40)}
    assert unbalanced_groups(batch) == []
    assert batch.total_debit == batch.total_credit


def test_every_violation_named_with_its_path():
    bad = doc(
        currency="eur",
        lines=[
            {"account": "6410", "label": "x", "debit": 1, "credit": 1},
            {"account": "", "label": "y"},
        ],
    )
    with pytest.raises(BatchFormatError) as info:
        parse_batch(bad)
    paths = {path for path, _message in info.value.errors}
    assert "currency" in paths
    assert "lines[1].account" in paths


def test_debit_and_credit_on_one_line_refused():
    bad = doc(
        lines=[
            {"account": "1", "label": "x", "debit": 1, "credit": 1},
            {"account": "2", "label": "y", "credit": 0},
        ]
    )
    with pytest.raises(BatchFormatError, match=r"lines\[0\]: a line is either"):
        parse_batch(bad)


def test_unbalanced_group_reported_with_figures():
    batch = parse_batch(
        doc(
            lines=[
                {"account": "1", "label": "x", "debit": "10.00"},
                {"account": "2", "label": "y", "credit": "9.99"},
            ]
        )
    )
    ((day, currency, debit, credit),) = unbalanced_groups(batch)
    assert (str(day), currency, debit, credit) == (
        "2026-11-30",
        "EUR",
        Decimal("10.00"),
        Decimal("9.99"),
    )


def test_content_hash_ignores_layout_not_content():
    one = parse_batch(json.dumps(doc()))
    two = parse_batch(json.dumps(doc(), indent=4, sort_keys=True))
    assert content_hash(one) == content_hash(two)
    changed = doc()
    changed["lines"][0]["debit"] = "1000.11"
    changed["lines"][1]["amount"] = "-1000.11"
    assert content_hash(parse_batch(changed)) != content_hash(one)


def test_not_json_and_oversized_are_format_errors():
    with pytest.raises(BatchFormatError):
        parse_batch(b"\xff\xfe{")
    with pytest.raises(BatchFormatError):
        parse_batch(b"[1, 2]")


INFOR = (
    "Account Number,Check Date,Credit Amount,Debit Amount,Employee Number,Company,"
    "SRO Number,Unit Code 1,Unit Code 2,Unit Code 3,Unit Code 4\n"
    "6410,11/30/2026,,2500.00,E100,C1,,ADM,,,\n"
    "6410,11/30/2026,,1500.00,E101,C1,,OPS,,,\n"
    "4210,11/30/2026,4000.00,,,C1,,,,,\n"
)


def test_infor_payroll_file_to_a_balanced_batch():
    rows = read_rows(INFOR.encode(), "payroll.csv")
    document = rows_to_batch(
        rows,
        READY_MAPPINGS["infor_payroll"],
        {
            "source_system": "infor",
            "batch_id": "P-11",
            "date": "2026-11-30",
            "currency": "USD",
        },
    )
    batch = parse_batch(document)
    assert len(batch.lines) == 3
    assert batch.lines[0].analytic == {"ADM": Decimal(100)}
    assert batch.lines[0].document_ref == "E100"
    assert batch.lines[2].credit == Decimal("4000.00")
    assert str(batch.lines[0].date) == "2026-11-30"
    assert unbalanced_groups(batch) == []


EXPENSIFY = (
    "reportID,transactionID,created,merchant,amount,currency,categoryGlCode,tag,"
    "comment,submitterEmail\n"
    "R001,T1,2026-11-03,Hotel Lux,12050,EUR,6251,SALES,Client visit,ann@example.com\n"
    "R001,T2,2026-11-04,Taxi,2300,EUR,6252,SALES,,ann@example.com\n"
    "R002,T3,2026-11-05,Books,999,EUR,6260,,Manuals,bob@example.com\n"
)


def test_expensify_export_balanced_per_report():
    mapping = dict(READY_MAPPINGS["expensify_expenses"], balance_account="4250")
    document = rows_to_batch(
        read_rows(EXPENSIFY.encode()),
        mapping,
        {
            "source_system": "expensify",
            "batch_id": "EXP-11",
            "date": "2026-11-30",
            "currency": "EUR",
        },
    )
    batch = parse_batch(document)
    assert [line.debit for line in batch.lines[:3]] == [
        Decimal("120.5"),
        Decimal("23"),
        Decimal("9.99"),
    ]
    balancing = [line for line in batch.lines if line.account == "4250"]
    # one balancing credit per report, submitter and date (a batch balances per date)
    assert [
        (b.document_ref, b.partner_ref, str(b.date), b.credit) for b in balancing
    ] == [
        ("R001", "ann@example.com", "2026-11-03", Decimal("120.5")),
        ("R001", "ann@example.com", "2026-11-04", Decimal("23")),
        ("R002", "bob@example.com", "2026-11-05", Decimal("9.99")),
    ]
    assert unbalanced_groups(batch) == []


def test_missing_column_named():
    with pytest.raises(BatchFormatError, match="Debit Amount"):
        rows_to_batch([{"Account Number": "1"}], READY_MAPPINGS["infor_payroll"], {})


def test_bad_amount_names_the_row():
    text = INFOR.replace("2500.00", "25OO")
    with pytest.raises(BatchFormatError, match=r"row 2 \(Debit Amount\)"):
        rows_to_batch(read_rows(text.encode()), READY_MAPPINGS["infor_payroll"], {})


def test_xlsx_rows():
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for row in [line.split(",") for line in INFOR.strip().split("\n")]:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    rows = read_rows(buffer.getvalue(), "payroll.xlsx")
    assert rows[0]["Account Number"] == "6410"
    assert len(rows) == 3
