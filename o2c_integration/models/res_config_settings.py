# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The Order-to-Cash section of Odoo's Settings (O2C Administrators only).

It shows what an administrator must see at a glance to know whether the suite is set
up safely (encryption keys, job runner, backlog, neutralized copy) and sets what used
to live in system parameters (payload retention, runner alert threshold) and the
alert defaults. Every change made here is written to the audit log with the old and
the new value; nothing secret is shown or logged (keys are identified by a
fingerprint only).
"""

import os
from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError

from ..lib.key_status import key_status
from .o2c_secret_mixin import ADMIN_GROUP

RETENTION_PARAM = "o2c_integration.payload_retention_days"
RUNNER_PARAM = "o2c_integration.runner_alert_minutes"


def _queue_job_channels():
    """The channel configuration the queue_job runner uses (same sources, same order)."""
    try:
        from odoo.addons.queue_job.jobrunner import queue_job_config
    except ImportError:  # pragma: no cover - queue_job is a dependency
        queue_job_config = {}
    return (
        os.environ.get("ODOO_QUEUE_JOB_CHANNELS")
        or queue_job_config.get("channels")
        or "root:1"
    )


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    # Fields whose changes are audited (and refused to non O2C administrators).
    _o2c_audited_settings = (
        "o2c_payload_retention_days",
        "o2c_runner_alert_minutes",
        "o2c_alert_user_ids",
        "o2c_close_window_days",
        "o2c_close_escalate",
    )

    # --- Encryption (read-only status)
    o2c_key_configured = fields.Boolean(
        string="Encryption Key Configured", compute="_compute_o2c_keys"
    )
    o2c_key_count = fields.Integer(
        string="Encryption Keys", compute="_compute_o2c_keys"
    )
    o2c_primary_key_id = fields.Char(
        string="Primary Key Id", compute="_compute_o2c_keys"
    )
    o2c_secrets_total = fields.Integer(
        string="Stored Secrets", compute="_compute_o2c_keys"
    )
    o2c_secrets_old_key = fields.Integer(
        string="Secrets Under an Older Key", compute="_compute_o2c_keys"
    )
    o2c_key_error = fields.Char(string="Key Problem", compute="_compute_o2c_keys")

    # --- Retention
    o2c_payload_retention_days = fields.Integer(
        string="Payload Retention (days)",
        config_parameter=RETENTION_PARAM,
        default=90,
        help="Payloads of done or ignored events older than this are purged daily; "
        "their metadata and SHA-256 hashes stay. 0 keeps them forever.",
    )
    o2c_purge_preview = fields.Integer(
        string="Payloads the Next Purge Removes", compute="_compute_o2c_purge_preview"
    )

    # --- Processing
    o2c_runner_alert_minutes = fields.Integer(
        string="Runner Alert After (minutes)",
        config_parameter=RUNNER_PARAM,
        default=60,
        help="Warn when no queued job has started for longer than this.",
    )
    o2c_runner_last_job_at = fields.Datetime(
        string="Last Job Started", compute="_compute_o2c_processing"
    )
    o2c_runner_age_minutes = fields.Integer(
        string="Minutes Since the Last Job", compute="_compute_o2c_processing"
    )
    o2c_runner_stale = fields.Boolean(
        string="Runner Not Running", compute="_compute_o2c_processing"
    )
    o2c_jobs_waiting = fields.Integer(
        string="Jobs Waiting", compute="_compute_o2c_processing"
    )
    o2c_channels = fields.Char(
        string="Job Channels in Force", compute="_compute_o2c_processing"
    )
    o2c_events_queued = fields.Integer(
        string="Queued Events", compute="_compute_o2c_processing"
    )
    o2c_events_failed = fields.Integer(
        string="Failed Events", compute="_compute_o2c_processing"
    )
    o2c_events_dead = fields.Integer(
        string="Dead Events", compute="_compute_o2c_processing"
    )

    # --- Alerts (per company; stored on res.company, see get_values/set_values)
    o2c_alert_user_ids = fields.Many2many(
        "res.users",
        "o2c_settings_alert_user_rel",
        "settings_id",
        "user_id",
        string="Default Alert Recipients",
        help="Who is notified when an integration alert opens, by default.",
    )
    o2c_close_window_days = fields.Integer(
        string="Close Window (days)",
        help="The first days of each month, while the previous month is being "
        "closed. 0 means no close window.",
    )
    o2c_close_escalate = fields.Boolean(
        string="Escalate Alerts During the Close",
        help="During the close window, alerts are raised one severity up.",
    )

    # --- Environment
    o2c_neutralized = fields.Boolean(
        string="Neutralized Database", compute="_compute_o2c_neutralized"
    )

    # --- COMPUTE METHODS

    def _compute_o2c_keys(self):
        from .o2c_secret_mixin import configured_keys

        tokens = []
        for model in ("o2c.connection", "o2c.connection.secret"):
            records = self.env[model].sudo().with_context(active_test=False)
            for name in records._o2c_secret_fields:
                tokens += records.search([(f"{name}_enc", "!=", False)]).mapped(
                    f"{name}_enc"
                )
        status = key_status(configured_keys(), tokens)
        for rec in self:
            rec.o2c_key_configured = status.configured
            rec.o2c_key_count = status.count
            rec.o2c_primary_key_id = status.primary_id
            rec.o2c_secrets_total = status.secrets_total
            rec.o2c_secrets_old_key = status.secrets_old_key
            rec.o2c_key_error = status.error

    @api.depends("o2c_payload_retention_days")
    def _compute_o2c_purge_preview(self):
        Event = self.env["o2c.event"].sudo()
        for rec in self:
            days = rec.o2c_payload_retention_days
            if days <= 0:
                rec.o2c_purge_preview = 0
                continue
            rec.o2c_purge_preview = Event.search_count(
                rec._o2c_purge_domain(fields.Datetime.now() - timedelta(days=days))
            )

    @api.model
    def _o2c_purge_domain(self, limit):
        # The rows o2c.event._cron_purge_payloads() clears (same conditions).
        return [
            ("received_at", "<", limit),
            ("payload_purged", "!=", True),
            ("state", "in", ("done", "ignored")),
        ]

    @api.depends("o2c_runner_alert_minutes")
    def _compute_o2c_processing(self):
        cr = self.env.cr
        cr.execute(
            """SELECT MAX(date_started),
                      COUNT(*) FILTER (WHERE state IN ('pending', 'enqueued'))
                 FROM queue_job"""
        )
        last_started, waiting = cr.fetchone()
        cr.execute(
            """SELECT state, COUNT(*) FROM o2c_event
                WHERE state IN ('queued', 'failed', 'dead') AND company_id = ANY(%s)
                GROUP BY state""",
            [self.env.companies.ids],
        )
        per_state = dict(cr.fetchall())
        now = fields.Datetime.now()
        age = int((now - last_started).total_seconds() // 60) if last_started else 0
        for rec in self:
            rec.o2c_runner_last_job_at = last_started
            rec.o2c_runner_age_minutes = age
            rec.o2c_runner_stale = not last_started or age > max(
                rec.o2c_runner_alert_minutes, 1
            )
            rec.o2c_jobs_waiting = waiting
            rec.o2c_channels = _queue_job_channels()
            rec.o2c_events_queued = per_state.get("queued", 0)
            rec.o2c_events_failed = per_state.get("failed", 0)
            rec.o2c_events_dead = per_state.get("dead", 0)

    def _compute_o2c_neutralized(self):
        value = (
            self.env["ir.config_parameter"].sudo().get_param("database.is_neutralized")
        )
        for rec in self:
            rec.o2c_neutralized = bool(value)

    # --- BUSINESS METHODS

    # Settings kept on the company, by settings field name.
    _o2c_company_settings = {
        "o2c_alert_user_ids": "o2c_alert_user_ids",
        "o2c_close_window_days": "o2c_close_window_days",
        "o2c_close_escalate": "o2c_close_escalate",
    }

    @api.model
    def get_values(self):
        res = super().get_values()
        company = self.env.company
        for name, company_field in self._o2c_company_settings.items():
            value = company[company_field]
            res[name] = (
                [Command.set(value.ids)]
                if isinstance(value, models.BaseModel)
                else value
            )
        return res

    @staticmethod
    def _o2c_printable(value):
        """A comparable, printable value of one setting (records as sorted names)."""
        if isinstance(value, models.BaseModel):
            return sorted(value.mapped("display_name"))
        return value

    def _o2c_stored_settings(self):
        """The audited settings as they are stored now, printable."""
        params = self.env["ir.config_parameter"].sudo()
        stored = {}
        for name in self._o2c_audited_settings:
            field = self._fields[name]
            if name in self._o2c_company_settings:
                value = self.company_id[self._o2c_company_settings[name]]
            else:
                default = field.default(self) if field.default else 0
                value = int(params.get_param(field.config_parameter, default) or 0)
            stored[name] = self._o2c_printable(value)
        return stored

    def set_values(self):
        before = self._o2c_stored_settings()
        changes = {
            name: [old, self._o2c_printable(self[name])]
            for name, old in before.items()
            if old != self._o2c_printable(self[name])
        }
        if changes and not self.env.su and not self.env.user.has_group(ADMIN_GROUP):
            raise AccessError(
                self.env._(
                    "Only O2C administrators can change the Order-to-Cash settings."
                )
            )
        res = super().set_values()
        company_vals = {
            self._o2c_company_settings[name]: self[name]
            for name in changes
            if name in self._o2c_company_settings
        }
        if company_vals:
            self.company_id.sudo().write(company_vals)
        for name, (old, new) in changes.items():
            label = self._fields[name].string
            self.env["o2c.audit.log"]._log(
                "settings.change",
                f"Setting '{label}' changed from {old} to {new}",
                records=self.company_id,
                data={"field": name, "old": old, "new": new},
            )
        return res

    # --- PUBLIC ACTIONS

    def action_o2c_reencrypt_secrets(self):
        return self.env["o2c.connection"].action_reencrypt_all_secrets()

    def _o2c_open_events(self, states, name):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "o2c_integration.o2c_event_action"
        )
        action.update(
            name=name,
            display_name=name,
            domain=[("state", "in", states)],
            context={},
            target="current",
        )
        return action

    def action_o2c_open_queued(self):
        return self._o2c_open_events(["queued"], self.env._("Queued Events"))

    def action_o2c_open_failed(self):
        return self._o2c_open_events(["failed"], self.env._("Failed Events"))

    def action_o2c_open_dead(self):
        return self._o2c_open_events(["dead"], self.env._("Dead Letter Queue"))
