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
    failed / dead -> superseded (an administrator corrected its payload: a new event
                     ``corrected_from_id`` -> this one carries the edited payload)

A stored event is evidence: its identity and payload (``IMMUTABLE_FIELDS``) cannot be
changed by anyone, superuser included, neither through the ORM nor in SQL (a
trigger, see :meth:`init`); only the retention purge may set the payload to NULL,
keeping its hash. The hash is checked before every processing: a payload that no
longer matches it is never processed and opens a critical exception.

A processing transaction holds the event's row lock until it commits the outcome.
An event marked ``processing`` whose lock can be taken therefore has no live
processor (its worker was killed): the next job takes it over at once.

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
            processor = self.env["o2c.gateway.processor"]
            handlers[("stripe", "*")] = processor._pg_handle_event
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
import uuid
from contextlib import contextmanager
from datetime import timedelta

import psycopg2
import requests

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.modules import module as odoo_module
from odoo.tools import SQL

from odoo.addons.queue_job.exception import RetryableJobError

from ..lib import event_policy
from ..lib.exceptions import PermanentError, RetryableError
from ..lib.exceptions import ValidationError as O2cValidationError
from ..lib.masking import mask_json_text
from .o2c_access import MANAGER_GROUP, o2c_require

_logger = logging.getLogger(__name__)

STATES = [
    ("received", "Received"),
    ("queued", "Queued"),
    ("processing", "Processing"),
    ("done", "Done"),
    ("failed", "Failed"),
    ("dead", "Dead Letter"),
    ("ignored", "Ignored"),
    ("superseded", "Superseded"),
]
OPEN_STATES = ("received", "queued", "processing", "failed", "dead")
CORRECTABLE_STATES = ("failed", "dead")
JOB_CHANNEL = "root.o2c"
MAGIC_COLUMNS = ("id", "create_uid", "create_date", "write_uid", "write_date")
ADMIN_GROUP = "o2c_integration.group_o2c_admin"
#: What was received, from whom, under which key: fixed once stored (see init()).
IMMUTABLE_FIELDS = frozenset(
    {
        "direction",
        "connection_id",
        "event_type",
        "external_id",
        "idempotency_key",
        "payload",
        "payload_hash",
        "payload_size",
        "payload_purged",
        "headers",
        "corrected_from_id",
    }
)
#: The only change of IMMUTABLE_FIELDS ever allowed: the retention purge.
PURGE_VALUES = {"payload": False, "headers": False, "payload_purged": True}
#: Transaction-local PostgreSQL setting that the trigger requires for a purge.
PURGE_GUC = "o2c.payload_purge"
#: System parameter: bound (seconds) on the total wait for an open circuit.
MAX_BREAKER_WAIT_PARAM = "o2c_integration.max_breaker_wait_seconds"


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
    payload_hash = fields.Char(
        readonly=True,
        help="SHA-256 of the stored payload (UTF-8), checked before processing",
    )
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
    processing_token = fields.Char(
        readonly=True,
        copy=False,
        help="Set by the processor that marked the event processing; it works on it "
        "only while the token is still its own.",
    )
    breaker_wait_since = fields.Datetime(
        readonly=True,
        copy=False,
        help="Waiting for an open circuit breaker since (no attempt is spent meanwhile)",
    )
    breaker_waits = fields.Integer(
        readonly=True, copy=False, help="Reschedules while the circuit was open"
    )
    corrected_from_id = fields.Many2one(
        "o2c.event",
        string="Correction of",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="restrict",
        help="The original event whose payload an administrator corrected",
    )
    correction_ids = fields.One2many(
        "o2c.event", "corrected_from_id", string="Corrections", readonly=True
    )

    _idempotency_key_uniq = models.Constraint(
        "UNIQUE(idempotency_key)", "This event was already received (idempotency key)."
    )
    _state_retry_idx = models.Index(
        "(state, next_retry_at) WHERE state IN ('queued', 'processing')"
    )

    # --- INIT: database-level immutability of what was received

    def init(self):
        # Refuses in SQL what write() refuses in the ORM. The purge is the one
        # exception: payload and headers to NULL (hash kept), and only inside
        # _payload_purge_allowed(), which sets a transaction-local flag.
        # the setting's name is PURGE_GUC, spelled out: no SQL built from strings
        self.env.cr.execute(
            """
            CREATE OR REPLACE FUNCTION o2c_event_refuse_payload_change()
            RETURNS trigger AS $$
            BEGIN
                IF (NEW.direction, NEW.connection_id, NEW.event_type, NEW.external_id,
                    NEW.idempotency_key, NEW.payload_hash, NEW.payload_size,
                    NEW.corrected_from_id)
                   IS DISTINCT FROM
                   (OLD.direction, OLD.connection_id, OLD.event_type, OLD.external_id,
                    OLD.idempotency_key, OLD.payload_hash, OLD.payload_size,
                    OLD.corrected_from_id)
                THEN
                    RAISE EXCEPTION 'o2c_event %: a stored event cannot be changed', OLD.id
                        USING ERRCODE = 'insufficient_privilege';
                END IF;
                IF (NEW.payload, NEW.headers, NEW.payload_purged)
                   IS DISTINCT FROM (OLD.payload, OLD.headers, OLD.payload_purged)
                   AND NOT (NEW.payload IS NULL AND NEW.headers IS NULL
                            AND NEW.payload_purged IS TRUE
                            AND coalesce(current_setting('o2c.payload_purge', true), '') = 'on')
                THEN
                    RAISE EXCEPTION
                        'o2c_event %: a stored payload can only be purged', OLD.id
                        USING ERRCODE = 'insufficient_privilege';
                END IF;
                RETURN NEW;
            END
            $$ LANGUAGE plpgsql;
            DROP TRIGGER IF EXISTS o2c_event_immutable_payload ON o2c_event;
            CREATE TRIGGER o2c_event_immutable_payload
                BEFORE UPDATE ON o2c_event
                FOR EACH ROW EXECUTE FUNCTION o2c_event_refuse_payload_change();
            """
        )

    # --- CRUD

    def write(self, vals):
        """Refuse changes of what was received (IMMUTABLE_FIELDS), for everyone.

        The retention purge alone may clear the payload, with the context key
        ``o2c_payload_purge`` and exactly :data:`PURGE_VALUES`.
        """
        if IMMUTABLE_FIELDS.isdisjoint(vals):
            return super().write(vals)
        self.check_access("write")
        is_purge = self.env.context.get("o2c_payload_purge") and vals == PURGE_VALUES
        if not is_purge:
            raise UserError(
                self.env._(
                    "A stored event is evidence: its payload, keys and origin cannot "
                    "be changed (%(fields)s). An administrator can correct a failed "
                    "event with Edit and Retry, which creates a new, audited event.",
                    fields=", ".join(sorted(IMMUTABLE_FIELDS.intersection(vals))),
                )
            )
        with self._payload_purge_allowed():
            result = super().write(vals)
            self.flush_recordset(list(vals))
        return result

    @contextmanager
    def _payload_purge_allowed(self):
        """Let the trigger accept payload purges in the enclosed statements only."""
        cr = self.env.cr
        cr.execute("SELECT set_config(%s, 'on', true)", [PURGE_GUC])
        try:
            yield
        finally:
            try:
                cr.execute(
                    "SELECT set_config(%s, '', true)", [PURGE_GUC], log_exceptions=False
                )
            except psycopg2.Error:
                pass  # aborted transaction: its rollback drops the setting too

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
        vals = self._prepare_inbound_vals(
            connection, event_type, external_id, key, payload, headers
        )
        vals["correlation_id"] = correlation_id or key
        event = self.sudo()._insert_if_absent(vals)
        if not event:
            # stored before (or concurrently): this delivery is a duplicate
            cr = self.env.cr
            cr.execute("SELECT id FROM o2c_event WHERE idempotency_key = %s", [key])
            row = cr.fetchone()
            return self.browse(row[0] if row else ()), False
        if enqueue:
            event._enqueue()
        return event, True

    @api.model
    def _prepare_inbound_vals(
        self, connection, event_type, external_id, key, payload, headers=None
    ):
        """Vals of a new inbound event; the hash covers the payload as stored."""
        raw = payload.encode() if isinstance(payload, str) else payload
        text = raw.decode("utf-8", errors="replace")
        stored = text.encode()
        return {
            "direction": "in",
            "connection_id": connection.id,
            "event_type": event_type,
            "external_id": external_id,
            "idempotency_key": key,
            "payload": text,
            "payload_hash": hashlib.sha256(stored).hexdigest(),
            "payload_size": len(stored),
            "headers": json.dumps(headers or {}),
            "max_attempts": max(connection.retry_max_attempts, 1),
        }

    @api.model
    def _insert_if_absent(self, vals):
        """Insert the event unless its idempotency key exists; the event or empty.

        ``INSERT .. ON CONFLICT (idempotency_key) DO NOTHING``: a duplicate is no
        failing statement (no aborted transaction, no "bad query" in the log with
        the payload in it). A concurrent duplicate that committed after this
        transaction's REPEATABLE READ snapshot cannot be skipped silently by
        PostgreSQL (serialization failure): it is a duplicate as well.

        Defaults and stored related fields are filled like ``create`` would; no
        ``create`` override runs (o2c.event has none).
        """
        self.env.flush_all()
        vals = self._add_missing_default_values(dict(vals))
        draft = self.new(vals)
        columns, values = [], []
        for fname, field in self._fields.items():
            if not (field.store and field.column_type) or fname in MAGIC_COLUMNS:
                continue
            if fname in vals:
                value = vals[fname]
            elif field.compute:
                value = field.convert_to_write(draft[fname], draft)
            else:
                continue
            columns.append(fname)
            values.append(field.convert_to_column_insert(value, self, vals))
        now = self.env.cr.now()
        columns += ["create_uid", "write_uid", "create_date", "write_date"]
        values += [self.env.uid, self.env.uid, now, now]
        query = SQL(
            "INSERT INTO o2c_event (%s) VALUES %s "
            "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
            SQL(", ").join(map(SQL.identifier, columns)),
            tuple(values),
        )
        cr = self.env.cr
        try:
            with cr.savepoint(flush=False):
                cr.execute(query, log_exceptions=False)
                row = cr.fetchone()
        except psycopg2.errors.SerializationFailure:
            return self.browse()
        return self.browse(row[0]) if row else self.browse()

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
                identity_key=(
                    f"o2c-event-{event.id}-{event.attempts}-{event.replay_count}"
                    f"-{event.breaker_waits}"
                ),
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
        """Run the handler once, under the event's row lock, and record the outcome.

        Never raises for handler errors: the outcome is the event's state, so the
        queue_job transaction commits it. A lock held elsewhere is re-raised as
        ``RetryableJobError``: a live processor is on this event.

        The row lock is the processor's heartbeat. The transaction that runs the
        handler holds it until it commits the outcome, so an event still marked
        ``processing`` whose lock this job could take has lost its processor (a
        killed worker, whose aborted transaction released the lock): it is taken
        over at once, not after a timeout.
        """
        self.ensure_one()
        if not self._o2c_try_lock():
            raise RetryableJobError("event is being processed elsewhere", seconds=5)
        self.invalidate_recordset()
        if self.state not in ("queued", "processing", "received"):
            _logger.info("O2C event %s is %s: nothing to do", self.id, self.state)
            return self.state
        if self.state == "processing":
            _logger.warning(
                "O2C event %s was being processed by a worker that is gone "
                "(attempt %s): processing it again",
                self.id,
                self.attempts,
            )
        if not self._o2c_check_payload():
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
        token = uuid.uuid4().hex
        self.write(
            {
                "state": "processing",
                "processing_started_at": fields.Datetime.now(),
                "processing_token": token,
                "attempts": self.attempts + 1,
            }
        )
        # The "processing" mark (and the attempt) is committed on its own so that a
        # worker killed in the middle leaves a visible event. The commit releases
        # the row lock: take it again before the handler runs, and go on only if
        # the mark is still ours (a job that got the lock in between took over).
        if self._o2c_commit() and not self._o2c_resume(token):
            _logger.info("O2C event %s was taken over by another job", self.id)
            return "processing"
        try:
            with self.env.cr.savepoint():
                result = handler(self)
                self.env.flush_all()
        except Exception as exc:  # every failure becomes a state
            self._record_failure(exc, started)
            return self.state
        self._record_success(result, started)
        return "done"

    def _o2c_try_lock(self):
        """Take the event's row lock without waiting; False if a live holder has it.

        ``FOR NO KEY UPDATE``: rows that merely reference the event (exceptions,
        links, audit entries written concurrently) do not look like a processor.
        """
        try:
            return bool(self.try_lock_for_update(allow_referencing=True))
        except psycopg2.OperationalError as exc:
            # updated by a transaction committed after this one's snapshot
            raise RetryableJobError("event changed concurrently", seconds=5) from exc

    def _o2c_resume(self, token):
        """After the mid-job commit: re-lock the event and the job; True if still ours."""
        cr = self.env.cr
        try:
            with cr.savepoint(flush=False):
                job_uuid = self.env.context.get("job_uuid")
                if job_uuid:
                    # queue_job's own liveness lock was released by the commit too:
                    # without it the runner would requeue this running job as dead.
                    cr.execute(
                        "SELECT 1 FROM queue_job_lock WHERE queue_job_id IN "
                        "(SELECT id FROM queue_job WHERE uuid = %s AND state = 'started')"
                        " FOR NO KEY UPDATE SKIP LOCKED",
                        [job_uuid],
                    )
                cr.execute(
                    "SELECT state, processing_token FROM o2c_event WHERE id = %s "
                    "FOR NO KEY UPDATE SKIP LOCKED",
                    [self.id],
                )
                row = cr.fetchone()
        except psycopg2.OperationalError:
            return False
        self.invalidate_recordset()
        return row == ("processing", token)

    def _o2c_check_payload(self):
        """True if the payload is the one received (its SHA-256 matches).

        A mismatch means the stored evidence was altered behind the ORM and the
        trigger: the event is never processed, a critical exception is opened.
        """
        if self.direction != "in":
            return True
        event = self.sudo()
        if event.payload_purged:
            self._record_failure(
                PermanentError(
                    "the payload was purged (retention period): nothing to process"
                ),
                time.monotonic(),
            )
            return False
        digest = hashlib.sha256((event.payload or "").encode()).hexdigest()
        if digest == event.payload_hash:
            return True
        details = {"stored_hash": event.payload_hash, "payload_hash": digest}
        _logger.error(
            "O2C event %s: payload does not match its SHA-256, not processed", self.id
        )
        self.write(
            {
                "state": "failed",
                "error_kind": "permanent",
                "next_retry_at": False,
                "last_error": self.env._(
                    "Integrity check failed: the stored payload does not match the "
                    "SHA-256 recorded when it was received (%(hash)s). It was altered "
                    "after reception and is not processed.",
                    hash=event.payload_hash,
                ),
            }
        )
        self.env["o2c.exception"]._raise(
            "other",
            self.env._(
                "Integrity: payload of event %(e)s was altered after reception",
                e=self.name,
            ),
            dedup_key=f"o2c.event.integrity:{self.id}",
            severity="critical",
            event=self,
            description=self.env._(
                "The payload no longer matches the hash recorded when it arrived. "
                "The event was not processed. Find out who changed it (database "
                "access) before anything else."
            ),
            details=details,
        )
        self.env["o2c.audit.log"]._log(
            "event.integrity_failed",
            f"Payload of {self.name} does not match its hash: not processed",
            event=self,
            data=details,
        )
        return False

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
                "breaker_wait_since": False,
            }
        )
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
        circuit_open = kind == "transient" and event_policy.is_circuit_open(exc)
        message = f"{type(exc).__name__}: {exc}"
        if kind == "transient" and not isinstance(
            exc, (RetryableError, requests.RequestException, psycopg2.OperationalError)
        ):
            # an unexpected crash: keep the traceback for the integrator
            message += "\n" + "".join(traceback.format_exception(exc))[-4000:]
        now = fields.Datetime.now()
        waited = (
            (now - self.breaker_wait_since).total_seconds()
            if circuit_open and self.breaker_wait_since
            else 0.0
        )
        conn = self.connection_id
        decision = event_policy.decide_failure(
            kind=kind,
            attempts=self.attempts,
            max_attempts=self.max_attempts,
            backoff_base=conn.retry_backoff_base or 30.0,
            backoff_cap=conn.retry_backoff_cap or 3600.0,
            retry_after=getattr(exc, "retry_after", None),
            circuit_open=circuit_open,
            breaker_waited=waited,
            max_breaker_wait=self._o2c_max_breaker_wait(),
        )
        vals = {
            "last_error": message,
            "error_kind": kind,
            "duration_ms": int((time.monotonic() - started) * 1000),
        }
        if circuit_open:
            # the gateway was not called: this was no attempt
            vals["attempts"] = max(self.attempts - 1, 0)
            vals["breaker_wait_since"] = self.breaker_wait_since or now
        else:
            vals["breaker_wait_since"] = False
        _logger.warning(
            "O2C event %s failed (%s, attempt %s, %s): %s",
            self.id,
            kind,
            self.attempts,
            decision.action,
            exc,
        )
        if decision.action == event_policy.FAIL:
            vals.update(state="failed", next_retry_at=False)
            self.write(vals)
            self._raise_exception_for(exc, "failed")
            return
        if decision.action == event_policy.DEAD:
            if decision.reason:
                vals["last_error"] = f"{decision.reason}\n{message}"
                exc = RetryableError(f"{decision.reason} ({exc})")
            vals.update(state="dead", next_retry_at=False)
            self.write(vals)
            self._raise_exception_for(exc, "dead")
            return
        if decision.action == event_policy.WAIT:
            vals["breaker_waits"] = self.breaker_waits + 1
        eta = now + timedelta(seconds=decision.delay)
        self.write(vals)
        self._enqueue(eta=eta)

    def _o2c_max_breaker_wait(self):
        """Seconds an event may wait for an open circuit in total (system parameter)."""
        value = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param(MAX_BREAKER_WAIT_PARAM, event_policy.DEFAULT_MAX_BREAKER_WAIT)
        )
        try:
            return float(value)
        except (TypeError, ValueError):
            return event_policy.DEFAULT_MAX_BREAKER_WAIT

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
        # group AND company (action_ignore then works under sudo), refusals audited
        o2c_require(self, MANAGER_GROUP, "event.manage")

    def action_retry(self):
        """Retry failed / dead / stuck events now (attempt counter restarts)."""
        self._check_manager()
        todo = self.filtered(lambda e: e.direction == "in" and e.state in OPEN_STATES)
        for event in todo.sudo():
            event.write(
                {"attempts": 0, "error_kind": False, "breaker_wait_since": False}
            )
            event._enqueue()
            self.env["o2c.audit.log"]._log(
                "event.retry", f"Retry of {event.name}", event=event
            )
        return True

    def action_replay(self):
        """Process again events that were already done (idempotent handlers)."""
        self._check_manager()
        todo = self.filtered(
            lambda e: e.direction == "in" and e.payload_size and e.state != "superseded"
        )
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
        for event in self.sudo().filtered(
            lambda e: e.state not in ("ignored", "superseded")
        ):
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
    def _cron_requeue_stuck(self, stuck_minutes=15, grace_seconds=60):
        """Requeue events whose processor died, or queued without a live job.

        ``processing`` events are requeued as soon as their row lock is free (the
        processing transaction holds it while it works, see :meth:`_process`) and
        they are older than ``grace_seconds``; their age alone means nothing (a
        slow handler is alive as long as it holds the lock). ``queued`` events
        are requeued ``stuck_minutes`` after they were due if their job is gone.
        """
        now = fields.Datetime.now()
        limit = now - timedelta(minutes=stuck_minutes)
        grace = now - timedelta(seconds=grace_seconds)
        stuck = self.sudo().search(
            [
                ("direction", "=", "in"),
                "|",
                "&",
                ("state", "=", "processing"),
                ("processing_started_at", "<", grace),
                "&",
                ("state", "=", "queued"),
                ("next_retry_at", "<", limit),
            ],
            limit=1000,
        )
        processing = stuck.filtered(lambda e: e.state == "processing")
        # the ones whose lock is free lost their processor; locked = alive
        orphans = processing.try_lock_for_update(allow_referencing=True)
        stuck -= processing - orphans
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
        """Purge payloads older than the retention period (metadata and hashes stay).

        The one change of a stored payload the database accepts (see :meth:`init`).
        """
        days = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("o2c_integration.payload_retention_days", 90)
        )
        if days <= 0:
            return 0
        limit = fields.Datetime.now() - timedelta(days=days)
        self.env.flush_all()
        with self._payload_purge_allowed():
            self.env.cr.execute(
                """UPDATE o2c_event
                      SET payload = NULL, headers = NULL, payload_purged = TRUE
                    WHERE received_at < %s AND payload_purged IS NOT TRUE
                      AND state IN ('done', 'ignored', 'superseded')""",
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
