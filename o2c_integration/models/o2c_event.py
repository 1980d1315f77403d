# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The integration event log: idempotent, retried, dead-lettered, replayable.

State machine::

    received -> queued -> processing -> done
                  ^            |------> failed   (permanent: validation, mapping; exception)
                  |            |------> queued   (transient: backoff, next_retry_at)
                  |            '------> dead     (attempts exhausted; exception)
                  '--- retry / replay / stuck-requeue cron
    any open state -> ignored (with a reason)

Exactly-once effects rest on two database guarantees: the unique ``idempotency_key``
(a delivery is stored once) and the handlers' own unique constraints on what they create
(a payment per charge, a statement line per import id, ...). Handlers run inside a
savepoint: a crash rolls back their business records and leaves the event retryable.

Handlers are registered per (connection type, event type) by overriding
:meth:`_o2c_get_handlers` in any addon::

    class O2cEvent(models.Model):
        _inherit = "o2c.event"

        def _o2c_get_handlers(self):
            handlers = super()._o2c_get_handlers()
            handlers[("stripe", "*")] = self.env["o2c.gateway.payment"]._o2c_handle_event
            return handlers

A handler receives the event (a record) and returns the records it created (any
recordset, a list of recordsets, or None). It raises ``PermanentError`` / Odoo
``UserError`` / ``ValidationError`` for problems a person must fix, and
``RetryableError`` for transient ones.
"""

import hashlib
import json
import logging
import time
import traceback
from datetime import timedelta

import psycopg2
import requests

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.modules import module as odoo_module

from odoo.addons.queue_job.exception import RetryableJobError

from ..lib.exceptions import PermanentError, RetryableError
from ..lib.exceptions import ValidationError as O2cValidationError
from ..lib.masking import mask_json_text
from ..lib.retry import backoff_delay

_logger = logging.getLogger(__name__)

STATES = [
    ("received", "Received"),
    ("queued", "Queued"),
    ("processing", "Processing"),
    ("done", "Done"),
    ("failed", "Failed"),
    ("dead", "Dead Letter"),
    ("ignored", "Ignored"),
]
OPEN_STATES = ("received", "queued", "processing", "failed", "dead")
JOB_CHANNEL = "root.o2c"


class O2cEvent(models.Model):
    _name = "o2c.event"
    _description = "O2C Integration Event"
    _order = "id desc"

    name = fields.Char(compute="_compute_name")
    direction = fields.Selection(
        [("in", "Inbound"), ("out", "Outbound")],
        required=True,
        default="in",
        index=True,
    )
    connection_id = fields.Many2one(
        "o2c.connection", required=True, index=True, ondelete="restrict"
    )
    connection_type = fields.Selection(
        related="connection_id.connection_type", store=True, index=True
    )
    company_id = fields.Many2one(
        "res.company", related="connection_id.company_id", store=True, index=True
    )
    event_type = fields.Char(required=True, index=True)
    external_id = fields.Char(index=True)
    idempotency_key = fields.Char(required=True, readonly=True, copy=False)
    payload = fields.Text(
        string="Raw Payload", prefetch=False, groups="o2c_integration.group_o2c_manager"
    )
    payload_masked = fields.Text(compute="_compute_payload_masked", string="Payload")
    payload_hash = fields.Char(readonly=True, help="SHA-256 of the raw payload")
    payload_size = fields.Integer(readonly=True)
    payload_purged = fields.Boolean(readonly=True)
    headers = fields.Text(readonly=True, help="Masked request headers (JSON)")
    state = fields.Selection(STATES, required=True, default="received", index=True)
    attempts = fields.Integer(readonly=True)
    max_attempts = fields.Integer(readonly=True, default=5)
    last_error = fields.Text(readonly=True)
    error_kind = fields.Selection(
        [("transient", "Transient"), ("permanent", "Permanent")], readonly=True
    )
    next_retry_at = fields.Datetime(readonly=True, index=True)
    received_at = fields.Datetime(
        default=fields.Datetime.now, readonly=True, index=True
    )
    processing_started_at = fields.Datetime(readonly=True)
    processed_at = fields.Datetime(readonly=True)
    duration_ms = fields.Integer(readonly=True, aggregator="avg")
    correlation_id = fields.Char(index=True, readonly=True)
    job_uuid = fields.Char(readonly=True, copy=False)
    ignore_reason = fields.Text(readonly=True)
    http_method = fields.Char(readonly=True)
    url = fields.Char(readonly=True)
    http_status = fields.Integer(readonly=True)
    link_ids = fields.One2many("o2c.event.link", "event_id", string="Created Records")
    exception_ids = fields.One2many("o2c.exception", "event_id")
    replay_count = fields.Integer(readonly=True)

    _idempotency_key_uniq = models.Constraint(
        "UNIQUE(idempotency_key)", "This event was already received (idempotency key)."
    )
    _state_retry_idx = models.Index(
        "(state, next_retry_at) WHERE state IN ('queued', 'processing')"
    )

    # --- COMPUTE METHODS

    @api.depends("connection_id", "event_type", "external_id")
    def _compute_name(self):
        for rec in self:
            conn = rec.connection_id.name or "?"
            rec.name = f"{conn} / {rec.event_type} / {rec.external_id or rec.id}"

    def _compute_payload_masked(self):
        for rec in self:
            raw = rec.sudo().payload
            rec.payload_masked = (
                mask_json_text(raw)
                if raw
                else (self.env._("(purged)") if rec.payload_purged else False)
            )

    # --- STORE (inbound)

    @api.model
    def _idempotency_key_for(self, connection, external_id, direction="in"):
        return f"{direction}:{connection.id}:{external_id}"

    @api.model
    def _store_inbound(
        self,
        connection,
        event_type,
        external_id,
        payload,
        headers=None,
        correlation_id=None,
        enqueue=True,
    ):
        """Store one inbound event once; return ``(event, created)``.

        Must run in the transaction that is committed before the sender gets its 2xx.
        A second delivery of the same (connection, external id) returns the existing
        event with ``created=False`` and is not processed again. Concurrent deliveries
        are serialised by the unique index: the loser waits for the winner's commit and
        then sees the duplicate.
        """
        key = self._idempotency_key_for(connection, external_id)
        raw = payload.encode() if isinstance(payload, str) else payload
        vals = {
            "direction": "in",
            "connection_id": connection.id,
            "event_type": event_type,
            "external_id": external_id,
            "idempotency_key": key,
            "payload": raw.decode("utf-8", errors="replace"),
            "payload_hash": hashlib.sha256(raw).hexdigest(),
            "payload_size": len(raw),
            "headers": json.dumps(headers or {}),
            "max_attempts": max(connection.retry_max_attempts, 1),
            "correlation_id": correlation_id or key,
        }
        cr = self.env.cr
        # INSERT .. ON CONFLICT DO NOTHING never aborts the transaction, unlike a
        # failed ORM create; the ORM then reads the row whichever insert won.
        self.env.flush_all()
        cr.execute("SELECT id FROM o2c_event WHERE idempotency_key = %s", [key])
        row = cr.fetchone()
        if row:
            return self.browse(row[0]), False
        event = self.sudo().create_if_absent(vals)
        if not event:
            # A concurrent delivery won the insert; under REPEATABLE READ its row may
            # not be visible to this snapshot, but it is committed: a duplicate.
            cr.execute("SELECT id FROM o2c_event WHERE idempotency_key = %s", [key])
            row = cr.fetchone()
            return self.browse(row[0] if row else ()), False
        if enqueue:
            event._enqueue()
        return event, True

    @api.model
    def create_if_absent(self, vals):
        """Create the event unless its idempotency key exists (race-safe)."""
        try:
            with self.env.cr.savepoint():
                return self.create(vals)
        except psycopg2.errors.UniqueViolation:
            return self.browse()

    @api.model
    def _log_outbound(
        self,
        connection,
        *,
        event_type,
        method,
        url,
        status,
        state,
        error,
        payload,
        headers,
        duration_ms,
        attempts,
        correlation_id,
        idempotency_key,
    ):
        """Record one outbound call (already masked)."""
        raw = (payload or "").encode()
        return self.sudo().create(
            {
                "direction": "out",
                "connection_id": connection.id,
                "event_type": event_type[:256],
                "external_id": idempotency_key,
                # an outbound call may legitimately repeat the same business key: the log
                # row's key is per call.
                "idempotency_key": f"out:{connection.id}:{time.time_ns()}:{id(raw)}",
                "payload": payload,
                "payload_hash": hashlib.sha256(raw).hexdigest(),
                "payload_size": len(raw),
                "headers": headers,
                "state": state,
                "attempts": attempts,
                "last_error": error,
                "http_method": method,
                "url": url.split("?")[0][:1024],
                "http_status": status or 0,
                "duration_ms": duration_ms,
                "processed_at": fields.Datetime.now(),
                "correlation_id": correlation_id,
            }
        )

    # --- QUEUE

    def _enqueue(self, eta=None):
        """Queue processing as a queue_job on the ``root.o2c`` channel."""
        for event in self:
            job = event.with_delay(
                channel=JOB_CHANNEL,
                eta=eta,
                max_retries=0,  # our own retry policy lives on the event
                description=f"O2C process {event.name}",
                identity_key=f"o2c-event-{event.id}-{event.attempts}-{event.replay_count}",
            )._job_process()
            event.write(
                {
                    "state": "queued",
                    "job_uuid": job.uuid
                    if job is not None and hasattr(job, "uuid")
                    else False,
                    "next_retry_at": eta or fields.Datetime.now(),
                }
            )

    def _job_process(self):
        """queue_job entry point (one event)."""
        self.ensure_one()
        return self._process()

    # --- PROCESS

    def _o2c_get_handlers(self):
        """Map (connection_type, event_type) -> callable(event). '*' is a wildcard."""
        return {}

    def _get_handler(self):
        self.ensure_one()
        handlers = self._o2c_get_handlers()
        return (
            handlers.get((self.connection_type, self.event_type))
            or handlers.get((self.connection_type, "*"))
            or handlers.get(("*", self.event_type))
        )

    def _process(self):
        """Run the handler once, under a row lock, and record the outcome.

        Never raises for handler errors: the outcome is the event's state, so the
        queue_job transaction commits it. Lock conflicts are re-raised as
        ``RetryableJobError`` (another worker is on this event).
        """
        self.ensure_one()
        try:
            locked = self.try_lock_for_update()
        except psycopg2.OperationalError as exc:
            raise RetryableJobError("event is locked", seconds=5) from exc
        if not locked:
            raise RetryableJobError("event is being processed elsewhere", seconds=5)
        self.invalidate_recordset()
        if self.state not in ("queued", "processing", "received"):
            _logger.info("O2C event %s is %s: nothing to do", self.id, self.state)
            return self.state
        stuck_limit = fields.Datetime.now() - timedelta(minutes=15)
        if (
            self.state == "processing"
            and self.processing_started_at
            and self.processing_started_at > stuck_limit
        ):
            # another worker marked it moments ago and is still on it
            _logger.info("O2C event %s is being processed by another job", self.id)
            return self.state
        handler = self._get_handler()
        if handler is None:
            self.write(
                {
                    "state": "ignored",
                    "ignore_reason": self.env._(
                        "No handler for %(t)s / %(e)s",
                        t=self.connection_type,
                        e=self.event_type,
                    ),
                    "processed_at": fields.Datetime.now(),
                }
            )
            return "ignored"
        started = time.monotonic()
        self.write(
            {
                "state": "processing",
                "processing_started_at": fields.Datetime.now(),
                "attempts": self.attempts + 1,
            }
        )
        # The "processing" mark is committed on its own so that a worker killed in
        # the middle leaves a visible stuck event that the requeue cron picks up.
        # The commit releases the row lock: take it again before the handler runs
        # (a job arriving in between sees a fresh "processing" mark and backs off).
        if self._o2c_commit() and not self.try_lock_for_update():
            return self.state
        try:
            with self.env.cr.savepoint():
                result = handler(self)
                self.env.flush_all()
        except Exception as exc:  # every failure becomes a state
            self._record_failure(exc, started)
            return self.state
        self._record_success(result, started)
        return "done"

    def _o2c_commit(self):
        """Commit the job's transaction (never inside tests); True if committed."""
        if odoo_module.current_test:
            return False
        self.env.cr.commit()  # pylint: disable=invalid-commit
        return True

    def _record_success(self, result, started):
        links = []
        for records in result if isinstance(result, (list, tuple)) else [result]:
            if records is None or not isinstance(records, models.BaseModel):
                continue
            links.extend(
                {"event_id": self.id, "res_model": rec._name, "res_id": rec.id}
                for rec in records
            )
        if links:
            self.env["o2c.event.link"].sudo().create(links)
        self.write(
            {
                "state": "done",
                "processed_at": fields.Datetime.now(),
                "duration_ms": int((time.monotonic() - started) * 1000),
                "last_error": False,
                "error_kind": False,
                "next_retry_at": False,
            }
        )
        self.connection_id._o2c_mark_success(self.processed_at)
        # the problem this event caused before (failed/dead) is gone
        self.env["o2c.exception"]._close_by_key(
            self._exception_key(), self.env._("The event was processed successfully.")
        )
        self.env["o2c.audit.log"]._log(
            "event.process",
            f"Processed {self.name}",
            event=self,
            data={"attempt": self.attempts, "links": len(links)},
        )

    @api.model
    def _classify_error(self, exc):
        """'permanent' for what a person must fix, else 'transient' (retry)."""
        if isinstance(
            exc, (PermanentError, O2cValidationError, UserError, ValidationError)
        ):
            return "permanent"
        return "transient"

    def _exception_key(self):
        return f"o2c.event:{self.id}"

    def _record_failure(self, exc, started):
        kind = self._classify_error(exc)
        message = f"{type(exc).__name__}: {exc}"
        if kind == "transient" and not isinstance(
            exc, (RetryableError, requests.RequestException, psycopg2.OperationalError)
        ):
            # an unexpected crash: keep the traceback for the integrator
            message += "\n" + "".join(traceback.format_exception(exc))[-4000:]
        vals = {
            "last_error": message,
            "error_kind": kind,
            "duration_ms": int((time.monotonic() - started) * 1000),
        }
        _logger.warning(
            "O2C event %s failed (%s, attempt %s): %s",
            self.id,
            kind,
            self.attempts,
            exc,
        )
        if kind == "permanent":
            vals.update(state="failed", next_retry_at=False)
            self.write(vals)
            self._raise_exception_for(exc, "failed")
            return
        if self.attempts >= self.max_attempts:
            vals.update(state="dead", next_retry_at=False)
            self.write(vals)
            self._raise_exception_for(exc, "dead")
            return
        conn = self.connection_id
        delay = backoff_delay(
            self.attempts,
            conn.retry_backoff_base or 30.0,
            conn.retry_backoff_cap or 3600.0,
        )
        retry_after = getattr(exc, "retry_after", None)
        if retry_after:
            delay = max(delay, float(retry_after))
        eta = fields.Datetime.now() + timedelta(seconds=delay)
        self.write(vals)
        self._enqueue(eta=eta)

    def _raise_exception_for(self, exc, state):
        details = {"error": str(exc)[:2000], "state": state, "attempts": self.attempts}
        violations = getattr(exc, "violations", None)
        if violations:
            details["violations"] = [list(v) for v in violations]
        category = getattr(exc, "o2c_category", None) or (
            "dead_letter" if state == "dead" else "validation"
        )
        self.env["o2c.exception"]._raise(
            category,
            self.env._(
                "%(type)s event %(ext)s %(state)s: %(err)s",
                type=self.event_type,
                ext=self.external_id or self.id,
                state=state,
                err=str(exc)[:200],
            ),
            dedup_key=self._exception_key(),
            severity="high" if state == "dead" else "medium",
            event=self,
            amount=getattr(exc, "o2c_amount", None),
            currency=getattr(exc, "o2c_currency", None),
            partner=getattr(exc, "o2c_partner", None),
            record=getattr(exc, "o2c_record", None),
            details=details,
        )
        self.env["o2c.audit.log"]._log(
            f"event.{state}", f"Event {self.name} {state}", event=self, data=details
        )

    # --- PUBLIC ACTIONS

    def _check_manager(self):
        if not self.env.user.has_group("o2c_integration.group_o2c_manager"):
            raise UserError(
                self.env._("Only O2C managers can retry, replay or ignore events.")
            )

    def action_retry(self):
        """Retry failed / dead / stuck events now (attempt counter restarts)."""
        self._check_manager()
        todo = self.filtered(lambda e: e.direction == "in" and e.state in OPEN_STATES)
        for event in todo.sudo():
            event.write({"attempts": 0, "error_kind": False})
            event._enqueue()
            self.env["o2c.audit.log"]._log(
                "event.retry", f"Retry of {event.name}", event=event
            )
        return True

    def action_replay(self):
        """Process again events that were already done (idempotent handlers)."""
        self._check_manager()
        todo = self.filtered(lambda e: e.direction == "in" and e.payload_size)
        for event in todo.sudo():
            if event.payload_purged:
                raise UserError(
                    self.env._(
                        "The payload of %(e)s was purged: it cannot be replayed.",
                        e=event.name,
                    )
                )
            event.write(
                {
                    "attempts": 0,
                    "replay_count": event.replay_count + 1,
                    "ignore_reason": False,
                }
            )
            event._enqueue()
            self.env["o2c.audit.log"]._log(
                "event.replay", f"Replay of {event.name}", event=event
            )
        return True

    def action_ignore(self, reason=None):
        self._check_manager()
        reason = reason or self.env.context.get("o2c_ignore_reason")
        if not reason:
            return {
                "type": "ir.actions.act_window",
                "res_model": "o2c.event.ignore.wizard",
                "view_mode": "form",
                "target": "new",
                "context": {"active_ids": self.ids, "active_model": self._name},
            }
        for event in self.sudo().filtered(lambda e: e.state != "ignored"):
            event.write(
                {"state": "ignored", "ignore_reason": reason, "next_retry_at": False}
            )
            self.env["o2c.exception"]._close_by_key(event._exception_key(), reason)
            self.env["o2c.audit.log"]._log(
                "event.ignore",
                f"Ignored {event.name}",
                event=event,
                data={"reason": reason},
            )
        return True

    def action_open_links(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "o2c.event.link",
            "view_mode": "list",
            "domain": [("event_id", "=", self.id)],
            "name": self.env._("Created records"),
        }

    # --- CRONS

    @api.model
    def _cron_requeue_stuck(self, stuck_minutes=15):
        """Requeue events stuck in processing (worker died) or queued without a live job."""
        limit = fields.Datetime.now() - timedelta(minutes=stuck_minutes)
        stuck = self.sudo().search(
            [
                ("direction", "=", "in"),
                "|",
                "&",
                ("state", "=", "processing"),
                ("processing_started_at", "<", limit),
                "&",
                ("state", "=", "queued"),
                ("next_retry_at", "<", limit),
            ],
            limit=1000,
        )
        live_uuids = (
            set(
                self.env["queue.job"]
                .sudo()
                .search(
                    [
                        ("uuid", "in", [u for u in stuck.mapped("job_uuid") if u]),
                        (
                            "state",
                            "in",
                            ("pending", "enqueued", "started", "wait_dependencies"),
                        ),
                    ]
                )
                .mapped("uuid")
            )
            if stuck
            else set()
        )
        requeued = self.browse()
        for event in stuck:
            if event.state == "queued" and event.job_uuid in live_uuids:
                continue  # its job is simply waiting for a worker
            if event.state == "processing" and event.attempts >= event.max_attempts:
                event.write(
                    {
                        "state": "dead",
                        "last_error": (event.last_error or "")
                        + "\nStuck in processing after the last attempt.",
                    }
                )
                event._raise_exception_for(UserError("stuck in processing"), "dead")
                continue
            event._enqueue()
            requeued |= event
        if requeued:
            _logger.warning("O2C: requeued %s stuck events", len(requeued))
        return requeued

    @api.model
    def _cron_purge_payloads(self):
        """Purge payloads older than the retention period (metadata and hashes stay)."""
        days = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("o2c_integration.payload_retention_days", 90)
        )
        if days <= 0:
            return 0
        limit = fields.Datetime.now() - timedelta(days=days)
        self.env.flush_all()
        self.env.cr.execute(
            """UPDATE o2c_event SET payload = NULL, headers = NULL, payload_purged = TRUE
                WHERE received_at < %s AND payload_purged IS NOT TRUE
                  AND state IN ('done', 'ignored')""",
            [limit],
        )
        count = self.env.cr.rowcount
        self.invalidate_model(["payload", "headers", "payload_purged"])
        if count:
            self.env["o2c.audit.log"]._log(
                "event.purge",
                f"Purged {count} payloads older than {days} days",
                data={"count": count, "days": days},
            )
        return count


class O2cEventLink(models.Model):
    _name = "o2c.event.link"
    _description = "Record created by an O2C event"
    _order = "id"

    event_id = fields.Many2one(
        "o2c.event", required=True, ondelete="cascade", index=True
    )
    res_model = fields.Char(required=True, index=True)
    res_id = fields.Integer(required=True, index=True)
    record_name = fields.Char(compute="_compute_record_name")

    def _compute_record_name(self):
        for link in self:
            record = (
                self.env[link.res_model].browse(link.res_id).exists()
                if link.res_model in self.env
                else None
            )
            link.record_name = (
                record.display_name if record else f"{link.res_model},{link.res_id}"
            )

    def action_open(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
        }


class O2cEventIgnoreWizard(models.TransientModel):
    _name = "o2c.event.ignore.wizard"
    _description = "Ignore O2C events with a reason"

    reason = fields.Text(required=True)

    def action_confirm(self):
        events = self.env["o2c.event"].browse(self.env.context.get("active_ids", []))
        events.action_ignore(reason=self.reason)
        return {"type": "ir.actions.act_window_close"}
