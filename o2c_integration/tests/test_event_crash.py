# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""A processor killed with SIGKILL is detected at once; a live one is never doubled.

Like ``test_concurrency``, these tests commit for real (a separate OS process and
separate cursors) and leave their rows behind; every key is unique per run.
"""

import os
import select
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import timedelta

from odoo import SUPERUSER_ID, api, fields
from odoo.tests import TransactionCase
from odoo.tools import config

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.tests.common import trap_jobs

from .common import O2cTestMixin, unique_config_param

WORKER = os.path.join(os.path.dirname(__file__), "crash_worker.py")


class TestDeadProcessor(O2cTestMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._o2c_setup_keys()
        cls.run_id = uuid.uuid4().hex[:10]
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            conn = env["o2c.connection"].create({"name": f"Crash {cls.run_id}"})
            cls.conn_id = conn.id

    def _committed_event(self, event_type, external_id, **vals):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            conn = env["o2c.connection"].browse(self.conn_id)
            event, _created = env["o2c.event"]._store_inbound(
                conn, event_type, external_id, '{"amount": "77.00"}', enqueue=False
            )
            event.write(dict({"state": "queued"}, **vals))
            return event.id

    def _retire(self, *event_ids):
        """Leave no committed event open: later cron tests on this database count them."""
        with self.registry.cursor() as cr:
            cr.execute(
                "UPDATE o2c_event SET state = 'done', next_retry_at = NULL "
                "WHERE id IN %s AND state != 'done'",
                [event_ids],
            )

    def _read(self, event_id):
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT state, attempts FROM o2c_event WHERE id = %s", [event_id]
            )
            return cr.fetchone()

    def _in_new_env(self, func):
        with self.registry.cursor() as cr:
            return func(api.Environment(cr, SUPERUSER_ID, {}))

    def _odoo_args(self):
        addons = config["addons_path"]
        if not isinstance(addons, str):
            addons = ",".join(addons)
        args = [f"--addons-path={addons}", "--log-level=warn"]
        for option in ("db_host", "db_port", "db_user", "db_password"):
            if config.get(option):
                args.append(f"--{option}={config[option]}")
        return args

    def _start_worker(self, event_id, event_type, stderr):
        proc = subprocess.Popen(
            [sys.executable, WORKER, self.env.cr.dbname, str(event_id), event_type]
            + self._odoo_args(),
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            ready, _w, _x = select.select([proc.stdout], [], [], 1.0)
            if ready:
                line = proc.stdout.readline()
                if line.strip() == "BLOCKING":
                    return proc
                if not line and proc.poll() is not None:
                    break
        proc.kill()
        proc.wait()
        stderr.seek(0)
        self.fail(f"the worker never reached its handler:\n{stderr.read()[-3000:]}")

    def test_killed_processor_is_taken_over_at_once_live_one_never_doubled(self):
        event_type = f"o2c.test.block.{self.run_id}"
        event_id = self._committed_event(event_type, f"evt-kill-{self.run_id}")
        self.addCleanup(self._retire, event_id)
        calls = []

        def handler(event):
            calls.append(event.id)
            return unique_config_param(event.env, f"o2c.crash.{event.id}", "1")

        with (
            tempfile.TemporaryFile("w+") as stderr,
            self.o2c_handlers({("generic", event_type): handler}),
        ):
            proc = self._start_worker(event_id, event_type, stderr)
            try:
                # the worker committed its mark and is inside the handler
                self.assertEqual(self._read(event_id), ("processing", 1))
                # a live processor holds the lock: a second job backs off ...
                with self.assertRaises(RetryableJobError):
                    self._in_new_env(
                        lambda env: env["o2c.event"].browse(event_id)._job_process()
                    )
                # ... and the stuck-event cron leaves it alone
                requeued = self._in_new_env(
                    lambda env: env["o2c.event"]
                    ._cron_requeue_stuck(grace_seconds=0)
                    .ids
                )
                self.assertNotIn(event_id, requeued)
                self.assertEqual(calls, [])
                self.assertEqual(self._read(event_id), ("processing", 1))
            finally:
                proc.kill()  # SIGKILL: no cleanup, no rollback sent by the worker
                proc.wait()
            killed = time.monotonic()
            # the requeued job (queue_job requeues a job whose worker died) runs
            outcome = None
            while time.monotonic() - killed < 60:
                try:
                    outcome = self._in_new_env(
                        lambda env: env["o2c.event"].browse(event_id)._job_process()
                    )
                    break
                except RetryableJobError:
                    # PostgreSQL has not noticed the dead connection yet
                    time.sleep(0.1)
            recovery = time.monotonic() - killed
        sys.stdout.write(
            f"\nO2C crash recovery: event done {recovery:.2f} s after kill -9\n"
        )
        # processed at once, not skipped as "being processed" until a timeout
        self.assertEqual(outcome, "done", f"after {recovery:.1f} s")
        self.assertLess(recovery, 60)
        self.assertEqual(calls, [event_id])
        self.assertEqual(self._read(event_id), ("done", 2))

    def test_cron_requeues_by_lock_not_by_age(self):
        long_ago = fields.Datetime.now() - timedelta(hours=2)
        recent = fields.Datetime.now() - timedelta(minutes=2)
        live_id = self._committed_event(
            "t",
            f"evt-live-{self.run_id}",
            state="processing",
            attempts=1,
            processing_started_at=long_ago,
        )
        dead_id = self._committed_event(
            "t",
            f"evt-dead-{self.run_id}",
            state="processing",
            attempts=1,
            processing_started_at=recent,
        )
        self.addCleanup(self._retire, live_id, dead_id)
        locked, release = threading.Event(), threading.Event()

        def hold_lock():
            # a live processor: a transaction holding the event's row lock
            with self.registry.cursor() as cr:
                cr.execute(
                    "SELECT id FROM o2c_event WHERE id = %s FOR NO KEY UPDATE",
                    [live_id],
                )
                locked.set()
                release.wait(30)

        holder = threading.Thread(target=hold_lock)
        holder.start()
        try:
            self.assertTrue(locked.wait(30))

            def cron(env):
                with trap_jobs():
                    return env["o2c.event"]._cron_requeue_stuck().ids

            requeued = self._in_new_env(cron)
        finally:
            release.set()
            holder.join(30)
        # two hours in processing, but alive: left alone; two minutes, but dead: requeued
        self.assertNotIn(live_id, requeued)
        self.assertIn(dead_id, requeued)
        self.assertEqual(self._read(live_id), ("processing", 1))
        self.assertEqual(self._read(dead_id)[0], "queued")
