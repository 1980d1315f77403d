# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The order format's documentation (readme/ORDER_FORMAT.md) matches the code.

Pure Python: the field tables against the JSON schema (fields and required flags),
the version, and every documented order example against the validator. The status
body sent back is checked against its documented example in ``test_order_status``.
"""

import json
import re
from pathlib import Path

import pytest

from ..lib import order_format as of

README = Path(__file__).resolve().parents[1] / "readme" / "ORDER_FORMAT.md"


def _doc_tables(text):
    """``{section title: {field: required cell}}`` of the field tables of the doc."""
    tables, title = {}, None
    for line in text.splitlines():
        heading = re.match(r"#{2,3} (.+)", line)
        if heading:
            title = heading.group(1).strip()
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not (line.startswith("| `") and title):
            continue
        name = re.fullmatch(r"`(\w+)`", cells[0])
        if name:
            required = cells[2] if len(cells) > 3 else "no"
            tables.setdefault(title, {})[name.group(1)] = required
    return tables


#: documentation section -> schema definition it describes (None: the top level)
DOC_SECTIONS = {
    "Order (top level)": None,
    "Customer": "customer",
    "Address": "address",
    "Lines": "line",
    "Shipping": "shipping",
}


@pytest.mark.parametrize("section", sorted(DOC_SECTIONS))
def test_documented_tables_match_the_schema(section):
    """Every table lists exactly the schema's fields, with the schema's 'required'."""
    schema = of.load_schema()
    definition = DOC_SECTIONS[section]
    node = schema if definition is None else schema["$defs"][definition]
    documented = _doc_tables(README.read_text(encoding="utf-8"))[section]
    assert set(documented) == set(node["properties"])
    required = set(node.get("required", ()))
    conditional = set(node.get("else", {}).get("required", ()))
    for name, cell in documented.items():
        if name in conditional:
            assert cell.startswith("yes, except for `cancel`"), name
        elif name in required:
            assert cell == "yes", name
        else:
            assert cell == "no", name


def test_documented_version_is_the_schema_version():
    text = README.read_text(encoding="utf-8")
    assert text.startswith(f"# Inbound order format, version {of.SCHEMA_VERSION}\n")
    assert of.load_schema()["properties"]["schema_version"]["const"] == (
        of.SCHEMA_VERSION
    )


def test_every_documented_order_example_is_valid():
    text = README.read_text(encoding="utf-8")
    examples = [json.loads(b) for b in re.findall(r"```json\n(.*?)```", text, re.S)]
    orders = [e for e in examples if "order_external_id" not in e]
    assert len(orders) == 3  # full, minimal, cancellation
    actions = [of.validate_order(doc).action for doc in orders]
    assert actions == ["create", "create", "cancel"]
