# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""A stored payload is evidence: immutable, hash-checked, corrected only as a new event."""

import json

import psycopg2

from odoo.exceptions import AccessError, UserError

from odoo.addons.queue_job.tests.common import trap_jobs

from ..lib.exceptions import PermanentError
from .common import O2cCommon, run_jobs, unique_config_param

PAYMENT = {"invoice": "INV/2026/0001", "amount": 10.00}


class TestEventIntegrity(O2cCommon):
    def setUp(self):
        super().setUp()
        self.event, _c = self.store_event("payment", "evt-pay-1", PAYMENT)
        self.calls = []

    def _handler(self, event):
        self.calls.append(json.loads(event.sudo().payload))
        return unique_config_param(event.env, f"o2c.test.pay.{event.id}", "1")

    def _process(self, event):
        with self.o2c_handlers({("generic", "payment"): self._handler}):
            return event._job_process()

    # --- immutability

    def test_payload_rewrite_refused_for_everyone(self):
        forged = json.dumps({"invoice": "INV/2026/0099", "amount": 77.00})
        users = {
            "manager": self.event.with_user(self.o2c_manager),
            "admin": self.event.with_user(self.o2c_admin),
            "sudo": self.event.sudo(),
        }
        attempts = [
            {"payload": forged},
            {"payload_hash": "0" * 64},
            {"idempotency_key": "in:1:other"},
            {"connection_id": self.env["o2c.connection"].create({"name": "X"}).id},
            {"direction": "out"},
            {"event_type": "refund"},
            {"payload": False},  # a purge without the purge path
        ]
        for who, event in users.items():
            for vals in attempts:
                with (
                    self.subTest(who=who, vals=list(vals)),
                    self.assertRaises(UserError),
                ):
                    event.write(vals)
        self.event.invalidate_recordset()
        self.assertEqual(json.loads(self.event.sudo().payload), PAYMENT)
        # the event's processing state stays writable
        self.event.sudo().write({"state": "queued"})
        self.assertEqual(self.event.state, "queued")

    def test_payload_rewrite_refused_in_sql(self):
        cr = self.env.cr
        self.env.flush_all()
        for statement in (
            "UPDATE o2c_event SET payload = '{\"amount\": 77}' WHERE id = %s",
            "UPDATE o2c_event SET payload_hash = 'x' WHERE id = %s",
            "UPDATE o2c_event SET idempotency_key = 'in:0:x' WHERE id = %s",
            # purging outside the purge path (no transaction flag) is refused too
            "UPDATE o2c_event SET payload = NULL, headers = NULL, "
            "payload_purged = TRUE WHERE id = %s",
        ):
            with (
                self.subTest(statement=statement),
                self.assertRaises(psycopg2.errors.InsufficientPrivilege),
                cr.savepoint(flush=False),
            ):
                cr.execute(statement, [self.event.id])
        with self.assertRaises(psycopg2.errors.InsufficientPrivilege):
            # inside the purge path, only NULL is accepted
            with self.event._payload_purge_allowed(), cr.savepoint(flush=False):
                cr.execute(
                    "UPDATE o2c_event SET payload = 'x', headers = NULL, "
                    "payload_purged = TRUE WHERE id = %s",
                    [self.event.id],
                )
        cr.execute(
            "UPDATE o2c_event SET state = 'queued' WHERE id = %s", [self.event.id]
        )

    def test_purge_path_is_narrow(self):
        purge = self.event.sudo().with_context(o2c_payload_purge=True)
        with self.assertRaises(UserError):
            purge.write({"payload": "{}", "headers": False, "payload_purged": True})
        with self.assertRaises(UserError):
            purge.write({"payload": False, "headers": False, "payload_hash": False})
        digest = self.event.payload_hash
        purge.write({"payload": False, "headers": False, "payload_purged": True})
        self.event.invalidate_recordset()
        self.assertFalse(self.event.sudo().payload)
        self.assertTrue(self.event.payload_purged)
        self.assertEqual(self.event.payload_hash, digest)
        # the purge flag is not left on for the rest of the transaction
        self.env.cr.execute("SELECT current_setting('o2c.payload_purge', true)")
        self.assertFalse(self.env.cr.fetchone()[0])

    # --- hash check before processing

    def _tamper(self, event, payload):
        """What a database owner could do: bypass the trigger, rewrite the row."""
        cr = self.env.cr
        self.env.flush_all()
        cr.execute("SET LOCAL session_replication_role = replica")
        cr.execute(
            "UPDATE o2c_event SET payload = %s WHERE id = %s", [payload, event.id]
        )
        cr.execute("SET LOCAL session_replication_role = origin")
        event.invalidate_recordset()

    def test_tampered_payload_is_never_processed(self):
        self._tamper(self.event, json.dumps({"invoice": "INV/9", "amount": 77.00}))
        self.assertEqual(self._process(self.event), "failed")
        self.assertEqual(self.calls, [])
        self.assertEqual(self.event.state, "failed")
        self.assertIn("Integrity check failed", self.event.last_error)
        exc = self.event.exception_ids
        self.assertEqual(len(exc), 1)
        self.assertEqual(exc.severity, "critical")
        audit = self.env["o2c.audit.log"].search([("event_id", "=", self.event.id)])
        self.assertIn("event.integrity_failed", audit.mapped("action"))
        # a manager's retry does not get it through either
        with trap_jobs() as trap:
            self.event.with_user(self.o2c_manager).action_retry()
            run_jobs(trap)
        self.assertEqual(self.calls, [])
        self.assertEqual(self.event.state, "failed")

    def test_intact_payload_is_processed(self):
        self.assertEqual(self._process(self.event), "done")
        self.assertEqual(self.calls, [PAYMENT])

    # --- edit and retry

    def _fail(self, event):
        def refuse(event):
            raise PermanentError("no open invoice INV/2026/0001")

        with self.o2c_handlers({("generic", "payment"): refuse}):
            event._job_process()
        self.assertEqual(event.state, "failed")

    def test_correction_as_admin_is_a_new_audited_event(self):
        self._fail(self.event)
        corrected = '{"invoice": "INV/2026/0002", "amount": 10.00}'
        action = self.event.with_user(self.o2c_admin).action_edit_and_retry()
        self.assertEqual(action["res_model"], "o2c.event.correction.wizard")
        wizard = (
            self.env[action["res_model"]]
            .with_user(self.o2c_admin)
            .with_context(action["context"])
            .create({"reason": "customer paid the other invoice"})
        )
        self.assertEqual(wizard.original_payload, self.event.sudo().payload)
        self.assertEqual(wizard.new_payload, self.event.sudo().payload)
        wizard.new_payload = corrected
        self.assertIn('-  "invoice": "INV/2026/0001"', wizard.diff)
        self.assertIn('+  "invoice": "INV/2026/0002"', wizard.diff)
        with trap_jobs() as trap:
            result = wizard.action_confirm()
            trap.assert_jobs_count(1)
            correction = self.env["o2c.event"].browse(result["res_id"])
            self.assertEqual(correction.corrected_from_id, self.event)
            self.assertEqual(
                correction.idempotency_key,
                f"{self.event.idempotency_key}:correction:1",
            )
            self.assertEqual(correction.sudo().payload, corrected)
            self.assertEqual(correction.state, "queued")
            with self.o2c_handlers({("generic", "payment"): self._handler}):
                run_jobs(trap)
                correction._job_process()  # a stray second job: idempotent
        self.assertEqual(correction.state, "done")
        self.assertEqual(self.calls, [json.loads(corrected)])
        # the original is kept as received and marked
        self.assertEqual(self.event.state, "superseded")
        self.assertEqual(self.event.correction_ids, correction)
        self.assertEqual(json.loads(self.event.sudo().payload), PAYMENT)
        self.assertIn("customer paid the other invoice", self.event.ignore_reason)
        self.assertEqual(self.event.exception_ids.state, "resolved")
        entry = self.env["o2c.audit.log"].search(
            [("action", "=", "event.correct"), ("event_id", "=", self.event.id)]
        )
        self.assertEqual(len(entry), 1)
        self.assertEqual(entry.user_id, self.o2c_admin)
        data = entry._data_dict()
        self.assertEqual(data["correction_id"], correction.id)
        self.assertIn("INV/2026/0002", data["diff"])
        # superseded: no second correction, no replay of the original
        with self.assertRaises(UserError):
            self.event.with_user(self.o2c_admin)._o2c_correct("{}", "again")
        with trap_jobs() as trap:
            self.event.with_user(self.o2c_manager).action_replay()
            trap.assert_jobs_count(0)
        self.assertEqual(self._process(self.event), "superseded")

    def test_correction_refused_to_manager(self):
        self._fail(self.event)
        as_manager = self.event.with_user(self.o2c_manager)
        with self.assertRaises(AccessError):
            as_manager.action_edit_and_retry()
        with self.assertRaises(AccessError):
            as_manager._o2c_correct('{"amount": 77.00}', "because")
        with self.assertRaises(AccessError):
            self.env["o2c.event.correction.wizard"].with_user(self.o2c_manager).create(
                {"event_id": self.event.id, "new_payload": "{}", "reason": "x"}
            )
        self.assertEqual(self.event.state, "failed")
        self.assertFalse(self.event.correction_ids)

    def test_correction_only_of_failed_events(self):
        with self.assertRaises(UserError):
            self.event.with_user(self.o2c_admin)._o2c_correct('{"a": 1}', "early")
        self._fail(self.event)
        admin = self.event.with_user(self.o2c_admin)
        with self.assertRaises(UserError):
            admin._o2c_correct(self.event.sudo().payload, "no change")
        with self.assertRaises(UserError):
            admin._o2c_correct("not json", "broken")
