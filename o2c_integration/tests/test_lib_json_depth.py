# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import json
import sys

import pytest

from ..lib.json_depth import DEFAULT_MAX_DEPTH, JSONTooDeep, json_depth, loads


def nested(levels, leaf="1"):
    return "[" * levels + leaf + "]" * levels


def test_depth_counts_structure_not_strings():
    assert json_depth('{"a": [1, {"b": "[[[{{{"}]}') == 3
    assert json_depth('"]]]"') == 0
    assert json_depth('{"a": "\\"[[[\\\\"}') == 1  # escaped quote and backslash
    assert json_depth("[]") == 1


def test_loads_accepts_up_to_the_bound():
    assert loads(nested(DEFAULT_MAX_DEPTH).encode()) is not None
    assert loads('{"a": {"b": [1.5]}}', parse_float=str) == {"a": {"b": ["1.5"]}}


def test_far_too_deep_is_a_clear_value_error_not_recursion():
    body = nested(5000).encode()
    # the plain decoder really does blow the stack on this body
    assert 5000 > sys.getrecursionlimit()
    with pytest.raises(RecursionError):
        json.loads(body)
    with pytest.raises(JSONTooDeep) as info:
        loads(body)
    assert isinstance(info.value, ValueError)
    assert f"deeper than {DEFAULT_MAX_DEPTH} levels" in str(info.value)
    assert info.value.position == DEFAULT_MAX_DEPTH  # the first bracket too deep


def test_objects_count_as_levels_and_bound_is_configurable():
    doc = '{"a":' * 6 + "1" + "}" * 6
    assert loads(doc, max_depth=6) is not None
    with pytest.raises(JSONTooDeep):
        loads(doc, max_depth=5)


def test_invalid_json_and_utf8_still_value_errors():
    with pytest.raises(json.JSONDecodeError):
        loads(b'{"a": ')
    with pytest.raises(UnicodeDecodeError):
        loads(b'{"a": "\xff"}')
