# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Waiting for an open circuit breaker is no attempt, and it is bounded."""

import time
from datetime import timedelta

from odoo import fields

from odoo.addons.queue_job.tests.common import trap_jobs

from .common import O2cCommon


def _post_payment(event):
    """A handler that calls the gateway (refused while the circuit is open)."""
    event.connection_id._o2c_request(
        "POST", "/v1/payments", json_body={"amount": "77.00"}, event_type="pay"
    )


class TestEventBreakerWait(O2cCommon):
    def setUp(self):
        super().setUp()
        # nothing listens on the discard port: a call that went out would fail and
        # count as an attempt
        self.connection.write({"base_url": "http://127.0.0.1:9", "breaker_reset": 600})
        self.connection.sudo().write(
            {"breaker_state": "open", "breaker_opened_at": time.time()}
        )
        self.event, _c = self.store_event("pay", "evt-breaker", {"amount": "77.00"})

    def _run(self):
        with (
            self.o2c_handlers({("generic", "pay"): _post_payment}),
            trap_jobs() as trap,
        ):
            before = fields.Datetime.now()
            self.event._job_process()
        return trap, before

    def _outbound_attempts(self):
        calls = self.env["o2c.event"].search(
            [("direction", "=", "out"), ("connection_id", "=", self.connection.id)]
        )
        return sum(calls.mapped("attempts"))

    def test_open_circuit_spends_no_attempt(self):
        max_attempts = self.event.max_attempts
        for wait in range(1, max_attempts + 4):
            trap, before = self._run()
            trap.assert_jobs_count(1)
            self.assertEqual(self.event.state, "queued", wait)
            self.assertEqual(self.event.attempts, 0)
            self.assertEqual(self.event.breaker_waits, wait)
            self.assertTrue(self.event.breaker_wait_since)
            # due when the breaker lets a probe through, not on the backoff
            delay = (self.event.next_retry_at - before).total_seconds()
            self.assertTrue(590 <= delay <= 721, delay)
        self.assertFalse(self.event.exception_ids)
        self.assertEqual(self._outbound_attempts(), 0)  # the gateway was never called

    def test_dead_letter_after_the_bound_with_the_reason(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "o2c_integration.max_breaker_wait_seconds", "3600"
        )
        self._run()
        self.assertEqual(self.event.state, "queued")
        self.event.write(
            {"breaker_wait_since": fields.Datetime.now() - timedelta(minutes=61)}
        )
        self._run()
        self.assertEqual(self.event.state, "dead")
        self.assertEqual(self.event.attempts, 0)
        self.assertIn("circuit open for more than 60 min", self.event.last_error)
        exc = self.event.exception_ids
        self.assertEqual(exc.category, "dead_letter")
        self.assertIn("circuit open for more than 60 min", exc.name)
        # a manager's retry starts a fresh wait
        self.event.with_user(self.o2c_manager).action_retry()
        self.assertFalse(self.event.breaker_wait_since)

    def test_real_attempt_after_the_circuit_closes_counts(self):
        self._run()
        self.assertTrue(self.event.breaker_wait_since)
        self.connection.action_reset_breaker()
        self._run()  # the call goes out and fails: that is an attempt
        self.assertEqual(self.event.attempts, 1)
        self.assertEqual(self.event.state, "queued")
        self.assertFalse(self.event.breaker_wait_since)
