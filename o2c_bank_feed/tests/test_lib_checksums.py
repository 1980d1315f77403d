# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""IBAN and creditor reference checks, delegated to python-stdnum.

A bare mod-97 accepts any string whose check digits fit; stdnum also knows
each country's IBAN length and BBAN structure. The values below all pass
mod-97 (asserted), so each refusal is stdnum's extra strictness.
"""

import pytest

from ..lib._common import is_valid_iban
from ..lib.mt940 import parse_mt940
from ..lib.mt940_details import find_structured_reference
from ..lib.references import _mod97, is_valid_rf, make_rf

#: Right mod-97 check digits, wrong for the country (asserted below).
MOD97_ONLY_IBANS = [
    "DE543704004405320130001",  # 19-digit BBAN, Germany has 18
    "DE5137040044053201300",  # 17 digits
    "DE47370400440532013A00",  # a letter where Germany has digits only
    "XX113704004405320130001",  # no such IBAN country
]


@pytest.mark.parametrize("value", MOD97_ONLY_IBANS)
def test_iban_with_fitting_check_digits_but_wrong_country_format(value):
    assert _mod97(value[4:] + value[:4]) == 1
    assert not is_valid_iban(value)


@pytest.mark.parametrize(
    "value",
    [
        "DE89370400440532013000",
        "BE71096123456769",
        "FR1420041010050500013M02606",
        "NL91ABNA0417164300",
        "CH9300762011623852957",
        # a bank code unknown to stdnum's bundled Belgian bank list: still an
        # IBAN (the country modules are not run)
        "BE68539007547034",
    ],
)
def test_valid_ibans(value):
    assert is_valid_iban(value)


def test_iban_shape_is_still_ours():
    # compact, upper case: the parsers normalise before asking
    assert not is_valid_iban("DE89 3704 0044 0532 0130 00")
    assert not is_valid_iban("de89370400440532013000")
    assert not is_valid_iban("")
    assert not is_valid_iban(None)


def _mt940(supplementary: str) -> bytes:
    return (
        ":20:X\n:25:NL20INGB0001234567\n:28C:1\n:60F:C240101EUR1,00\n"
        f":61:2401010101C1,00NTRFNONREF//B1\n{supplementary}\n"
        ":62F:C240101EUR2,00\n-\n"
    ).encode()


def test_mt940_supplementary_iban_needs_the_country_format():
    (statement,) = parse_mt940(_mt940("DE89370400440532013000"))
    assert statement.lines[0].counterparty_account == "DE89370400440532013000"
    (statement,) = parse_mt940(_mt940("DE543704004405320130001"))
    assert statement.lines[0].counterparty_account is None
    assert statement.lines[0].remittance == "DE543704004405320130001"


def test_rf_check_and_construction_unchanged():
    assert make_rf("5390 0754 7034") == "RF18539007547034"
    assert is_valid_rf("RF18 5390 0754 7034")
    assert not is_valid_rf("RF19 5390 0754 7034")
    # non-ASCII digits: stdnum alone would read "٣" as 3
    assert not is_valid_rf("RF18 5390 0754 703٤")


def test_mt940_free_text_rf_follows_the_reference_rule():
    # :86: free text used its own mod-97: it accepted check digits 99, which
    # satisfy the modulus but which no issuer computes (see is_valid_rf)
    body = next(str(n) for n in range(1, 10_000) if make_rf(str(n))[2:4] == "02")
    assert _mod97(f"{body}RF99") == 1
    assert find_structured_reference(f"ref RF99{body}") is None
    assert find_structured_reference(f"ref RF02{body}") == f"RF02{body}"
