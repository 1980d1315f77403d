# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Exactly-once under real concurrency: separate database connections that commit.

These tests leave committed rows behind on purpose (events and their audit entries are
append-only); every key is unique per run so reruns on the same database stay valid.
"""

import threading
import time
import uuid

from odoo import SUPERUSER_ID, api
from odoo.tests import TransactionCase

from odoo.addons.queue_job.exception import RetryableJobError

from .common import O2cTestMixin, unique_config_param


class TestConcurrentDelivery(O2cTestMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # No fixtures in the test transaction: the committing workers below must not
        # wait on rows it holds.
        cls._o2c_setup_keys()
        cls.run_id = uuid.uuid4().hex[:10]
        # the connection must be visible to other transactions: commit it for real
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            conn = env["o2c.connection"].create({"name": f"Concurrency {cls.run_id}"})
            cls.conn_id = conn.id

    def _in_new_cursor(self, func, results, key, delay_commit=0.0):
        try:
            with self.registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                results[key] = func(env)
                time.sleep(delay_commit)
        except Exception as exc:
            results[key] = exc

    def test_same_event_concurrently_stored_once(self):
        external_id = f"evt-conc-{self.run_id}"

        def store(env):
            conn = env["o2c.connection"].browse(self.conn_id)
            event, created = env["o2c.event"]._store_inbound(
                conn, "t", external_id, '{"a": 1}', enqueue=True
            )
            return created

        results = {}
        threads = [
            threading.Thread(target=self._in_new_cursor, args=(store, results, i, 0.3))
            for i in range(2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        self.assertEqual(sorted(results.values()), [False, True], results)
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT count(*) FROM o2c_event WHERE external_id = %s", [external_id]
            )
            self.assertEqual(cr.fetchone()[0], 1)
            cr.execute(
                "SELECT count(*) FROM queue_job WHERE records::text LIKE %s",
                [f"%o2c.event%{self._event_id(external_id)}%"],
            )
            self.assertEqual(cr.fetchone()[0], 1)

    def test_duplicate_storm_stores_once_without_sql_errors(self):
        """Six deliveries of one event at once: one row, no failing statement.

        Each worker has taken its snapshot before the others insert (as a webhook
        worker has, after authenticating): the duplicates must still not show up as
        "bad query" ERROR lines of ``odoo.sql_db`` carrying the raw payload.
        """
        external_id = f"evt-storm-{self.run_id}"
        payload = '{"card": "4242424242424242", "storm": true}'
        workers = 6
        barrier = threading.Barrier(workers)

        def store(env):
            env.cr.execute("SELECT 1")  # the transaction's snapshot is taken
            barrier.wait(10)
            conn = env["o2c.connection"].browse(self.conn_id)
            _event, created = env["o2c.event"]._store_inbound(
                conn, "t", external_id, payload, enqueue=True
            )
            return created

        results = {}
        with self.assertNoLogs("odoo.sql_db", level="ERROR"):
            threads = [
                threading.Thread(
                    target=self._in_new_cursor, args=(store, results, i, 0.3)
                )
                for i in range(workers)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
        self.assertEqual(
            sorted(results.values()), [False] * (workers - 1) + [True], results
        )
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT count(*) FROM o2c_event WHERE external_id = %s", [external_id]
            )
            self.assertEqual(cr.fetchone()[0], 1)
            cr.execute(
                "SELECT count(*) FROM queue_job WHERE records::text LIKE %s",
                [f"%o2c.event%{self._event_id(external_id)}%"],
            )
            self.assertEqual(cr.fetchone()[0], 1)

    def _event_id(self, external_id):
        with self.registry.cursor() as cr:
            cr.execute("SELECT id FROM o2c_event WHERE external_id = %s", [external_id])
            return cr.fetchone()[0]

    def test_two_workers_process_one_event_once(self):
        external_id = f"evt-proc-{self.run_id}"
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            conn = env["o2c.connection"].browse(self.conn_id)
            event, _created = env["o2c.event"]._store_inbound(
                conn, "slow", external_id, "{}", enqueue=False
            )
            event.state = "queued"
            event_id = event.id
        calls = []

        def slow_handler(event):
            calls.append(event.id)
            time.sleep(0.5)  # hold the row lock while the other worker tries
            return unique_config_param(event.env, f"o2c.conc.{external_id}", "1")

        def process(env):
            return env["o2c.event"].browse(event_id)._job_process()

        results = {}
        with self.o2c_handlers({("generic", "slow"): slow_handler}):
            threads = [
                threading.Thread(target=self._in_new_cursor, args=(process, results, i))
                for i in range(2)
            ]
            threads[0].start()
            time.sleep(0.1)
            threads[1].start()
            for thread in threads:
                thread.join(30)
        self.assertEqual(len(calls), 1, results)
        outcomes = sorted(
            type(r).__name__ if isinstance(r, Exception) else r
            for r in results.values()
        )
        self.assertIn("done", outcomes)
        other = [r for r in results.values() if r != "done"][0]
        # the loser either saw the lock (retry later) or found the event already done
        self.assertTrue(
            isinstance(other, RetryableJobError) or other == "done", outcomes
        )
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT state, attempts FROM o2c_event WHERE id = %s", [event_id]
            )
            self.assertEqual(cr.fetchone(), ("done", 1))

    def test_concurrent_audited_transactions_chain_once(self):
        """Two workers audit and commit at the same time: one chain, no fork, no error.

        A regression test: sealing inside the worker's REPEATABLE READ transaction
        read a "last entry" older than the lock wait and collided on the sequence.
        """
        marker = f"conc-audit-{self.run_id}"

        def audit(env):
            entry = env["o2c.audit.log"]._log("test.concurrent", marker)
            return entry.id

        results = {}
        threads = [
            threading.Thread(target=self._in_new_cursor, args=(audit, results, i, 0.3))
            for i in range(4)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        self.assertTrue(all(isinstance(r, int) for r in results.values()), results)
        with self.registry.cursor() as cr:
            # sealed right after each commit, by the committing worker itself
            cr.execute(
                "SELECT sequence, prev_hash, hash FROM o2c_audit_log WHERE summary = %s",
                [marker],
            )
            rows = cr.fetchall()
            self.assertEqual(len(rows), 4)
            self.assertTrue(
                all(seq and prev and digest for seq, prev, digest in rows), rows
            )
            self.assertEqual(len({row[0] for row in rows}), 4)
            env = api.Environment(cr, SUPERUSER_ID, {})
            self.assertFalse(env["o2c.audit.log"]._verify_chain())
