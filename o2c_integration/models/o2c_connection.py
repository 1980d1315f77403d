# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Connections (backends) to external systems.

A connection carries the endpoint, the credentials (encrypted), the retry / rate-limit
policy and the webhook secrets of one external system. Other addons extend
``connection_type`` and override the ``_o2c_*`` hooks behind a guard::

    def _o2c_verify_webhook(self, body, headers):
        if self.connection_type != "stripe":
            return super()._o2c_verify_webhook(body, headers)
        ...
"""

import json
import logging
import secrets
import threading
import time
from contextlib import contextmanager

import requests

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.modules import module as odoo_module

from ..lib import json_depth
from ..lib import signature as generic_signature
from ..lib.circuit import BreakerState, CircuitBreaker
from ..lib.exceptions import (
    ConnectionFailed,
    PermanentHTTPError,
    RetryableError,
    TransientHTTPError,
)
from ..lib.http_client import OutboundClient
from ..lib.masking import mask_data, mask_headers
from ..lib.ratelimit import TokenBucket
from ..lib.signature import content_hash
from .o2c_access import MANAGER_GROUP, o2c_require
from .o2c_secret_mixin import ADMIN_GROUP, get_cipher

_logger = logging.getLogger(__name__)

# Per-process token buckets: each Odoo worker enforces the connection's rate limit on
# its own share (documented in the README's scale-out section).
_BUCKETS = {}
_BUCKETS_LOCK = threading.Lock()

#: System parameter Odoo's base ``data/neutralize.sql`` sets on a neutralized copy.
NEUTRALIZED_PARAM = "database.is_neutralized"


class ConnectionNeutralized(UserError):
    """An outbound call refused because the database or the connection is neutralized.

    A ``UserError``: the person who clicked sees why, and an event handler that
    tried to call out fails permanently (it is a copy: retrying cannot help).
    """


@contextmanager
def o2c_new_env(env):
    """Yield an environment on a cursor committed independently of ``env``'s.

    Used to store what must survive a rollback of the caller (inbound payloads before
    answering 2xx, outbound call logs). In tests, where commits are forbidden, it is a
    savepoint of the test transaction instead.
    """
    if odoo_module.current_test:
        with env.cr.savepoint():
            yield env
    else:
        with env.registry.cursor() as cr:
            yield env(cr=cr)


class O2cConnection(models.Model):
    _name = "o2c.connection"
    _description = "O2C Connection"
    _inherit = ["mail.thread", "o2c.secret.mixin"]
    _order = "name"
    _o2c_secret_fields = ["api_key", "password", "client_secret"]

    name = fields.Char(required=True, tracking=True)
    connection_type = fields.Selection(
        [("generic", "Generic (HMAC webhooks, REST)")],
        required=True,
        default="generic",
        tracking=True,
        index=True,
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    active = fields.Boolean(default=True, tracking=True)
    base_url = fields.Char(string="Base URL", tracking=True)
    auth_method = fields.Selection(
        [
            ("none", "None"),
            ("api_key", "API key header"),
            ("basic", "Basic authentication"),
            ("oauth2", "OAuth2 client credentials"),
        ],
        default="none",
        required=True,
        tracking=True,
    )
    api_key_header = fields.Char(
        string="API Key Header",
        default="Authorization",
        help="Header carrying the API key",
    )
    api_key_prefix = fields.Char(
        string="API Key Prefix",
        default="Bearer",
        help="Prefix before the key, e.g. 'Bearer'",
    )
    username = fields.Char(tracking=True)
    client_id = fields.Char(string="OAuth2 Client ID", tracking=True)
    token_url = fields.Char(string="OAuth2 Token URL", tracking=True)
    oauth_scope = fields.Char(string="OAuth2 Scope")
    # Write-only secrets (masked), ciphertext readable by O2C administrators only
    api_key = fields.Char(
        compute="_compute_o2c_masked_secrets", inverse="_inverse_o2c_secrets"
    )
    password = fields.Char(
        compute="_compute_o2c_masked_secrets", inverse="_inverse_o2c_secrets"
    )
    client_secret = fields.Char(
        compute="_compute_o2c_masked_secrets", inverse="_inverse_o2c_secrets"
    )
    api_key_enc = fields.Char(groups=ADMIN_GROUP, copy=False)
    password_enc = fields.Char(groups=ADMIN_GROUP, copy=False)
    client_secret_enc = fields.Char(groups=ADMIN_GROUP, copy=False)
    access_token_enc = fields.Char(groups=ADMIN_GROUP, copy=False)
    access_token_expiry = fields.Float(groups=ADMIN_GROUP, copy=False)
    # Webhooks
    webhook_key = fields.Char(
        required=True,
        copy=False,
        readonly=True,
        index=True,
        default=lambda self: secrets.token_urlsafe(18),
        help="Unguessable path component of the inbound webhook URL",
    )
    webhook_url = fields.Char(
        compute="_compute_webhook_url", string="Inbound Webhook URL"
    )
    webhook_secret_ids = fields.One2many("o2c.connection.secret", "connection_id")
    webhook_tolerance = fields.Integer(
        default=300,
        string="Signature Tolerance (s)",
        help="Maximum age of a signed timestamp",
    )
    max_body_bytes = fields.Integer(
        default=1024 * 1024, string="Max Webhook Body (bytes)"
    )
    # Outbound policy
    connect_timeout = fields.Float(default=5.0, string="Connect Timeout (s)")
    read_timeout = fields.Float(default=30.0, string="Read Timeout (s)")
    rate_limit = fields.Integer(
        default=0, string="Rate Limit (calls/min)", help="0 = none"
    )
    retry_max_attempts = fields.Integer(default=5, string="Max Attempts")
    retry_backoff_base = fields.Float(default=30.0, string="Backoff Base (s)")
    retry_backoff_cap = fields.Float(default=3600.0, string="Backoff Cap (s)")
    breaker_threshold = fields.Integer(default=5, string="Circuit Breaker Threshold")
    breaker_reset = fields.Integer(default=60, string="Circuit Probe After (s)")
    breaker_state = fields.Selection(
        [("closed", "Closed"), ("open", "Open"), ("half_open", "Half open")],
        default="closed",
        readonly=True,
        copy=False,
    )
    breaker_failures = fields.Integer(readonly=True, copy=False)
    breaker_opened_at = fields.Float(readonly=True, copy=False)
    last_success_at = fields.Datetime(string="Last Success", readonly=True, copy=False)
    last_error = fields.Text(readonly=True, copy=False)
    last_inbound_success_at = fields.Datetime(
        string="Last Inbound Success", compute="_compute_last_inbound_success"
    )
    event_count = fields.Integer(compute="_compute_event_stats", string="Events")
    failed_event_count = fields.Integer(
        compute="_compute_event_stats", string="Failed Events"
    )
    # Environment isolation (data/neutralize.sql of the three addons)
    neutralized = fields.Boolean(
        string="Neutralized (test mode)",
        tracking=True,
        help="Set by the database neutralization: outbound calls and inbound "
        "webhooks of this connection are refused. Clearing it is not enough while "
        "the database itself is neutralized (system parameter "
        "database.is_neutralized).",
    )
    is_neutralized = fields.Boolean(
        compute="_compute_is_neutralized",
        help="The connection or the whole database is neutralized: no outbound "
        "call leaves, no inbound webhook is accepted.",
    )

    _webhook_key_uniq = models.Constraint(
        "UNIQUE(webhook_key)", "The webhook key must be unique."
    )

    # --- COMPUTE METHODS

    @api.depends("webhook_key")
    def _compute_webhook_url(self):
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        for rec in self:
            rec.webhook_url = (
                f"{base}/o2c/webhook/{rec.webhook_key}" if rec.webhook_key else False
            )

    @api.depends("neutralized")
    def _compute_is_neutralized(self):
        database = self._o2c_database_neutralized()
        for rec in self:
            rec.is_neutralized = database or rec.neutralized

    def _compute_event_stats(self):
        Event = self.env["o2c.event"]
        counts = dict(
            Event._read_group(
                [("connection_id", "in", self.ids)], ["connection_id"], ["__count"]
            )
        )
        failed = dict(
            Event._read_group(
                [
                    ("connection_id", "in", self.ids),
                    ("state", "in", ("failed", "dead")),
                ],
                ["connection_id"],
                ["__count"],
            )
        )
        for rec in self:
            rec.event_count = counts.get(rec, 0)
            rec.failed_event_count = failed.get(rec, 0)

    # --- EVENT LOG SHORTCUTS

    def _compute_last_inbound_success(self):
        """When an inbound event of the connection was last processed successfully.

        Read from the event log (indexed) instead of being written on the
        connection by every event: an UPDATE of the connection row while events
        are processed in parallel would make every other worker's foreign-key check
        on that row fail to serialize (REPEATABLE READ).
        """
        last = {}
        if self.ids:
            self.env["o2c.event"].flush_model()
            self.env.cr.execute(
                """SELECT connection_id, MAX(processed_at) FROM o2c_event
                    WHERE connection_id IN %s AND direction = 'in' AND state = 'done'
                    GROUP BY connection_id""",
                [tuple(self.ids)],
            )
            last = dict(self.env.cr.fetchall())
        for rec in self:
            rec.last_inbound_success_at = last.get(rec.id, False)

    def _o2c_events_action(self, domain, name):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "o2c_integration.o2c_event_action"
        )
        action.update(
            name=name, domain=[("connection_id", "in", self.ids), *domain], context={}
        )
        return action

    def action_o2c_open_events(self):
        """Stat button: the events of this connection."""
        return self._o2c_events_action([], self.env._("Events"))

    def action_o2c_open_failed_events(self):
        """Stat button: its failed and dead-letter events."""
        return self._o2c_events_action(
            [("state", "in", ("failed", "dead"))], self.env._("Failed Events")
        )

    # --- WEBHOOK HOOKS (overridden per connection type)

    def _o2c_webhook_secrets(self):
        """Clear webhook secrets currently valid (several during a rotation window)."""
        self.ensure_one()
        return self.sudo().webhook_secret_ids._get_valid_secrets()

    def _o2c_verify_webhook(self, body, headers):
        """Authenticate an inbound webhook; raise a SignatureError subclass to refuse.

        The generic scheme is ``X-O2C-Signature: t=<unix>,v1=<hmac-sha256 hex>`` over
        ``"<t>." + raw body``. No secret configured means refuse, never accept.
        """
        self.ensure_one()
        generic_signature.verify(
            self._o2c_webhook_secrets(),
            body,
            headers.get(generic_signature.SIGNATURE_HEADER),
            tolerance=self.webhook_tolerance,
        )

    def _o2c_parse_webhook(self, body, headers):
        """Split an authenticated body into events.

        Returns a list of dicts ``{event_type, external_id, payload}`` (payload: str).
        Raise ``ValueError`` for a body that cannot be read (malformed JSON, or nested
        deeper than ``json_depth.DEFAULT_MAX_DEPTH``): the controller stores it as a
        failed event and answers 400.
        """
        self.ensure_one()
        text = body.decode("utf-8")
        data = json_depth.loads(text)
        if not isinstance(data, dict):
            raise ValueError("the webhook body must be a JSON object")
        event_type = data.get("type") or headers.get("X-O2C-Event-Type") or "unknown"
        external_id = (
            data.get("id") or headers.get("X-O2C-Event-Id") or content_hash(body)
        )
        return [
            {
                "event_type": str(event_type),
                "external_id": str(external_id),
                "payload": text,
            }
        ]

    def _o2c_webhook_ack(self, events, duplicates):
        """Return (status, content_type, body) acknowledging stored events."""
        body = json.dumps(
            {
                "status": "accepted",
                "events": [e.id for e in events],
                "duplicates": duplicates,
            }
        )
        return 200, "application/json", body

    # --- ENVIRONMENT ISOLATION

    @api.model
    def _o2c_database_neutralized(self):
        """True on a neutralized copy (``odoo-bin neutralize``, duplicate/restore
        with neutralization).

        Read straight from the table rather than through ``get_param``'s cache: a
        database neutralized under a running server must stop calling out at once.
        """
        self.env.cr.execute(
            "SELECT value FROM ir_config_parameter WHERE key = %s", [NEUTRALIZED_PARAM]
        )
        row = self.env.cr.fetchone()
        return bool(row and row[0] and row[0].strip().lower() not in ("0", "false"))

    def _o2c_check_not_neutralized(self):
        """Raise ``ConnectionNeutralized`` before anything could leave this process."""
        self.ensure_one()
        database = self._o2c_database_neutralized()
        if database or self.sudo().neutralized:
            _logger.warning(
                "O2C: outbound call of connection %s refused: %s neutralized",
                self.id,
                "database" if database else "connection",
            )
            raise ConnectionNeutralized(
                self.env._(
                    "Connection %(c)s is neutralized (%(why)s): no call to the "
                    "external system is made from this database.",
                    c=self.sudo().name,
                    why=self.env._("this database is a neutralized copy")
                    if database
                    else self.env._("test mode set by the neutralization"),
                )
            )

    # --- OUTBOUND CLIENT

    def _o2c_bucket(self):
        if not self.rate_limit:
            return None
        key = (self.env.cr.dbname, self.id, self.rate_limit)
        with _BUCKETS_LOCK:
            bucket = _BUCKETS.get(key)
            if bucket is None:
                bucket = _BUCKETS[key] = TokenBucket(self.rate_limit)
        return bucket

    def _o2c_auth(self, headers):
        """Fill ``headers`` for the auth method; returns a requests auth tuple or None."""
        self.ensure_one()
        conn = self.sudo()
        if conn.auth_method == "api_key":
            key = conn._o2c_get_secret("api_key")
            if not key:
                raise UserError(self.env._("No API key is set on %(c)s.", c=conn.name))
            prefix = f"{conn.api_key_prefix} " if conn.api_key_prefix else ""
            headers[conn.api_key_header or "Authorization"] = f"{prefix}{key}"
        elif conn.auth_method == "basic":
            return (conn.username or "", conn._o2c_get_secret("password") or "")
        elif conn.auth_method == "oauth2":
            headers["Authorization"] = f"Bearer {conn._o2c_oauth_token()}"
        return None

    def _o2c_oauth_token(self, force=False):
        """Client-credentials token, cached encrypted until 60 s before expiry."""
        self.ensure_one()
        conn = self.sudo()
        if (
            not force
            and conn.access_token_enc
            and conn.access_token_expiry > time.time() + 60
        ):
            return get_cipher().decrypt(conn.access_token_enc)
        if not conn.token_url or not conn.client_id:
            raise UserError(self.env._("OAuth2 needs a token URL and a client ID."))
        client = self._o2c_client(max_attempts=2)
        data = {"grant_type": "client_credentials"}
        if conn.oauth_scope:
            data["scope"] = conn.oauth_scope
        response = client.request(
            "POST",
            conn.token_url,
            data=data,
            auth=(conn.client_id, conn._o2c_get_secret("client_secret") or ""),
            headers={"Accept": "application/json"},
        )
        payload = response.json()
        token = payload["access_token"]
        expiry = time.time() + float(payload.get("expires_in") or 3600)
        with o2c_new_env(self.env) as env:
            env["o2c.connection"].sudo().browse(self.id).write(
                {
                    "access_token_enc": get_cipher().encrypt(token),
                    "access_token_expiry": expiry,
                }
            )
        conn.invalidate_recordset(["access_token_enc", "access_token_expiry"])
        return token

    def _o2c_client(self, **overrides):
        self.ensure_one()
        # every outbound client (API calls, OAuth2 tokens) is built here
        self._o2c_check_not_neutralized()
        opts = {
            "connect_timeout": self.connect_timeout or 5.0,
            "read_timeout": self.read_timeout or 30.0,
            "max_attempts": max(self.retry_max_attempts, 1),
            "backoff_base": 1.0,
            "backoff_cap": 10.0,
            "max_inline_wait": 10.0,
            "rate_limiter": self._o2c_bucket(),
            "breaker": CircuitBreaker(
                self.breaker_threshold or 5, self.breaker_reset or 60
            ),
            "breaker_state": BreakerState(
                state=self.breaker_state or "closed",
                failures=self.breaker_failures,
                opened_at=self.breaker_opened_at or None,
            ),
        }
        opts.update(overrides)
        return OutboundClient(**opts)

    def _o2c_request(
        self,
        method,
        path,
        *,
        json_body=None,
        params=None,
        headers=None,
        data=None,
        idempotency_key=None,
        event_type=None,
        correlation_id=None,
        client_overrides=None,
    ):
        """The one entry point for outbound calls of this connection.

        Retries transient failures inline within a short budget, then raises
        ``RetryableError`` (with ``retry_after``) for the caller's job to retry later;
        ``PermanentHTTPError`` for 4xx. Every call is logged as an outbound event with
        masked headers and payload, committed even if the caller rolls back.

        Example::

            resp = conn._o2c_request("POST", "/v1/orders/42/status",
                                     json_body={"status": "invoiced"},
                                     idempotency_key=f"status-{invoice.id}-posted")
        """
        self.ensure_one()
        # before the auth step, which may itself fetch an OAuth2 token
        self._o2c_check_not_neutralized()
        url = (
            path
            if path.startswith(("http://", "https://"))
            else ((self.base_url or "").rstrip("/") + "/" + path.lstrip("/"))
        )
        headers = dict(headers or {})
        headers.setdefault("Accept", "application/json")
        auth = self._o2c_auth(headers)
        attempts = []
        client = self._o2c_client(
            on_attempt=attempts.append, **(client_overrides or {})
        )
        started = time.monotonic()
        response = error = None

        def send():
            return client.request(
                method,
                url,
                headers=headers,
                params=params,
                json=json_body,
                data=data,
                idempotency_key=idempotency_key,
                auth=auth,
            )

        try:
            try:
                response = send()
            except PermanentHTTPError as exc:
                if exc.status != 401 or self.auth_method != "oauth2":
                    raise
                # the cached token was revoked or expired early: refresh once
                headers["Authorization"] = f"Bearer {self._o2c_oauth_token(force=True)}"
                response = send()
            return response
        except (RetryableError, PermanentHTTPError) as exc:
            error = exc
            raise
        except requests.RequestException as exc:  # defensive: client wraps these
            error = ConnectionFailed(str(exc))
            raise error from exc
        finally:
            self._o2c_after_request(
                client,
                method,
                url,
                attempts,
                response,
                error,
                json_body or data or params,
                event_type,
                correlation_id,
                started,
                idempotency_key or (attempts[0].idempotency_key if attempts else None),
            )

    def _o2c_after_request(
        self,
        client,
        method,
        url,
        attempts,
        response,
        error,
        payload,
        event_type,
        correlation_id,
        started,
        idempotency_key,
    ):
        """Persist breaker state and the outbound event log in an independent transaction."""
        state = client.breaker_state
        status = (
            response.status_code
            if response is not None
            else getattr(error, "status", None)
        )
        now = fields.Datetime.now()
        log_payload = json.dumps(
            {
                "request": mask_data(payload)
                if isinstance(payload, (dict, list))
                else payload,
                "attempts": [
                    {
                        "attempt": a.attempt,
                        "status": a.status,
                        "error": a.error,
                        "duration_ms": a.duration_ms,
                    }
                    for a in attempts
                ],
                "response": _response_excerpt(response),
            },
            default=str,
        )
        conn_vals = {
            "breaker_state": state.state if state else "closed",
            "breaker_failures": state.failures if state else 0,
            "breaker_opened_at": (state.opened_at or 0.0) if state else 0.0,
        }
        if error is None:
            conn_vals["last_success_at"] = now
        else:
            conn_vals["last_error"] = str(error)[:2000]
        try:
            with o2c_new_env(self.env) as env:
                env.cr.execute(
                    "UPDATE o2c_connection SET breaker_state=%s, breaker_failures=%s, "
                    "breaker_opened_at=%s WHERE id=%s",
                    [
                        conn_vals["breaker_state"],
                        conn_vals["breaker_failures"],
                        conn_vals["breaker_opened_at"],
                        self.id,
                    ],
                )
                extra = {
                    k: v for k, v in conn_vals.items() if not k.startswith("breaker")
                }
                conn = env["o2c.connection"].sudo().browse(self.id)
                conn.write(extra)
                env["o2c.event"].sudo()._log_outbound(
                    conn,
                    event_type=event_type or f"{method.upper()} {url.split('?')[0]}",
                    method=method.upper(),
                    url=url,
                    status=status,
                    state="done"
                    if error is None and response is not None and response.ok
                    else "failed",
                    error=str(error) if error else None,
                    payload=log_payload,
                    headers=json.dumps(
                        attempts[-1].request_headers if attempts else {}
                    ),
                    duration_ms=int((time.monotonic() - started) * 1000),
                    attempts=len(attempts),
                    correlation_id=correlation_id,
                    idempotency_key=idempotency_key,
                )
        except Exception:  # logging must never mask the call's own outcome
            _logger.exception(
                "O2C: could not log outbound call to %s", url.split("?")[0]
            )
        self.invalidate_recordset(
            [
                "breaker_state",
                "breaker_failures",
                "breaker_opened_at",
                "last_success_at",
                "last_error",
            ]
        )

    # --- CRONS

    @api.model
    def _cron_health_check(self):
        """Open a 'connection down' exception while a circuit is open; close it after."""
        for conn in self.sudo().search([]):
            key = f"o2c.connection.down:{conn.id}"
            if conn.breaker_state == "open":
                self.env["o2c.exception"]._raise(
                    "connection_down",
                    self.env._("Connection %(c)s is down", c=conn.name),
                    dedup_key=key,
                    severity="high",
                    connection=conn,
                    record=conn,
                    description=conn.last_error or False,
                )
            else:
                self.env["o2c.exception"]._close_by_key(
                    key, self.env._("The connection answers again.")
                )

    # --- PUBLIC ACTIONS

    # Every public method below changes the connection (or calls out with its
    # credentials) under sudo: each starts with o2c_require (see o2c_access.py).

    def action_test_connection(self):
        """Call the base URL (GET) and report the outcome to the administrator.

        O2C managers may run it: it changes nothing but the breaker state and the
        outbound log, and never shows a credential.
        """
        self.ensure_one()
        o2c_require(self, MANAGER_GROUP, "connection.test")
        if not self.base_url:
            raise UserError(self.env._("Set a base URL first."))
        try:
            response = self._o2c_request(
                "GET",
                self.base_url,
                event_type="connection.test",
                client_overrides={"max_attempts": 1},
            )
            message = self.env._("Connection OK (HTTP %(s)s).", s=response.status_code)
            kind = "success"
        except (TransientHTTPError, PermanentHTTPError) as exc:
            message = self.env._("The server answered HTTP %(s)s.", s=exc.status)
            kind = "warning"
        except RetryableError as exc:
            message = self.env._("Connection failed: %(e)s", e=str(exc))
            kind = "danger"
        self.env["o2c.audit.log"]._log(
            "connection.test",
            f"Connection test of {self.name}: {kind}",
            records=self,
            data={"outcome": kind},
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"title": self.name, "message": message, "type": kind},
        }

    def action_reset_breaker(self):
        """Close the circuit breaker by hand (O2C managers)."""
        o2c_require(self, MANAGER_GROUP, "connection.reset_breaker")
        for rec in self:
            previous = rec.breaker_state
            rec.sudo().write(
                {
                    "breaker_state": "closed",
                    "breaker_failures": 0,
                    "breaker_opened_at": 0.0,
                }
            )
            self.env["o2c.audit.log"]._log(
                "connection.reset_breaker",
                f"Circuit breaker of {rec.name} reset (was {previous})",
                records=rec,
                data={"previous": previous},
            )
        return True

    def action_regenerate_webhook_key(self):
        """New unguessable webhook URL (O2C administrators): the old one stops."""
        o2c_require(self, ADMIN_GROUP, "credential.change")
        for rec in self:
            rec.sudo().webhook_key = secrets.token_urlsafe(18)
            self.env["o2c.audit.log"]._log(
                "credential.change",
                f"Webhook URL regenerated on {rec.name}",
                records=rec,
            )
        return True

    @api.model
    def action_reencrypt_all_secrets(self):
        """Key rotation: re-encrypt every stored secret under the primary key.

        Procedure: put the new key FIRST in ``o2c_encryption_keys`` (keep the old ones
        after it), restart, run this action, then remove the old keys.
        """
        o2c_require(self.browse(), ADMIN_GROUP, "credential.rotate")
        cipher = get_cipher()
        count = 0
        left = 0
        for model in ("o2c.connection", "o2c.connection.secret"):
            # only the companies the administrator works in (record rules)
            records = self.env[model].with_context(active_test=False).search([])
            records.check_access("write")
            count += records._o2c_reencrypt(cipher)
            left += (
                self.env[model]
                .sudo()
                .with_context(active_test=False)
                .search_count([("id", "not in", records.ids)])
            )
        tokens = (
            self.with_context(active_test=False)
            .search([])
            .sudo()
            .filtered("access_token_enc")
        )
        for conn in tokens:
            conn.access_token_enc = cipher.rotate(conn.access_token_enc)
        self.env["o2c.audit.log"]._log(
            "credential.rotate",
            f"Re-encrypted {count} secrets under the primary key",
            data={
                "count": count,
                "companies": self.env.companies.ids,
                "records_of_other_companies": left,
            },
        )
        message = self.env._("%(n)s secrets re-encrypted.", n=count)
        if left:
            message += " " + self.env._(
                "%(left)s connections or webhook secrets belong to companies outside "
                "your current ones: select those companies (or ask their "
                "administrator) and run it again before removing the old key.",
                left=left,
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Key rotation"),
                "message": message,
                "type": "warning" if left else "success",
            },
        }


def _response_excerpt(response):
    if response is None:
        return None
    text = response.text[:2000] if response.content else ""
    try:
        body = mask_data(json.loads(text)) if text else None
    except ValueError:
        body = text[:500]
    return {
        "status": response.status_code,
        "headers": mask_headers(dict(response.headers)),
        "body": body,
    }


class O2cConnectionSecret(models.Model):
    _name = "o2c.connection.secret"
    _description = "O2C Webhook Signing Secret"
    _inherit = ["o2c.secret.mixin"]
    _order = "sequence, id"
    _o2c_secret_fields = ["secret"]

    connection_id = fields.Many2one(
        "o2c.connection", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="connection_id.company_id", store=True)
    name = fields.Char(required=True, default="Webhook secret")
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    expires_at = fields.Datetime(
        help="End of the rotation window: after this the secret is refused."
    )
    secret = fields.Char(
        compute="_compute_o2c_masked_secrets", inverse="_inverse_o2c_secrets"
    )
    secret_enc = fields.Char(groups=ADMIN_GROUP, copy=False)

    def _get_valid_secrets(self):
        now = fields.Datetime.now()
        valid = self.sudo().filtered(
            lambda s: s.active
            and s.secret_enc
            and (not s.expires_at or s.expires_at > now)
        )
        return [s._o2c_get_secret("secret") for s in valid]
