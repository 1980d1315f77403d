#!/usr/bin/env python3
# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Benchmark: N signed orders through the real webhook to posted invoices.

What it measures: orders per second from the first webhook POST to the last posted
invoice, on a RUNNING Odoo with HTTP workers and the queue_job runner (the real path:
signature check, store-first commit, job, order handler, invoice posting).

Start the server first (same encryption key for the server and this script; loopback
only), for example::

    export O2C_ENCRYPTION_KEYS=$(python3 -c \\
        "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())")
    ODOO_QUEUE_JOB_CHANNELS=root:2,root.o2c:2 python3 -m odoo -d o2c_ord \\
        --db_host=127.0.0.1 --db_user=root \\
        --addons-path=/opt/odoo19/addons,/work/main --load=base,web,queue_job \\
        --workers=3 --max-cron-threads=1 --http-interface=127.0.0.1 --http-port=8169

then::

    python3 tests/bench_orders.py --n 200 --db o2c_ord --url http://127.0.0.1:8169

The script prepares (idempotently, in the database, through the ORM) a connection
"O2C Bench Shop" with a webhook secret, products and a tax mapping, pushes the orders
with a few concurrent senders, waits until every order has a posted invoice (or the
timeout), and prints the figures. Orders of each run carry a unique prefix; they are
left in the database (they are what the run produced).
"""

import argparse
import json
import random
import statistics
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import psycopg2
import requests
from _bench_server import ROOT, add_server_args, check_server_args

BENCH_CONNECTION = "O2C Bench Shop"
BENCH_SECRET = "whsec_bench_0123456789abcdef0123"
SKUS = [("BENCH-A", "12.50"), ("BENCH-B", "3.20"), ("BENCH-C", "99.00")]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_server_args(
        parser,
        n_default=200,
        n_help="number of orders",
        db_default="o2c_ord",
        senders_default=4,
        senders_help="concurrent webhook senders",
    )
    parser.add_argument(
        "--customers", type=int, default=0, help="distinct customers (default: n / 4)"
    )
    parser.add_argument(
        "--timeout", type=float, default=1800.0, help="seconds to wait for the invoices"
    )
    parser.add_argument(
        "--policy",
        choices=["post", "batch"],
        default="post",
        help="invoicing policy of the bench connection: 'post' (the default: each "
        "invoice in its order's transaction) or 'batch' (a queued job posts the "
        "invoices of the orders confirmed in the last seconds together)",
    )
    args = parser.parse_args(argv)
    check_server_args(parser, args)
    return args


def prepare(args):
    """Create or reuse the bench connection; return (webhook_key, currency code)."""
    sys.path.insert(0, str(ROOT))
    from odoo import SUPERUSER_ID, api
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
        company = env.company
        tax = env["account.tax"].search(
            [
                ("type_tax_use", "=", "sale"),
                ("amount_type", "=", "percent"),
                ("company_id", "=", company.id),
                ("price_include", "=", False),
            ],
            limit=1,
        )
        conn = env["o2c.connection"].search([("name", "=", BENCH_CONNECTION)], limit=1)
        if not conn:
            conn = env["o2c.connection"].create(
                {
                    "name": BENCH_CONNECTION,
                    "connection_type": "generic",
                    "order_flow_enabled": True,
                    "order_invoice_policy": "post",
                    "order_credit_check": True,
                    "retry_max_attempts": 5,
                }
            )
        conn.order_invoice_policy = args.policy
        # a fresh secret per run, encrypted with this run's key (the server's)
        conn.webhook_secret_ids.unlink()
        env["o2c.connection.secret"].create(
            {"connection_id": conn.id, "name": "bench", "secret": BENCH_SECRET}
        )
        if tax and not conn.tax_mapping_ids:
            env["o2c.tax.mapping"].create(
                {"connection_id": conn.id, "code": "VAT", "tax_id": tax.id}
            )
        for sku, price in SKUS:
            if not env["product.product"].search([("default_code", "=", sku)]):
                env["product.product"].create(
                    {
                        "name": f"Bench {sku}",
                        "default_code": sku,
                        "type": "consu",
                        "list_price": float(price),
                        "taxes_id": [(6, 0, tax.ids)],
                    }
                )
        cr.commit()
        return conn.webhook_key, company.currency_id.name, bool(tax)


def make_orders(args, run, currency, with_tax):
    rng = random.Random(run)
    customers = args.customers or max(args.n // 4, 1)
    taxes = ["VAT"] if with_tax else []
    orders = []
    for i in range(args.n):
        cust = rng.randrange(customers)
        lines = [
            {
                "sku": sku,
                "quantity": str(rng.randint(1, 5)),
                "unit_price": price,
                "taxes": taxes,
            }
            for sku, price in rng.sample(SKUS, rng.randint(1, len(SKUS)))
        ]
        orders.append(
            {
                "schema_version": "1.0",
                "external_id": f"bench-{run}-{i}",
                "reference": f"#{run}-{i}",
                "currency": currency,
                "customer": {
                    "external_id": f"bench-{run}-cust-{cust}",
                    "name": f"Bench Customer {run} {cust}",
                    "email": f"bench-{run}-{cust}@bench.example",
                },
                "lines": lines,
            }
        )
    return orders


def push(args, webhook_key, orders):
    """POST every order signed; return (seconds, statuses, latencies)."""
    # importable once prepare() has set Odoo's addons path
    from odoo.addons.o2c_integration.lib.signature import (
        SIGNATURE_HEADER,
        sign,
    )

    url = f"{args.url.rstrip('/')}/o2c/webhook/{webhook_key}"
    local = threading.local()
    statuses, latencies = [], []
    lock = threading.Lock()

    def send(order):
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        body = json.dumps(order).encode()
        headers = {
            SIGNATURE_HEADER: sign(BENCH_SECRET, body, int(time.time())),
            "Content-Type": "application/json",
            "X-O2C-Event-Type": "order.created",
        }
        started = time.monotonic()
        status = 0  # never answered
        for _attempt in range(5):
            try:
                status = session.post(
                    url, data=body, headers=headers, timeout=60
                ).status_code
            except requests.RequestException:
                status = 0
            if 0 < status < 500:
                break
            time.sleep(1)
        with lock:
            statuses.append(status)
            latencies.append(time.monotonic() - started)

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=args.senders) as pool:
        list(pool.map(send, orders))
    return time.monotonic() - started, statuses, latencies


def progress(cur, run):
    cur.execute(
        """SELECT COUNT(DISTINCT so.id),
                  COUNT(DISTINCT so.id) FILTER (WHERE am.state = 'posted'),
                  COUNT(DISTINCT so.id) FILTER (WHERE so.o2c_credit_hold)
             FROM sale_order so
             LEFT JOIN account_move am
                    ON am.o2c_external_id = so.o2c_external_id
                   AND am.o2c_connection_id = so.o2c_connection_id
            WHERE so.o2c_external_id LIKE %s""",
        [f"bench-{run}-%"],
    )
    orders, invoiced, held = cur.fetchone()
    cur.execute(
        """SELECT state, COUNT(*) FROM o2c_event
            WHERE external_id LIKE %s AND direction = 'in' GROUP BY state""",
        [f"order:bench-{run}-%"],
    )
    return orders, invoiced, held, dict(cur.fetchall())


def main(argv=None):
    args = parse_args(argv)
    webhook_key, currency, with_tax = prepare(args)
    run = uuid.uuid4().hex[:8]
    orders = make_orders(args, run, currency, with_tax)
    print(
        f"run {run}: pushing {args.n} orders to {args.url} ({args.senders} senders, "
        f"invoicing policy {args.policy})"
    )
    conn = psycopg2.connect(dbname=args.db, host=args.db_host, user=args.db_user)
    conn.autocommit = True
    cur = conn.cursor()
    try:
        return measure(args, run, webhook_key, orders, cur)
    finally:
        # The secret is encrypted with this run's key: leave none behind (a key
        # rotation would fail on a secret no configured key decrypts).
        cur.execute(
            "DELETE FROM o2c_connection_secret WHERE connection_id IN "
            "(SELECT id FROM o2c_connection WHERE name = %s)",
            [BENCH_CONNECTION],
        )
        conn.close()


def measure(args, run, webhook_key, orders, cur):
    t0 = time.monotonic()
    push_seconds, statuses, latencies = push(args, webhook_key, orders)
    accepted = sum(1 for s in statuses if 200 <= s < 300)
    print(
        f"pushed in {push_seconds:.1f} s ({args.n / push_seconds:.1f} req/s), "
        f"{accepted} accepted, statuses {sorted(set(statuses))}, webhook latency "
        f"p50 {statistics.median(latencies) * 1000:.0f} ms, "
        f"p95 {sorted(latencies)[int(len(latencies) * 0.95) - 1] * 1000:.0f} ms"
    )
    deadline = t0 + args.timeout
    last = None
    while time.monotonic() < deadline:
        orders_n, invoiced, held, events = progress(cur, run)
        settled = invoiced + held + events.get("failed", 0) + events.get("dead", 0)
        state = (orders_n, invoiced, held, tuple(sorted(events.items())))
        if state != last:
            print(
                f"  t={time.monotonic() - t0:6.1f}s orders={orders_n} "
                f"invoiced={invoiced} held={held} events={events}"
            )
            last = state
        if settled >= args.n:
            break
        time.sleep(1)
    elapsed = time.monotonic() - t0
    orders_n, invoiced, held, events = progress(cur, run)
    cur.execute(
        """SELECT AVG(duration_ms), PERCENTILE_CONT(0.95) WITHIN GROUP
                  (ORDER BY duration_ms)
             FROM o2c_event WHERE external_id LIKE %s AND state = 'done'""",
        [f"order:bench-{run}-%"],
    )
    avg_ms, p95_ms = cur.fetchone()
    print(
        f"RESULT n={args.n} orders={orders_n} posted_invoices={invoiced} held={held} "
        f"events={events} elapsed={elapsed:.1f}s "
        f"throughput={invoiced / elapsed:.2f} orders/s to posted invoice; "
        f"handler avg {float(avg_ms or 0):.0f} ms p95 {float(p95_ms or 0):.0f} ms"
    )
    return 0 if invoiced + held == args.n else 1


if __name__ == "__main__":
    sys.exit(main())
