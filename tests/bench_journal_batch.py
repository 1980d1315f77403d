#!/usr/bin/env python3
# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Benchmark: one large journal batch through the event path to a posted entry.

What it measures, on a database with ``o2c_journal_batch`` installed: the time to
parse the document, to store it as an event, to create the batch and its lines, to
validate it (every code resolved, every rule checked) and to post its journal entry;
the lines per second of the whole path. Everything runs in one transaction that is
rolled back at the end: the database is left as it was.

    python3 tests/bench_journal_batch.py --db o2c_jb --lines 5000
"""

import argparse
import json
import os
import random
import sys
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="o2c_jb", help="database (addon installed)")
    parser.add_argument("--lines", type=int, default=5000, help="lines in the batch")
    parser.add_argument("--db-host", dest="db_host", default="127.0.0.1")
    parser.add_argument(
        "--db-user", dest="db_user", default=os.environ.get("USER", "root")
    )
    parser.add_argument(
        "--addons-path",
        dest="addons_path",
        default=None,
        help="Odoo's addons folder and this repository (default: found from odoo)",
    )
    return parser.parse_args(argv)


def make_env(args):
    import odoo.release
    from odoo.tools import config

    odoo_root = os.path.dirname(os.path.dirname(os.path.abspath(odoo.release.__file__)))
    addons = args.addons_path or f"{odoo_root}/addons,{ROOT}"
    config.parse_config(
        [
            "-d",
            args.db,
            "--db_host",
            args.db_host,
            "--db_user",
            args.db_user,
            "--addons-path",
            addons,
            "--log-level",
            "warn",
            "--http-interface",
            "127.0.0.1",
        ],
        setup_logging=True,
    )
    from odoo import api
    from odoo.modules.registry import Registry

    cr = Registry(args.db).cursor()
    env = api.Environment(cr, api.SUPERUSER_ID, {})
    return env(
        context=dict(
            env.context,
            tracking_disable=True,
            mail_notrack=True,
            mail_create_nolog=True,
        )
    )


def build(env, n_lines, run):
    """Accounts, analytic accounts and a source; a balanced document of n lines."""
    expense_codes = [f"B{run}E{i}" for i in range(20)]
    env["account.account"].create(
        [
            {"name": code, "code": code, "account_type": "expense"}
            for code in expense_codes
        ]
        + [{"name": "payable", "code": f"B{run}P", "account_type": "liability_current"}]
    )
    plan = env["account.analytic.plan"].create({"name": f"Bench {run}"})
    centres = [f"B{run}CC{i}" for i in range(30)]
    env["account.analytic.account"].create(
        [{"name": code, "code": code, "plan_id": plan.id} for code in centres]
    )
    journal = env["account.journal"].search(
        [("type", "=", "general"), ("company_id", "=", env.company.id)], limit=1
    )
    source = env["o2c.connection"].create(
        {
            "name": f"Bench payroll {run}",
            "connection_type": "journal",
            "jb_journal_id": journal.id,
            "jb_auto_post_limit": 10**12,
        }
    )
    rng = random.Random(7)
    lines, total = [], 0
    for i in range(n_lines - 1):
        cents = rng.randint(1000, 500000)
        total += cents
        lines.append(
            {
                "account": rng.choice(expense_codes),
                "label": f"Employee {i} gross",
                "debit": f"{cents // 100}.{cents % 100:02d}",
                "analytic": {rng.choice(centres): 100},
                "document_ref": f"E{i}",
            }
        )
    lines.append(
        {
            "account": f"B{run}P",
            "label": "Net payable",
            "credit": f"{total // 100}.{total % 100:02d}",
        }
    )
    document = {
        "format_version": "1.0",
        "source_system": "bench",
        "batch_id": f"BENCH-{run}",
        "date": time.strftime("%Y-%m-%d"),
        "currency": env.company.currency_id.name,
        "lines": lines,
    }
    return source, document


def main(argv=None):
    args = parse_args(argv)
    env = make_env(args)
    from odoo.addons.o2c_journal_batch.lib.batch_format import parse_batch
    from odoo.addons.o2c_journal_batch.models.o2c_connection import (
        BATCH_EVENT,
        batch_external_id,
    )

    run = uuid.uuid4().hex[:6].upper()
    try:
        source, document = build(env, args.lines, run)
        text = json.dumps(document)
        env.flush_all()
        t0 = time.perf_counter()
        parse_batch(text)
        t_parse = time.perf_counter() - t0
        t0 = time.perf_counter()
        event, _created = env["o2c.event"]._store_inbound(
            source, BATCH_EVENT, batch_external_id(document), text, enqueue=False
        )
        env.flush_all()
        t_store = time.perf_counter() - t0
        Batch = env["o2c.journal.batch"]
        t0 = time.perf_counter()
        parsed = parse_batch(event.payload)
        batch = Batch._jb_create(source, parsed, event)
        env.flush_all()
        t_create = time.perf_counter() - t0
        t0 = time.perf_counter()
        violations = batch._jb_validate()
        env.flush_all()
        t_validate = time.perf_counter() - t0
        if violations:
            print("violations:", violations[:5], file=sys.stderr)
            return 1
        t0 = time.perf_counter()
        move = batch._jb_post()
        env.flush_all()
        t_post = time.perf_counter() - t0
        total = t_parse + t_store + t_create + t_validate + t_post
        n = args.lines
        print(f"journal batch of {n} lines -> {move.name} ({len(move.line_ids)} items)")
        print(f"  parse      {t_parse:7.2f} s")
        print(f"  store      {t_store:7.2f} s")
        print(f"  create     {t_create:7.2f} s  ({n / t_create:,.0f} lines/s)")
        print(f"  validate   {t_validate:7.2f} s  ({n / t_validate:,.0f} lines/s)")
        print(f"  post       {t_post:7.2f} s  ({n / t_post:,.0f} lines/s)")
        print(f"  total      {total:7.2f} s  ({n / total:,.0f} lines/s)")
        return 0
    finally:
        env.cr.rollback()
        env.cr.close()


if __name__ == "__main__":
    sys.exit(main())
