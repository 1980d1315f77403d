# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Size and speed guards on generated 10,000-line files.

Times are process CPU seconds, measured again once when over the limit, so a
busy machine (other test suites in parallel) does not make them flaky. The
benchmark script ``tests/bench_parsers.py`` at the repository root prints the
real figures.
"""

import time
import tracemalloc

from ..lib import synthetic
from ..lib.camt import parse_camt
from ..lib.ofx import parse_ofx
from ..lib.statement import parse

LINES = 10_000
MAX_SECONDS = 2.0


def _cpu_seconds(function):
    """(CPU seconds, result) of the faster of one or two runs."""
    best = result = None
    for _ in range(2):
        start = time.process_time()
        result = function()
        elapsed = time.process_time() - start
        best = elapsed if best is None else min(best, elapsed)
        if best < MAX_SECONDS:
            break
    return best, result


def test_camt_10k_entries_streams_with_low_memory():
    # Entries without details: tracemalloc slows parsing down several times
    # and the point here is the number of entries, not their size.
    data = synthetic.camt053(LINES, details=False)
    tracemalloc.start()
    try:
        statements = parse(data, "camt")
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sum(len(s.lines) for s in statements) == LINES
    statements[0].check_balance()
    # The whole DOM of this 2 MB document takes about 19 MB; streaming keeps
    # the transient working set (peak minus the kept result) to a few MB.
    assert peak - current < 6 * 2**20, (peak, current)


def test_camt_10k_entries_speed():
    data = synthetic.camt053(LINES)  # full transaction details
    seconds, statements = _cpu_seconds(lambda: parse(data, "camt"))
    assert sum(len(s.lines) for s in statements) == LINES
    assert seconds < MAX_SECONDS


def test_mt940_10k_lines_speed():
    data = synthetic.mt940(LINES)
    seconds, statements = _cpu_seconds(lambda: parse(data, "mt940"))
    assert sum(len(s.lines) for s in statements) == LINES
    for statement in statements:
        statement.check_balance()
    assert seconds < MAX_SECONDS


# -- scaling: doubling the input must not quadruple the time ----------------------

#: time(2n) / time(n) allowed: linear work gives ~2, quadratic ~4.
MAX_RATIO = 3.0


def _best_of(function, repeats=5):
    """Fastest of ``repeats`` CPU-time runs (the machine is shared)."""
    best = None
    for _ in range(repeats):
        start = time.process_time()
        function()
        elapsed = time.process_time() - start
        best = elapsed if best is None else min(best, elapsed)
    return best


def _ratio(make, parse_function, n):
    """time(2n) / time(n), measured twice when over the limit (noise)."""
    small, large = make(n), make(2 * n)
    ratio = None
    for _ in range(2):
        ratio = _best_of(lambda: parse_function(large)) / _best_of(
            lambda: parse_function(small)
        )
        if ratio < MAX_RATIO:
            break
    return ratio


def _ofx_nested(n):
    """``<A>`` n times then ``</A>`` n times inside an otherwise valid OFX."""
    return (
        b"OFXHEADER:100\n\n<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>EUR"
        b"<BANKACCTFROM><ACCTID>1</BANKACCTFROM><BANKTRANLIST>"
        + b"<A>" * n
        + b"</A>" * n
        + b"</BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>"
    )


def _camt_statements(n):
    """A camt.053 with ``n`` statements (without entries: their header only)."""
    statement = (
        "<Stmt><Id>S{i}</Id><Acct><Id><IBAN>DE89370400440532013000</IBAN></Id>"
        "<Ccy>EUR</Ccy></Acct></Stmt>"
    )
    body = "".join(statement.format(i=i) for i in range(n))
    return (
        "<Document xmlns='urn:iso:std:iso:20022:tech:xsd:camt.053.001.08'>"
        f"<BkToCstmrStmt>{body}</BkToCstmrStmt></Document>"
    ).encode()


def test_ofx_nested_aggregates_scale_linearly():
    # The closing-tag check scanned the stack of open tags: 2.3 s at 16,000
    # nested aggregates and 25 s at 32,000. Deep nesting also overflowed the
    # recursion limit when the statements were searched.
    (statement,) = parse(_ofx_nested(20_000), "ofx")
    assert statement.lines == []
    ratio = _ratio(_ofx_nested, parse_ofx, 4_000)
    assert ratio < MAX_RATIO, ratio


def test_camt_many_statements_scale_linearly():
    # Each new Stmt was looked up in its parent, which keeps every statement
    # read so far: 3.5 s for 8,000 statements.
    statements = parse(_camt_statements(4_000), "camt")
    assert len(statements) == 4_000
    ratio = _ratio(_camt_statements, parse_camt, 4_000)
    assert ratio < MAX_RATIO, ratio
