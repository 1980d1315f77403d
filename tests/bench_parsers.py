#!/usr/bin/env python3
# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Benchmark of the bank statement parsers of o2c_bank_feed (no Odoo needed).

Generates balanced files in memory (``o2c_bank_feed/lib/synthetic.py``),
parses each one and prints lines per second, wall and CPU time::

    python3 tests/bench_parsers.py --lines 10000
    python3 tests/bench_parsers.py --lines 50000 --formats camt mt940 --repeat 3

The ``lib`` folder is loaded as a standalone package, so the addon's
``__init__`` (which imports Odoo models) is not executed.
"""

import argparse
import importlib.util
import sys
import time
import tracemalloc
from pathlib import Path

LIB = Path(__file__).resolve().parent.parent / "o2c_bank_feed" / "lib"
FORMATS = ("camt", "mt940", "bai2", "ofx", "csv")


def _load_lib():
    """Import o2c_bank_feed/lib as the package ``o2c_bank_feed_lib``."""
    spec = importlib.util.spec_from_file_location(
        "o2c_bank_feed_lib", LIB / "__init__.py", submodule_search_locations=[str(LIB)]
    )
    package = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = package
    spec.loader.exec_module(package)
    statement = importlib.import_module("o2c_bank_feed_lib.statement")
    synthetic = importlib.import_module("o2c_bank_feed_lib.synthetic")
    tabular = importlib.import_module("o2c_bank_feed_lib.tabular")
    return statement, synthetic, tabular


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=10_000, help="lines per file")
    parser.add_argument("--formats", nargs="+", choices=FORMATS, default=list(FORMATS))
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs per format (best kept)"
    )
    parser.add_argument(
        "--memory", action="store_true", help="also report peak traced memory (slower)"
    )
    args = parser.parse_args(argv)
    statement, synthetic, tabular = _load_lib()
    mapping = tabular.TabularMapping(
        date_column="Date",
        date_format="%d.%m.%Y",
        debit_column="Debit",
        credit_column="Credit",
        decimal_separator=",",
        remittance_column="Description",
        reference_column="Reference",
        currency="EUR",
    )
    generators = {
        "camt": synthetic.camt053,
        "mt940": synthetic.mt940,
        "bai2": synthetic.bai2,
        "ofx": synthetic.ofx,
        "csv": synthetic.csv_export,
    }
    print(f"{'format':<7}{'lines':>9}{'MB':>8}{'wall s':>9}{'cpu s':>8}{'lines/s':>11}")
    for fmt in args.formats:
        data = generators[fmt](args.lines)
        best_wall = best_cpu = None
        count = 0
        for _ in range(max(1, args.repeat)):
            wall, cpu = time.perf_counter(), time.process_time()
            result = statement.parse(
                data, fmt, mapping=mapping if fmt == "csv" else None
            )
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            count = sum(len(s.lines) for s in result)
            best_wall = wall if best_wall is None else min(best_wall, wall)
            best_cpu = cpu if best_cpu is None else min(best_cpu, cpu)
        rate = count / best_wall if best_wall else float("inf")
        line = (
            f"{fmt:<7}{count:>9}{len(data) / 1e6:>8.2f}{best_wall:>9.3f}"
            f"{best_cpu:>8.3f}{rate:>11,.0f}"
        )
        if args.memory:
            tracemalloc.start()
            kept = statement.parse(data, fmt, mapping=mapping if fmt == "csv" else None)
            current, peak = tracemalloc.get_traced_memory()
            del kept
            tracemalloc.stop()
            line += f"   peak {peak / 2**20:.1f} MiB (result {current / 2**20:.1f})"
        print(line)


if __name__ == "__main__":
    main()
