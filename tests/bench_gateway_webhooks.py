#!/usr/bin/env python3
# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Benchmark: N signed Stripe payment webhooks to posted, reconciled payments.

What it measures, on a RUNNING Odoo with HTTP workers and the queue_job runner (the
real path: Stripe signature check, store-first commit, job, gateway handler,
``account.payment.register`` on the clearing journal, reconciliation):

* ingestion: accepted events per second and the p50 / p95 latency of the 2xx answers
  (what Stripe sees: authentication + durable store + enqueue);
* processing: payments posted per second, from the first POST to the last payment,
  and while draining the backlog once every webhook is in.

Start the server first (same encryption key for the server and this script; loopback
only), for example::

    export O2C_ENCRYPTION_KEYS=$(python3 -c \\
        "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())")
    ODOO_QUEUE_JOB_CHANNELS=root:2 python3 -m odoo -d o2c_pg_bench \\
        --db_host=127.0.0.1 --db_user=root \\
        --addons-path=/opt/odoo19/addons,/work/main --load=base,web,queue_job \\
        --workers=4 --max-cron-threads=1 --http-interface=127.0.0.1 --http-port=8269

(``[queue_job] channels = root:2`` in a config file is equivalent). The runner
executes each job as an HTTP request to a worker: with as many workers as channel
capacity, every worker can be busy booking payments and the webhooks queue behind
them (their latency is then the processing time, not the intake's). Keep more HTTP
workers than the job channels' capacity, e.g. ``workers = 2 x cores``, ``root:cores``.
Then::

    python3 tests/bench_gateway_webhooks.py --n 500 --db o2c_pg_bench \\
        --url http://127.0.0.1:8269

The script prepares in the database, through the ORM (no XML-RPC), a Stripe
connection "O2C Bench Stripe" with a known endpoint secret and its accounting (created
once, reused), plus N open invoices for this run; every run uses unique Stripe ids, so
runs are independent and their records stay in the database.
"""

import argparse
import json
import statistics
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import psycopg2
import requests
from _bench_server import ROOT, add_server_args, check_server_args

BENCH_CONNECTION = "O2C Bench Stripe"
BENCH_SECRET = "whsec_bench_stripe_5c1d9e0f7a3b2c4d"
INVOICE_CHUNK = 200


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_server_args(
        parser,
        n_default=500,
        n_help="number of payments",
        db_default="o2c_pg_bench",
        senders_default=8,
        senders_help="concurrent webhook senders (threads)",
    )
    parser.add_argument(
        "--timeout", type=float, default=3600.0, help="seconds to wait for the payments"
    )
    parser.add_argument(
        "--json", action="store_true", help="also print the figures as one JSON line"
    )
    args = parser.parse_args(argv)
    check_server_args(parser, args)
    if args.n < 1:
        parser.error("--n must be positive")
    return args


def prepare(args, run):
    """Create or reuse the bench connection, create N open invoices.

    Returns ``(webhook_key, currency code, [(invoice name, amount in cents)])``.
    """
    sys.path.insert(0, str(ROOT))
    from odoo import SUPERUSER_ID, Command, api, fields
    from odoo.modules.registry import Registry
    from odoo.tools import config

    config.parse_config(
        [
            f"--addons-path={args.addons_path}",
            f"--db_host={args.db_host}",
            f"--db_user={args.db_user}",
            "--log-level=warn",
        ]
    )
    registry = Registry(args.db)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
        if "o2c.gateway.transaction" not in env:
            raise SystemExit(f"o2c_payment_gateway is not installed in {args.db}")
        conn = env["o2c.connection"].search([("name", "=", BENCH_CONNECTION)], limit=1)
        if not conn:
            conn = env["o2c.connection"].create(
                {
                    "name": BENCH_CONNECTION,
                    "connection_type": "stripe",
                    "retry_max_attempts": 5,
                    "webhook_secret_ids": [
                        Command.create({"name": "bench", "secret": BENCH_SECRET})
                    ],
                }
            )
        conn.action_pg_setup_accounting()
        partner = env["res.partner"].search(
            [("name", "=", "Bench Gateway Customer")], limit=1
        ) or env["res.partner"].create({"name": "Bench Gateway Customer"})
        webhook_key, currency = conn.webhook_key, env.company.currency_id.name
        cr.commit()
        invoices = []
        for start in range(0, args.n, INVOICE_CHUNK):
            count = min(INVOICE_CHUNK, args.n - start)
            cents = [1000 + (start + i) * 7 % 90000 for i in range(count)]
            moves = env["account.move"].create(
                [
                    {
                        "move_type": "out_invoice",
                        "partner_id": partner.id,
                        "invoice_date": fields.Date.context_today(partner),
                        "ref": f"bench-{run}",
                        "invoice_line_ids": [
                            Command.create(
                                {
                                    "name": f"Bench {run}",
                                    "price_unit": amount / 100,
                                    "tax_ids": [Command.set([])],
                                }
                            )
                        ],
                    }
                    for amount in cents
                ]
            )
            moves.action_post()
            invoices.extend(zip(moves.mapped("name"), cents, strict=True))
            cr.commit()
            print(f"  {len(invoices)}/{args.n} invoices posted", flush=True)
        return webhook_key, currency, invoices


def payment_event(run, index, invoice_name, amount, currency):
    """A ``payment_intent.succeeded`` event shaped like Stripe's (API 2024-06-20)."""
    ident = f"bench_{run}_{index}"
    return {
        "id": f"evt_{ident}",
        "object": "event",
        "api_version": "2024-06-20",
        "created": int(time.time()),
        "data": {
            "object": {
                "id": f"pi_{ident}",
                "object": "payment_intent",
                "amount": amount,
                "amount_capturable": 0,
                "amount_received": amount,
                "capture_method": "automatic_async",
                "created": int(time.time()),
                "currency": currency.lower(),
                "customer": f"cus_{ident}",
                "description": invoice_name,
                "latest_charge": f"ch_{ident}",
                "livemode": False,
                "metadata": {"invoice_ref": invoice_name},
                "payment_method": f"pm_{ident}",
                "payment_method_types": ["card"],
                "status": "succeeded",
            }
        },
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": f"req_{ident}", "idempotency_key": None},
        "type": "payment_intent.succeeded",
    }


def push(args, webhook_key, bodies):
    """POST every body signed like Stripe; return (seconds, statuses, latencies)."""
    from odoo.addons.o2c_payment_gateway.lib.stripe import (
        SIGNATURE_HEADER,
        build_header,
    )

    url = f"{args.url.rstrip('/')}/o2c/webhook/{webhook_key}"
    local = threading.local()
    results = []
    lock = threading.Lock()

    def send(body):
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        headers = {
            SIGNATURE_HEADER: build_header(BENCH_SECRET, body, int(time.time())),
            "Content-Type": "application/json",
        }
        started = time.monotonic()
        try:
            status = session.post(
                url, data=body, headers=headers, timeout=120
            ).status_code
        except requests.RequestException:
            status = 0  # never answered (Stripe would retry)
        with lock:
            results.append((status, time.monotonic() - started))

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=args.senders) as pool:
        list(pool.map(send, bodies))
    return time.monotonic() - started, results


def progress(cur, run, connection_name):
    cur.execute(
        """SELECT COUNT(*) FILTER (WHERE tx.state IN ('posted', 'settled'))
             FROM o2c_gateway_transaction tx
            WHERE tx.payment_ref LIKE %s""",
        [f"pi_bench_{run}_%"],
    )
    posted = cur.fetchone()[0]
    cur.execute(
        """SELECT e.state, COUNT(*) FROM o2c_event e
             JOIN o2c_connection c ON c.id = e.connection_id
            WHERE c.name = %s AND e.external_id LIKE %s AND e.direction = 'in'
            GROUP BY e.state""",
        [connection_name, f"evt_bench_{run}_%"],
    )
    return posted, dict(cur.fetchall())


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def main(argv=None):
    args = parse_args(argv)
    run = uuid.uuid4().hex[:8]
    print(f"run {run}: preparing the connection and {args.n} invoices in {args.db}")
    prep_started = time.monotonic()
    webhook_key, currency, invoices = prepare(args, run)
    print(f"  prepared in {time.monotonic() - prep_started:.1f} s")
    bodies = [
        json.dumps(payment_event(run, i, name, amount, currency)).encode()
        for i, (name, amount) in enumerate(invoices)
    ]
    db = psycopg2.connect(dbname=args.db, host=args.db_host, user=args.db_user)
    db.autocommit = True
    cur = db.cursor()
    print(
        f"run {run}: sending {args.n} signed webhooks to {args.url} "
        f"({args.senders} senders)",
        flush=True,
    )
    t0 = time.monotonic()
    push_seconds, results = push(args, webhook_key, bodies)
    ingest_end = time.monotonic()
    ok = [latency for status, latency in results if 200 <= status < 300]
    statuses = sorted({status for status, _latency in results})
    print(
        f"ingest: {len(ok)}/{args.n} accepted in {push_seconds:.1f} s = "
        f"{len(ok) / push_seconds:.1f} events/s; 2xx latency p50 "
        f"{statistics.median(ok) * 1000:.0f} ms, p95 "
        f"{percentile(ok, 0.95) * 1000:.0f} ms; statuses {statuses}",
        flush=True,
    )
    posted_at_ingest_end, _events = progress(cur, run, BENCH_CONNECTION)
    deadline, last, last_change = t0 + args.timeout, None, time.monotonic()
    while time.monotonic() < deadline:
        posted, events = progress(cur, run, BENCH_CONNECTION)
        finished = posted + events.get("failed", 0) + events.get("dead", 0)
        if (posted, events) != last:
            print(
                f"  t={time.monotonic() - t0:6.1f}s posted={posted} events={events}",
                flush=True,
            )
            last, last_change = (posted, events), time.monotonic()
        if finished >= len(ok):
            break
        time.sleep(1)
    done_at = last_change
    posted, events = progress(cur, run, BENCH_CONNECTION)
    cur.execute(
        """SELECT AVG(duration_ms), PERCENTILE_CONT(0.95) WITHIN GROUP
                  (ORDER BY duration_ms)
             FROM o2c_event WHERE external_id LIKE %s AND state = 'done'""",
        [f"evt_bench_{run}_%"],
    )
    avg_ms, p95_ms = cur.fetchone()
    total = done_at - t0
    drain = max(done_at - ingest_end, 1e-9)
    figures = {
        "n": args.n,
        "accepted": len(ok),
        "ingest_seconds": round(push_seconds, 2),
        "accepted_per_s": round(len(ok) / push_seconds, 2),
        "latency_p50_ms": round(statistics.median(ok) * 1000, 1),
        "latency_p95_ms": round(percentile(ok, 0.95) * 1000, 1),
        "payments_posted": posted,
        "events": events,
        "total_seconds": round(total, 2),
        "payments_per_s": round(posted / total, 2),
        "drain_payments_per_s": round((posted - posted_at_ingest_end) / drain, 2),
        "handler_avg_ms": round(float(avg_ms or 0), 1),
        "handler_p95_ms": round(float(p95_ms or 0), 1),
    }
    print(
        f"RESULT n={args.n} accepted={len(ok)} ({figures['accepted_per_s']}/s, p50 "
        f"{figures['latency_p50_ms']} ms, p95 {figures['latency_p95_ms']} ms) "
        f"payments_posted={posted} in {total:.1f} s = {figures['payments_per_s']} "
        f"payments/s (backlog drain {figures['drain_payments_per_s']}/s); handler avg "
        f"{figures['handler_avg_ms']} ms p95 {figures['handler_p95_ms']} ms; "
        f"events={events}"
    )
    if args.json:
        print(json.dumps(figures))
    return 0 if posted == args.n else 1


if __name__ == "__main__":
    sys.exit(main())
