# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import json

from ..lib.payload_diff import is_json, payload_diff, pretty_json_text


def test_pretty_keeps_literals_exactly():
    text = '{"amount":77.00,"ids":[1,2],"empty":{},"none":[],"s":"a,b:{c}\\"d"}'
    pretty = pretty_json_text(text)
    assert "77.00" in pretty
    assert '"a,b:{c}\\"d"' in pretty
    assert '"empty": {}' in pretty and '"none": []' in pretty
    assert json.loads(pretty) == json.loads(text)
    assert pretty.count("\n") == 9


def test_not_json_is_left_alone():
    assert pretty_json_text("a;b\n1;2") == "a;b\n1;2"
    assert not is_json("a;b")
    assert not is_json("")


def test_diff_shows_the_changed_member_only():
    diff = payload_diff(
        '{"invoice":"INV/1","amount":10.00}', '{"invoice":"INV/1","amount":77.00}'
    )
    assert '-  "amount": 10.00' in diff
    assert '+  "amount": 77.00' in diff
    assert '"invoice": "INV/1"' in diff  # context line
    assert "INV/1\n-" not in diff
    assert payload_diff('{"a":1}', '{"a":1}') == ""
