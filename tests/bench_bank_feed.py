#!/usr/bin/env python3
# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Benchmark of the bank feed: CAMT import and reconciliation at scale.

Usage::

    python3 tests/bench_bank_feed.py --lines 10000 --db o2c_bank \\
        [--db-host 127.0.0.1] [--db-user root] \\
        [--addons-path /opt/odoo19/addons,/work/main] [--seed 7] \\
        [--compare-orm | --workers 2] [--profile FILE]

The database must have ``o2c_bank_feed`` installed. The script creates a bank
journal, customers with IBANs and ``--lines`` open invoices (posted in
batch), writes a CAMT.053 file whose lines pay them the way customers do
(clean references ~42%, mistyped references ~10%, references in free text
~13%, combined payments ~5%, partial payments ~5%, bank fees deducted ~5%,
invoices net of credit notes ~6%, payers known only by name ~6%, unrelated
lines ~8%), imports it, runs the reconciliation jobs in-process and compares
every automatic match with the generator's truth.

``netting``: an invoice minus one or two open credit notes of the customer;
half the remittances name the notes ("INV/2026/00042 less credit note
RINV/2026/00007"), half only the invoice; half come without the payer's
IBAN; one in five has bank charges deducted on top. ``name_only``: no
reference, no IBAN, only the payer's name as banks write it (upper case,
legal form dropped, words reordered, cut at 35 or 70 characters).

Everything happens in ONE transaction that is rolled back at the end: the
database is left as it was (only PostgreSQL sequence numbers advance). The
benchmark's tables are vacuumed first: rolled-back runs leave dead rows, and
with autovacuum off (the CI machine) they pile up and slow every scan.

``--compare-orm`` then reconciles the same lines again from a savepoint with
the bulk booking switched off (every match through Odoo's
``_reconcile_plan``). ``--workers N`` runs the reconciliation jobs in N
processes taking the 500-line jobs from one queue and committing each, as
the queue_job runner does; the data is then committed in a scratch copy of
``--db`` (dropped at the end). Both print the same checks.
"""

import argparse
import logging
import os
import random
import sys
import time
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from xml.sax.saxutils import escape

CHUNK = 500
NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"
MIX = [  # (kind, share)
    ("clean", 0.42),
    ("typo", 0.10),
    ("free_text", 0.13),
    ("combined", 0.05),
    ("partial", 0.05),
    ("fees", 0.05),
    ("netting", 0.06),
    ("name_only", 0.06),
    ("unrelated", 0.08),
]
LEGAL_FORMS = ["GmbH", "SA", "Ltd", "BV", "S.A.R.L.", "Limited", "AG"]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1000)
    parser.add_argument("--db", required=True)
    parser.add_argument("--db-host", default="127.0.0.1")
    parser.add_argument("--db-user", default="root")
    parser.add_argument("--addons-path", default="/opt/odoo19/addons,/work/main")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument(
        "--profile", help="write cProfile stats of the reconciliation here"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="reconcile with this many worker processes taking the 500-line jobs "
        "from one queue, each job committed, as queue_job runs them (the data is "
        "then generated and committed in a scratch copy of --db, dropped at the end)",
    )
    parser.add_argument(
        "--compare-orm",
        action="store_true",
        help="then reconcile the same lines again (from a savepoint) with the bulk "
        "booking switched off, every match through Odoo's _reconcile_plan",
    )
    return parser.parse_args(argv)


def make_env(args, db=None):
    """An Odoo environment on ``db`` (``args.db``), set up as odoo-bin shell does."""
    from odoo.tools import config

    db = db or args.db
    config.parse_config(
        [
            "-d",
            db,
            "--db_host",
            args.db_host,
            "--db_user",
            args.db_user,
            "--addons-path",
            args.addons_path,
            "--log-level",
            "info" if args.verbose else "warn",
            "--http-interface",
            "127.0.0.1",
        ],
        setup_logging=True,
    )
    from odoo import api
    from odoo.modules.registry import Registry

    registry = Registry(db)
    cr = registry.cursor()
    env = api.Environment(cr, api.SUPERUSER_ID, {})
    env = env(
        context=dict(
            env["res.users"].context_get(),
            tracking_disable=True,
            mail_create_nolog=True,
            mail_notrack=True,
        )
    )
    return env


# --- generator ---------------------------------------------------------------


def iban(rng, country="DE"):
    body = "".join(rng.choice("0123456789") for _ in range(18))
    return f"{country}00{body}"


def typo_of(name, rng):
    """A mistyped invoice number the way people write it."""
    prefix, year, seq = name.split("/")
    variants = [
        f"{prefix.lower()}-{year}-{seq}",
        f"{prefix}/{year}/{int(seq)}",  # padding dropped
        f"{prefix} {year.replace('0', 'O')} {seq}",  # O for 0
        f"{prefix}{year}/{seq.lstrip('0')}",
        f"{prefix.lower()} {year}{seq}",
    ]
    return rng.choice(variants)


def transposed(name, rng):
    """A hard typo: two digits of the sequence swapped (may hit another invoice)."""
    prefix, year, seq = name.split("/")
    digits = list(seq)
    i = rng.randrange(len(digits) - 1)
    digits[i], digits[i + 1] = digits[i + 1], digits[i]
    return f"{prefix}/{year}/{''.join(digits)}"


def plan_lines(count, rng):
    kinds = []
    for kind, share in MIX:
        kinds += [kind] * round(count * share)
    while len(kinds) < count:
        kinds.append("clean")
    kinds = kinds[:count]
    rng.shuffle(kinds)
    return kinds


def amount(rng):
    return Decimal(rng.randrange(5000, 500000)) / 100


def plan_specs(kinds, partners, long_named, rng):
    """``(specs, line_specs)``: the invoices and credit notes each line pays.

    ``specs`` are ``(partner, amount, move type)``; ``line_specs`` are
    ``(kind[:name variant], [spec index])``. Combined lines pay 2 or 3
    invoices of one customer, netting lines one invoice less 1 or 2 notes.
    """
    specs = []  # (partner, amount, move type)
    line_specs = []
    for kind in kinds:
        if kind == "unrelated":
            line_specs.append((kind, []))
            continue
        variant = rng.choice(NAME_VARIANTS) if kind == "name_only" else None
        cut = variant in ("cut35", "cut70")
        partner = rng.choice(long_named if cut and long_named else partners)
        n = rng.choice((2, 3)) if kind == "combined" else 1
        idx = []
        for _ in range(n):
            idx.append(len(specs))
            # a netted invoice is large enough to absorb its credit notes
            extra = 100 if kind == "netting" else 0
            specs.append((partner, amount(rng) + extra, "out_invoice"))
        if kind == "netting":
            value = specs[idx[0]][1]
            for _ in range(rng.choice((1, 1, 2))):
                idx.append(len(specs))
                share = Decimal(rng.randrange(5, 30)) / 100
                specs.append(
                    (partner, (value * share).quantize(Decimal("0.01")), "out_refund")
                )
        line_specs.append((kind if variant is None else f"{kind}:{variant}", idx))
    return specs, line_specs


def build(env, args):
    """Customers, invoices, the CAMT bytes and the truth of every line."""
    rng = random.Random(args.seed)
    count = args.lines
    company = env.company
    currency = company.currency_id
    journal_iban = f"BENCH{args.seed}{int(time.time())}"
    bank_journal = env["account.journal"].create(
        {
            "name": "Bench Bank",
            "code": "BNCH",
            "type": "bank",
        }
    )
    bank_journal.bank_account_id = env["res.partner.bank"].create(
        {
            "acc_number": journal_iban,
            "partner_id": company.partner_id.id,
        }
    )
    customers_count = max(count // 4, 5)
    # one customer in three has a long name (banks cut it at 35 / 70 characters)
    partners = env["res.partner"].create(
        [
            {
                "name": f"Bench Customer {i:05d} "
                + (
                    "Industrial Logistics and Forwarding Services Europe "
                    if i % 3 == 0
                    else ""
                )
                + rng.choice(LEGAL_FORMS),
                "is_company": True,
            }
            for i in range(customers_count)
        ]
    )
    long_named = [p for p in partners if len(p.name) > 70]
    ibans = {}
    env["res.partner.bank"].create(
        [
            {"acc_number": ibans.setdefault(p.id, iban(rng)), "partner_id": p.id}
            for p in partners
        ]
    )
    kinds = plan_lines(count, rng)
    # invoices needed per line kind (combined lines pay 2 or 3 of one customer)
    specs, line_specs = plan_specs(kinds, partners, long_named, rng)
    # extra open invoices nobody pays (noise): up to ``count`` invoices in total
    while len(specs) < count:
        specs.append((rng.choice(partners), amount(rng), "out_invoice"))
    started = time.monotonic()
    invoices = create_invoices(env, specs, rng)
    invoice_time = time.monotonic() - started

    entries, truth = [], []
    base = date(2026, 3, 20)
    for number, (kind, idx) in enumerate(line_specs, start=1):
        kind, _sep, variant = kind.partition(":")
        day = (base + timedelta(days=rng.randrange(0, 10))).isoformat()
        entry = {"ref": f"BENCH-{args.seed}-{number}", "date": day}
        if kind == "unrelated":
            entry.update(
                amount=amount(rng),
                name=f"Stranger {number}",
                iban=iban(rng, "NL"),
                remittance=rng.choice(["refund", "transfer", "salary", "rent"]),
            )
            entries.append(entry)
            truth.append(None)
            continue
        moves = [invoices[i] for i in idx]
        partner = moves[0].partner_id
        total = sum(Decimal(str(m.amount_total_signed)) for m in moves)
        entry.update(amount=total, name=partner.name, iban=ibans[partner.id])
        name = moves[0].name
        if kind == "clean":
            entry["structured"] = name
        elif kind == "typo":
            if rng.random() < 0.7:
                entry["remittance"] = f"Invoice {typo_of(name, rng)}"
            else:
                entry["remittance"] = f"Invoice {transposed(name, rng)}"
        elif kind == "free_text":
            entry["remittance"] = rng.choice(
                [
                    f"Payment of invoice {name} thank you",
                    f"{name} / order 4711",
                    f"Rechnung {name} vom 01.03.",
                ]
            )
        elif kind == "combined":
            if rng.random() < 0.5:
                entry["remittance"] = "Invoices " + ", ".join(m.name for m in moves)
            else:
                entry["remittance"] = "Monthly payment"
        elif kind == "partial":
            share = Decimal(rng.randrange(30, 71)) / 100
            entry["amount"] = (total * share).quantize(Decimal("0.01"))
            entry["structured"] = name
        elif kind == "fees":
            fee = Decimal(rng.randrange(50, 500)) / 100
            entry["amount"] = total - fee
            entry["remittance"] = f"INVOICE {name}"
        elif kind in ("netting", "name_only"):
            payer_blind_spot(entry, kind, variant, moves, total, rng)
        entries.append(entry)
        truth.append(frozenset(m.id for m in moves))
    data = camt(entries, journal_iban, currency.name)
    return bank_journal, data, entries, truth, kinds, invoice_time, len(specs)


def payer_blind_spot(entry, kind, variant, moves, total, rng):
    """Fill ``entry`` for a ``netting`` or ``name_only`` line (see the docstring)."""
    name, partner = moves[0].name, moves[0].partner_id
    if kind == "netting":
        notes = " and ".join(m.name for m in moves[1:])
        if rng.random() < 0.5:
            entry["remittance"] = rng.choice(
                [
                    f"{name} less credit note {notes}",
                    f"Invoice {name} ./. {notes}",
                    f"{name} minus {notes}",
                ]
            )
        else:
            entry["remittance"] = f"Invoice {name} net of your credit notes"
        if rng.random() < 0.5:
            entry["iban"] = None
        if rng.random() < 0.2:
            entry["amount"] = total - Decimal(rng.randrange(50, 500)) / 100
    elif kind == "name_only":
        entry.update(iban=None, name=bank_name(partner.name, variant))


#: How the bank writes the payer's name on ``name_only`` lines.
NAME_VARIANTS = ("upper", "no_legal_form", "reordered", "cut35", "cut70")


def bank_name(name, variant):
    """``name`` as a bank writes it (upper case, legal form, order, length)."""
    words = name.upper().split()
    if variant in ("no_legal_form", "reordered"):
        words = words[:-1]  # the generator puts the legal form last
    if variant == "reordered":
        words = words[2:] + words[:2]
    text = " ".join(words)
    if variant == "cut35":
        text = text[:35]
    elif variant == "cut70":
        text = text[:70]
    return text


def create_invoices(env, specs, rng):
    from odoo.fields import Command

    Move = env["account.move"]
    invoices = Move.browse()
    for start in range(0, len(specs), 500):
        chunk = specs[start : start + 500]
        moves = Move.create(
            [
                {
                    "move_type": move_type,
                    "partner_id": partner.id,
                    "invoice_date": date(2026, 3, 1)
                    + timedelta(days=rng.randrange(0, 15)),
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": "Consulting",
                                "quantity": 1,
                                "price_unit": float(value),
                                "tax_ids": [Command.clear()],
                            }
                        )
                    ],
                }
                for partner, value, move_type in chunk
            ]
        )
        moves.action_post()
        env.flush_all()
        # statistics of the growing tables, as autoanalyze would keep them: else
        # Odoo's sequence lookups scan, and 10,000 invoices take 3x as long
        env.cr.execute("ANALYZE account_move, account_move_line")
        invoices |= moves
    return invoices


def camt(entries, account, currency):
    total = sum((Decimal(str(e["amount"])) for e in entries), Decimal(0))
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<Document xmlns="{NS}"><BkToCstmrStmt>',
        "<GrpHdr><MsgId>BENCH</MsgId><CreDtTm>2026-03-31T18:00:00</CreDtTm></GrpHdr>",
        f"<Stmt><Id>BENCH-{account}</Id>",
        f"<Acct><Id><IBAN>{account}</IBAN></Id><Ccy>{currency}</Ccy></Acct>",
        _bal("OPBD", Decimal(0), currency, "2026-03-01"),
        _bal("CLBD", total, currency, "2026-03-31"),
    ]
    for e in entries:
        value = Decimal(str(e["amount"]))
        indicator = "CRDT" if value >= 0 else "DBIT"
        parts.append(
            f'<Ntry><Amt Ccy="{currency}">{abs(value):.2f}</Amt>'
            f"<CdtDbtInd>{indicator}</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>"
            f"<BookgDt><Dt>{e['date']}</Dt></BookgDt><ValDt><Dt>{e['date']}</Dt></ValDt>"
            f"<AcctSvcrRef>{e['ref']}</AcctSvcrRef><NtryDtls><TxDtls>"
            f"<RltdPties><Dbtr><Nm>{escape(e['name'])}</Nm></Dbtr>"
            + (
                f"<DbtrAcct><Id><IBAN>{e['iban']}</IBAN></Id></DbtrAcct>"
                if e.get("iban")
                else ""
            )
            + "</RltdPties>"
        )
        if e.get("remittance") or e.get("structured"):
            parts.append("<RmtInf>")
            if e.get("remittance"):
                parts.append(f"<Ustrd>{escape(e['remittance'])}</Ustrd>")
            if e.get("structured"):
                parts.append(
                    "<Strd><CdtrRefInf><Ref>"
                    f"{escape(e['structured'])}</Ref></CdtrRefInf></Strd>"
                )
            parts.append("</RmtInf>")
        parts.append("</TxDtls></NtryDtls></Ntry>")
    parts.append("</Stmt></BkToCstmrStmt></Document>")
    return "".join(parts).encode()


def _bal(code, value, currency, on):
    indicator = "CRDT" if value >= 0 else "DBIT"
    return (
        f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
        f'<Amt Ccy="{currency}">{abs(value):.2f}</Amt>'
        f"<CdtDbtInd>{indicator}</CdtDbtInd>"
        f"<Dt><Dt>{on}</Dt></Dt></Bal>"
    )


# --- measure -------------------------------------------------------------------


def reconciled_moves(line):
    """Moves (other than the line's own) reconciled with the bank line."""
    moves = set()
    for aml in line.move_id.line_ids:
        for partial in aml.matched_debit_ids:
            moves.add(partial.debit_move_id.move_id.id)
        for partial in aml.matched_credit_ids:
            moves.add(partial.credit_move_id.move_id.id)
    moves.discard(line.move_id.id)
    return frozenset(moves)


def reconcile_all(env, lines):
    """The reconciliation jobs of ``lines``, chunk by chunk: (seconds, counters)."""
    started = time.monotonic()
    split = Counter()
    for start in range(0, len(lines), CHUNK):
        split.update(lines[start : start + CHUNK]._o2c_job_reconcile())
    env.flush_all()
    return time.monotonic() - started, split


# --- parallel jobs -----------------------------------------------------------

#: Errors after which queue_job retries a job (another job holds the rows).
RETRYABLE = ("40001", "40P01", "55P03")  # serialization, deadlock, lock not available


def worker_main(args, db, jobs, results, ready):
    """One job worker: reconcile and commit 500-line jobs until the queue is empty."""
    import psycopg2

    env = make_env(args, db)
    cr = env.cr
    Line = env["account.bank.statement.line"]
    Line.search([], limit=1)  # registry and caches warm, as in a running server
    cr.rollback()
    ready.wait(timeout=900)
    split, retries = Counter(), 0
    while True:
        ids = jobs.get()
        if ids is None:
            break
        while True:
            try:
                split.update(Line.browse(ids)._o2c_job_reconcile())
                cr.commit()
                break
            except psycopg2.Error as exc:
                cr.rollback()
                env.invalidate_all()
                if exc.pgcode not in RETRYABLE:
                    raise
                retries += 1
    cr.close()
    results.put((dict(split), retries))


def reconcile_parallel(args, db, lines):
    """The jobs of ``lines`` run by ``args.workers`` processes: (seconds, counters)."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    jobs, results = context.Queue(), context.Queue()
    ready = context.Barrier(args.workers + 1)
    workers = [
        context.Process(target=worker_main, args=(args, db, jobs, results, ready))
        for _ in range(args.workers)
    ]
    for worker in workers:
        worker.start()
    for start in range(0, len(lines), CHUNK):
        jobs.put(lines[start : start + CHUNK].ids)
    for _worker in workers:
        jobs.put(None)
    ready.wait(timeout=900)  # every worker has loaded Odoo: the clock starts now
    started = time.monotonic()
    split, retries = Counter(), 0
    for _worker in workers:
        counters, worker_retries = results.get()
        split.update(counters)
        retries += worker_retries
    seconds = time.monotonic() - started
    for worker in workers:
        worker.join()
        if worker.exitcode:
            raise SystemExit(f"a worker failed (exit code {worker.exitcode})")
    split["retries"] = retries
    return seconds, split


def scratch_database(args):
    """A copy of ``args.db`` the parallel run commits into (dropped by the caller)."""
    import psycopg2

    name = f"{args.db}_bench_{os.getpid()}"
    conn = psycopg2.connect(dbname="postgres", host=args.db_host, user=args.db_user)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}" TEMPLATE "{args.db}"')
    conn.close()
    return name


def drop_database(args, name):
    import psycopg2

    from odoo.sql_db import close_db

    close_db(name)
    conn = psycopg2.connect(dbname="postgres", host=args.db_host, user=args.db_user)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
    conn.close()


#: Tables the benchmark fills (and, rolled back, leaves dead rows in).
BENCH_TABLES = (
    "account_move",
    "account_move_line",
    "account_bank_statement",
    "account_bank_statement_line",
    "account_partial_reconcile",
    "account_full_reconcile",
    "res_partner",
    "res_partner_bank",
    "o2c_exception",
    "o2c_reconcile_candidate",
    "o2c_audit_log",
)


def vacuum(args):
    """VACUUM ANALYZE the benchmark's tables of ``args.db`` first.

    Every run is rolled back: its rows stay behind as dead rows until a
    vacuum. With autovacuum off (as on the CI machine) a few runs leave
    hundreds of thousands of them, which every later scan reads: the figures
    would then measure the bloat.
    """
    import psycopg2

    conn = psycopg2.connect(dbname=args.db, host=args.db_host, user=args.db_user)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f"VACUUM (ANALYZE) {', '.join(BENCH_TABLES)}")
    conn.close()


def run(args):
    vacuum(args)
    parallel = args.workers > 1
    db = scratch_database(args) if parallel else args.db
    try:
        return _run(args, db, parallel)
    finally:
        if parallel:
            drop_database(args, db)


def _run(args, db, parallel):
    env = make_env(args, db)
    cr = env.cr
    try:
        print(f"Generating {args.lines} lines ...", flush=True)
        _journal, data, entries, truth, kinds, invoice_time, invoice_count = build(
            env, args
        )
        print(
            f"  {invoice_count} open invoices posted in {invoice_time:.1f}s; "
            f"CAMT file {len(data) / 1e6:.1f} MB",
            flush=True,
        )
        env.flush_all()
        if parallel:
            cr.commit()
        # In production the open items are committed long before the statement arrives
        # and autovacuum has analysed them; here they sit in this (rolled back)
        # transaction, so give the planner their statistics explicitly (ANALYZE counts
        # the rows this transaction inserted) or it plans for empty tables.
        cr.execute(
            "ANALYZE account_move, account_move_line, res_partner, res_partner_bank"
        )
        Import = env["o2c.bank.statement.import"].with_context(o2c_no_reconcile=True)
        started = time.monotonic()
        imp = Import._o2c_import_file(data, "bench.xml")
        env.flush_all()
        import_time = time.monotonic() - started
        lines = imp.line_ids.sorted("id")
        assert len(lines) == len(entries), (len(lines), len(entries))
        # the reconciliation job runs after the import's commit: same as above
        cr.execute(
            "ANALYZE account_move, account_move_line, account_bank_statement_line"
        )
        env.flush_all()
        if parallel:
            cr.commit()
            reconcile_time, split = reconcile_parallel(args, db, lines)
            cr.rollback()  # a new snapshot: what the workers committed
            env.invalidate_all()
        else:
            cr.execute("SAVEPOINT bench_before_reconcile")
        profiler = None
        if args.profile and not parallel:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        if not parallel:
            reconcile_time, split = reconcile_all(env, lines)
        if profiler:
            profiler.disable()
            profiler.dump_stats(args.profile)

        by_ref = {line.o2c_bank_reference: line for line in lines}
        stats = Counter()
        wrong = []
        per_kind = Counter()
        per_kind_total = Counter()
        for entry, expected, kind in zip(entries, truth, kinds, strict=True):
            line = by_ref[entry["ref"]]
            state = line.o2c_match_state
            stats[state] += 1
            per_kind_total[kind] += 1
            if state != "matched":
                continue
            got = reconciled_moves(line)
            if expected is None or got != expected:
                wrong.append(
                    (
                        entry["ref"],
                        kind,
                        sorted(expected or []),
                        sorted(got),
                        line.o2c_match_reason,
                    )
                )
            else:
                per_kind[kind] += 1
        resolvable = sum(1 for t in truth if t is not None)
        auto_ok = sum(per_kind.values())
        print()
        print(f"lines                 : {len(lines)}")
        print(
            f"import                : {import_time:.2f}s = "
            f"{len(lines) / import_time:.0f} lines/s"
        )
        print(
            f"reconciliation        : {reconcile_time:.2f}s = "
            f"{len(lines) / reconcile_time:.0f} lines/s"
        )
        print(
            f"  matching (SQL+rules): {split['match_seconds']:.2f}s = "
            f"{len(lines) / max(split['match_seconds'], 1e-9):.0f} lines/s"
        )
        print(
            f"  posting (Odoo)      : {split['post_seconds']:.2f}s = "
            f"{len(lines) / max(split['post_seconds'], 1e-9):.0f} lines/s "
            "(journal items, reconcile, exceptions)"
        )
        print(
            f"auto-matched (right)  : {auto_ok}/{resolvable} resolvable = "
            f"{100.0 * auto_ok / resolvable:.1f}%"
        )
        print(f"wrong matches         : {len(wrong)}")
        print(f"states                : {dict(stats)}")
        print(
            "per kind (auto/total) : "
            + ", ".join(f"{k} {per_kind[k]}/{per_kind_total[k]}" for k, _s in MIX)
        )
        for kind in ("netting", "name_only"):
            total = per_kind_total[kind]
            print(
                f"  {kind:<20}: {per_kind[kind]}/{total} auto-matched right = "
                f"{100.0 * per_kind[kind] / max(total, 1):.1f}%, wrong "
                f"{sum(1 for w in wrong if w[1] == kind)}"
            )
        for item in wrong[:10]:
            print("  WRONG", item)
        if args.verbose:
            for entry, expected, kind in zip(entries, truth, kinds, strict=True):
                line = by_ref[entry["ref"]]
                if expected is not None and line.o2c_match_state != "matched":
                    print(
                        "  MISSED",
                        kind,
                        entry.get("remittance") or entry.get("structured"),
                        entry["amount"],
                        "->",
                        line.o2c_match_state,
                        line.o2c_match_reason,
                    )
        if parallel:
            print(
                f"  {args.workers} workers, {split['retries']} jobs retried after a "
                "lock conflict (matching/posting times are summed over the workers)"
            )
        if args.compare_orm and not parallel:
            cr.execute("ROLLBACK TO SAVEPOINT bench_before_reconcile")
            env.invalidate_all()
            env["ir.config_parameter"].set_param("o2c_bank_feed.bulk_reconcile", "0")
            orm_time, orm_split = reconcile_all(env, lines)
            orm_matched = sum(1 for line in lines if line.o2c_match_state == "matched")
            print(
                f"through Odoo only     : {orm_time:.2f}s = "
                f"{len(lines) / orm_time:.0f} lines/s (matching "
                f"{orm_split['match_seconds']:.2f}s, posting "
                f"{orm_split['post_seconds']:.2f}s = "
                f"{len(lines) / max(orm_split['post_seconds'], 1e-9):.0f} lines/s); "
                f"{orm_matched} matched"
            )
        return 1 if wrong else 0
    finally:
        cr.rollback()
        cr.close()


if __name__ == "__main__":
    logging.getLogger("odoo").setLevel(logging.WARNING)
    sys.exit(run(parse_args()))
