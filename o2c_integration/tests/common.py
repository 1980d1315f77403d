# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Helpers other addons' tests import (like queue_job's ``trap_jobs``).

``O2cTestMixin`` sets an encryption key for the test, creates a generic connection with
a webhook secret, and lets a test register event handlers::

    class TestX(O2cCommon):
        def test_y(self):
            with self.o2c_handlers({("generic", "order.created"): my_handler}):
                event, created = self.store_event("order.created", "ext-1", {...})
                event._job_process()
"""

import json
import os
import tempfile
import time
from contextlib import contextmanager
from unittest.mock import patch
from urllib.parse import urlsplit

import psycopg2

from odoo.tests import TransactionCase, new_test_user
from odoo.tests import common as odoo_test_common

from ..lib.crypto import SecretCipher
from ..lib.signature import SIGNATURE_HEADER, sign

TEST_KEY = SecretCipher.generate_key()
# Fixed, not random: tests that commit leave sealed entries behind, and every later
# run on the same database must still verify them. Not a secret.
TEST_AUDIT_KEY = "o2c-test-audit-sealing-key-0123456789abcdef"
# Digest files of a test run go to a scratch folder, never to the server's data_dir.
TEST_AUDIT_DIGEST_DIR = tempfile.mkdtemp(prefix="o2c_audit_digests_")
WEBHOOK_SECRET = "whsec_test_0123456789abcdef"


class O2cTestMixin:
    """Class-level fixtures for O2C tests (call ``_o2c_setup`` from setUpClass)."""

    @classmethod
    def _request_handler(cls, s, r, /, **kw):
        """Let loopback calls through unchanged.

        Odoo's test harness raises any timeout below 10 s to 10 s and cannot handle
        ``(connect, read)`` tuples; the outbound client's timeout and retry behaviour is
        what these tests check against local fake servers, so it must stay intact.
        """
        if urlsplit(r.url).hostname in ("127.0.0.1", "localhost"):
            return odoo_test_common._super_send(s, r, **kw)
        return super()._request_handler(s, r, **kw)

    @classmethod
    def _o2c_setup_keys(cls):
        cls._o2c_env_patch = patch.dict(
            os.environ,
            {
                "O2C_ENCRYPTION_KEYS": TEST_KEY,
                "O2C_AUDIT_KEYS": TEST_AUDIT_KEY,
                "O2C_AUDIT_DIGEST_DIR": TEST_AUDIT_DIGEST_DIR,
            },
        )
        cls._o2c_env_patch.start()
        cls.addClassCleanup(cls._o2c_env_patch.stop)

    @classmethod
    def _o2c_setup(cls):
        cls._o2c_setup_keys()
        cls.env = cls.env(
            context=dict(
                cls.env.context,
                tracking_disable=True,
                mail_notrack=True,
                mail_create_nolog=True,
            )
        )
        cls.connection = cls.env["o2c.connection"].create(
            {
                "name": "Test Shop",
                "connection_type": "generic",
                "retry_max_attempts": 3,
                "retry_backoff_base": 10,
                "retry_backoff_cap": 100,
            }
        )
        cls.env["o2c.connection.secret"].create(
            {
                "connection_id": cls.connection.id,
                "name": "current",
                "secret": WEBHOOK_SECRET,
            }
        )

    @contextmanager
    def o2c_handlers(self, mapping):
        """Register extra (connection_type, event_type) -> handler for the block."""
        event_cls = type(self.env["o2c.event"])
        original = event_cls._o2c_get_handlers

        def _handlers(event_self):
            handlers = original(event_self)
            handlers.update(mapping)
            return handlers

        with patch.object(event_cls, "_o2c_get_handlers", _handlers):
            yield

    def store_event(
        self, event_type, external_id, payload, connection=None, enqueue=False
    ):
        connection = connection or self.connection
        body = payload if isinstance(payload, str) else json.dumps(payload)
        return self.env["o2c.event"]._store_inbound(
            connection, event_type, external_id, body, enqueue=enqueue
        )

    @staticmethod
    def signed_headers(body, secret=WEBHOOK_SECRET, timestamp=None):
        ts = int(time.time()) if timestamp is None else timestamp
        return {
            SIGNATURE_HEADER: sign(secret, body, ts),
            "Content-Type": "application/json",
        }


class O2cCommon(O2cTestMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._o2c_setup()
        cls.o2c_user = new_test_user(
            cls.env, "o2c_user", groups="o2c_integration.group_o2c_user"
        )
        cls.o2c_manager = new_test_user(
            cls.env, "o2c_manager", groups="o2c_integration.group_o2c_manager"
        )
        cls.o2c_admin = new_test_user(
            cls.env, "o2c_admin", groups="o2c_integration.group_o2c_admin"
        )


def run_jobs(trap):
    """Perform the jobs caught by ``trap_jobs()`` in the test transaction.

    ``o2c.event._job_process`` is declared ``allow_commit`` (it commits its
    "processing" mark), so queue_job's own ``perform_enqueued_jobs`` would run it on a
    new cursor that cannot see the test's uncommitted data. This runs the job function
    directly on the trapped recordset instead; returns the results.
    """
    jobs, trap.enqueued_jobs = trap.enqueued_jobs, []
    return [job.func(*job.args, **job.kwargs) for job in jobs]


def unique_config_param(env, key, value):
    """Create an ir.config_parameter once, guarded by its UNIQUE(key) constraint.

    Test handlers use it as a stand-in for a business record protected by a database
    unique constraint (what real handlers do for payments, statement lines, ...).
    """
    try:
        with env.cr.savepoint():
            return (
                env["ir.config_parameter"].sudo().create({"key": key, "value": value})
            )
    except psycopg2.errors.UniqueViolation:
        return env["ir.config_parameter"].sudo().search([("key", "=", key)])
