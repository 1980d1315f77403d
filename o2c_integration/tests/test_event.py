# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import json
from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError

from odoo.addons.queue_job.tests.common import trap_jobs

from ..lib.exceptions import PermanentError, TransientHTTPError, ValidationError
from .common import O2cCommon, run_jobs, unique_config_param


def _partner_handler(event):
    """Creates a partner (business record) and a unique-keyed record."""
    data = json.loads(event.sudo().payload)
    partner = event.env["res.partner"].create({"name": data["name"]})
    marker = unique_config_param(
        event.env, f"o2c.test.{event.external_id}", str(partner.id)
    )
    return [partner, marker]


class TestEventProcessing(O2cCommon):
    def test_store_is_idempotent(self):
        with trap_jobs() as trap:
            first, created = self.store_event("t", "evt-1", {"name": "A"}, enqueue=True)
            self.assertTrue(created)
            for _i in range(4):
                again, created_again = self.store_event(
                    "t", "evt-1", {"name": "A"}, enqueue=True
                )
                self.assertFalse(created_again)
                self.assertEqual(again, first)
            trap.assert_jobs_count(1)
        self.assertEqual(first.state, "queued")
        self.assertEqual(
            self.env["o2c.event"].search_count(
                [("idempotency_key", "=", first.idempotency_key)]
            ),
            1,
        )
        self.assertEqual(first.payload_size, len(json.dumps({"name": "A"})))
        self.assertEqual(len(first.payload_hash), 64)

    def test_process_success_links_and_audit(self):
        event, _c = self.store_event("partner.create", "evt-ok", {"name": "Ok Partner"})
        with self.o2c_handlers({("generic", "partner.create"): _partner_handler}):
            self.assertEqual(event._job_process(), "done")
        self.assertEqual(event.state, "done")
        self.assertEqual(event.attempts, 1)
        self.assertEqual(
            set(event.link_ids.mapped("res_model")),
            {"res.partner", "ir.config_parameter"},
        )
        partner = self.env["res.partner"].browse(
            event.link_ids.filtered(lambda link: link.res_model == "res.partner").res_id
        )
        self.assertEqual(partner.name, "Ok Partner")
        audit = self.env["o2c.audit.log"].search([("event_id", "=", event.id)])
        self.assertIn("event.process", audit.mapped("action"))

    def test_no_handler_is_ignored(self):
        event, _c = self.store_event("unknown.type", "evt-x", {"a": 1})
        self.assertEqual(event._job_process(), "ignored")
        self.assertIn("No handler", event.ignore_reason)

    def test_crash_rolls_back_business_records_and_stays_retryable(self):
        def crashing(event):
            event.env["res.partner"].create({"name": "Half Done Partner"})
            raise RuntimeError("boom after creating a partner")

        event, _c = self.store_event("crash", "evt-crash", {"name": "x"})
        with self.o2c_handlers({("generic", "crash"): crashing}), trap_jobs() as trap:
            event._job_process()
            trap.assert_jobs_count(1)  # the retry is queued
        self.assertFalse(
            self.env["res.partner"].search([("name", "=", "Half Done Partner")])
        )
        self.assertEqual(event.state, "queued")
        self.assertEqual(event.attempts, 1)
        self.assertEqual(event.error_kind, "transient")
        self.assertIn("boom after creating a partner", event.last_error)
        self.assertGreater(event.next_retry_at, fields.Datetime.now())

    def test_retries_back_off_then_dead_letter_then_replay(self):
        calls = {"n": 0, "fail": True}

        def flaky(event):
            calls["n"] += 1
            if calls["fail"]:
                raise TransientHTTPError(503, retry_after=None, body="unavailable")
            return unique_config_param(event.env, f"o2c.test.{event.external_id}", "ok")

        event, _c = self.store_event("flaky", "evt-flaky", {"a": 1})
        delays = []
        with self.o2c_handlers({("generic", "flaky"): flaky}), trap_jobs():
            for _attempt in range(3):
                before = fields.Datetime.now()
                event._job_process()
                if event.state == "queued":
                    delays.append((event.next_retry_at - before).total_seconds())
        self.assertEqual(calls["n"], 3)
        self.assertEqual(event.state, "dead")
        self.assertEqual(len(delays), 2)
        # base 10 s doubling, jitter between 50 % and 100 % (1 s slack: DB seconds)
        self.assertTrue(4 <= delays[0] <= 11, delays)
        self.assertTrue(9 <= delays[1] <= 21, delays)
        exc = self.env["o2c.exception"].search([("event_id", "=", event.id)])
        self.assertEqual(len(exc), 1)
        self.assertEqual(exc.category, "dead_letter")
        self.assertEqual(exc.severity, "high")
        # replay the dead event (manager): succeeds, closes the exception
        calls["fail"] = False
        with self.o2c_handlers({("generic", "flaky"): flaky}), trap_jobs() as trap:
            event.with_user(self.o2c_manager).action_retry()
            trap.assert_jobs_count(1)
            run_jobs(trap)
        self.assertEqual(event.state, "done")
        self.assertEqual(exc.state, "resolved")
        # replaying a done event again is idempotent: no second business record
        with self.o2c_handlers({("generic", "flaky"): flaky}), trap_jobs() as trap:
            event.with_user(self.o2c_manager).action_replay()
            run_jobs(trap)
        self.assertEqual(event.state, "done")
        self.assertEqual(event.replay_count, 1)
        self.assertEqual(
            self.env["ir.config_parameter"]
            .sudo()
            .search_count([("key", "=", "o2c.test.evt-flaky")]),
            1,
        )

    def test_retry_after_is_honoured(self):
        def throttled(event):
            raise TransientHTTPError(429, retry_after=900.0, body="slow down")

        event, _c = self.store_event("throttled", "evt-429", {})
        with self.o2c_handlers({("generic", "throttled"): throttled}), trap_jobs():
            before = fields.Datetime.now()
            event._job_process()
        self.assertGreaterEqual((event.next_retry_at - before).total_seconds(), 899)

    def test_permanent_error_opens_exception_once(self):
        def invalid(event):
            # the integration's own ValidationError (lib), not Odoo's: no translation
            raise ValidationError(  # pylint: disable=translation-required
                "bad order", [("lines[0].quantity", "must be > 0")]
            )

        event, _c = self.store_event("invalid", "evt-invalid", {})
        with self.o2c_handlers({("generic", "invalid"): invalid}):
            event._job_process()
        self.assertEqual(event.state, "failed")
        self.assertEqual(event.error_kind, "permanent")
        exc = event.exception_ids
        self.assertEqual(len(exc), 1)
        self.assertEqual(exc.category, "validation")
        self.assertEqual(
            exc.details["violations"], [["lines[0].quantity", "must be > 0"]]
        )
        # the same problem again updates the open exception instead of opening another
        with self.o2c_handlers({("generic", "invalid"): invalid}), trap_jobs():
            event.with_user(self.o2c_manager).action_retry()
            event._job_process()
        self.assertEqual(len(event.exception_ids), 1)
        self.assertEqual(event.exception_ids.occurrence_count, 2)

    def test_user_error_is_permanent(self):
        def mapping(event):
            raise UserError(event.env._("Unknown SKU X"))

        event, _c = self.store_event("mapping", "evt-map", {})
        with self.o2c_handlers({("generic", "mapping"): mapping}):
            event._job_process()
        self.assertEqual(event.state, "failed")
        with self.o2c_handlers({("generic", "mapping"): lambda e: None}):
            event._job_process()  # failed events are not reprocessed by a stray job
        self.assertEqual(event.state, "failed")

    def test_permanent_error_subclass(self):
        event, _c = self.store_event("perm", "evt-perm", {})

        def perm(event):
            raise PermanentError("no such invoice")

        with self.o2c_handlers({("generic", "perm"): perm}):
            event._job_process()
        self.assertEqual(event.state, "failed")

    def test_ignore_requires_reason_and_manager(self):
        event, _c = self.store_event("t", "evt-ign", {})
        with self.assertRaises(UserError):
            event.with_user(self.o2c_user).action_ignore(reason="nope")
        action = event.with_user(self.o2c_manager).action_ignore()
        self.assertEqual(action["res_model"], "o2c.event.ignore.wizard")
        wizard = (
            self.env["o2c.event.ignore.wizard"]
            .with_user(self.o2c_manager)
            .with_context(active_ids=event.ids)
            .create({"reason": "test traffic"})
        )
        wizard.action_confirm()
        self.assertEqual(event.state, "ignored")
        self.assertEqual(event.ignore_reason, "test traffic")

    def test_done_event_not_processed_twice_by_stray_job(self):
        calls = []
        event, _c = self.store_event("once", "evt-once", {})
        with self.o2c_handlers({("generic", "once"): lambda e: calls.append(1)}):
            event._job_process()
            event._job_process()
        self.assertEqual(len(calls), 1)

    def test_stuck_processing_is_requeued(self):
        event, _c = self.store_event("t", "evt-stuck", {})
        event.write(
            {
                "state": "processing",
                "attempts": 1,
                "processing_started_at": fields.Datetime.now() - timedelta(hours=1),
            }
        )
        fresh, _c = self.store_event("t", "evt-fresh", {})
        fresh.write(
            {"state": "processing", "processing_started_at": fields.Datetime.now()}
        )
        with trap_jobs() as trap:
            requeued = self.env["o2c.event"]._cron_requeue_stuck()
            trap.assert_jobs_count(1)
        self.assertEqual(requeued, event)
        self.assertEqual(event.state, "queued")
        self.assertEqual(fresh.state, "processing")

    def test_stuck_after_last_attempt_goes_dead(self):
        event, _c = self.store_event("t", "evt-stuck-dead", {})
        event.write(
            {
                "state": "processing",
                "attempts": event.max_attempts,
                "processing_started_at": fields.Datetime.now() - timedelta(hours=1),
            }
        )
        self.env["o2c.event"]._cron_requeue_stuck()
        self.assertEqual(event.state, "dead")
        self.assertTrue(event.exception_ids)

    def test_purge_keeps_metadata(self):
        event, _c = self.store_event("t", "evt-old", {"card": "4242424242424242"})
        event.write(
            {
                "state": "done",
                "received_at": fields.Datetime.now() - timedelta(days=200),
            }
        )
        digest = event.payload_hash
        recent, _c = self.store_event("t", "evt-recent", {"a": 1})
        recent.write({"state": "done"})
        self.assertEqual(self.env["o2c.event"]._cron_purge_payloads(), 1)
        self.assertFalse(event.sudo().payload)
        self.assertTrue(event.payload_purged)
        self.assertEqual(event.payload_hash, digest)
        self.assertTrue(recent.sudo().payload)
        with self.assertRaises(UserError):
            event.with_user(self.o2c_manager).action_replay()

    def test_payload_masked_in_ui(self):
        payload = {
            "card": "4242 4242 4242 4242",
            "email": "jane.doe@example.com",
            "iban": "DE89370400440532013000",
            "api_token": "sk_live_abcdef123456",
        }
        event, _c = self.store_event("t", "evt-mask", payload)
        masked = event.with_user(self.o2c_user).payload_masked
        for secret in (
            "4242 4242 4242 4242",
            "jane.doe@",
            "DE89370400440532013000",
            "sk_live_abcdef123456",
        ):
            self.assertNotIn(secret, masked)
        self.assertIn("4242", masked)  # last four digits stay for the finance user
