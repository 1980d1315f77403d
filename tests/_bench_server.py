# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Command-line options shared by the benchmarks that drive a running Odoo over HTTP.

Imported by ``bench_gateway_webhooks.py`` and ``bench_orders.py`` (run as scripts, so
this folder is on ``sys.path``); not a test module.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]


def add_server_args(
    parser, *, n_default, n_help, db_default, senders_default, senders_help
):
    """The options every HTTP benchmark has: size, database, server URL, senders."""
    parser.add_argument("--n", type=int, default=n_default, help=n_help)
    parser.add_argument("--db", default=db_default, help="database of the server")
    parser.add_argument(
        "--url",
        default="http://127.0.0.1:8069",
        help="base URL of the running Odoo (loopback only)",
    )
    parser.add_argument("--db-host", default="127.0.0.1")
    parser.add_argument("--db-user", default="root")
    parser.add_argument("--addons-path", default=f"/opt/odoo19/addons,{ROOT}")
    parser.add_argument(
        "--senders", type=int, default=senders_default, help=senders_help
    )


def check_server_args(parser, args):
    """Refuse a non-loopback URL and a missing encryption key (the server's)."""
    if urlsplit(args.url).hostname not in ("127.0.0.1", "localhost", "::1"):
        parser.error("--url must be a loopback address")
    if not os.environ.get("O2C_ENCRYPTION_KEYS"):
        parser.error("set O2C_ENCRYPTION_KEYS to the key of the running server")
