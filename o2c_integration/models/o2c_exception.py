# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The exception queue: things a finance person must act on."""

import json
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..lib.event_summary import summarize_payload

CATEGORIES = [
    ("validation", "Validation"),
    ("mapping", "Mapping"),
    ("duplicate", "Duplicate"),
    ("amount_mismatch", "Amount Mismatch"),
    ("unmatched", "Unmatched"),
    ("proposal", "Match Proposal"),
    ("dispute", "Dispute"),
    ("credit_hold", "Credit Hold"),
    ("connection_down", "Connection Down"),
    ("dead_letter", "Dead Letter"),
    ("balance", "Balance Mismatch"),
    ("other", "Other"),
]
SEVERITIES = [
    ("low", "Low"),
    ("medium", "Medium"),
    ("high", "High"),
    ("critical", "Critical"),
]
OPEN_STATES = ("new", "in_progress")
#: kanban colour index (web's colour picker) per severity; closed exceptions are grey
SEVERITY_COLORS = {"low": 10, "medium": 3, "high": 2, "critical": 1}


class O2cException(models.Model):
    _name = "o2c.exception"
    _description = "O2C Exception"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "severity_rank desc, create_date desc, id desc"

    name = fields.Char(required=True, tracking=True)
    category = fields.Selection(CATEGORIES, required=True, index=True, tracking=True)
    severity = fields.Selection(
        SEVERITIES, required=True, default="medium", index=True, tracking=True
    )
    severity_rank = fields.Integer(compute="_compute_severity_rank", store=True)
    state = fields.Selection(
        [
            ("new", "New"),
            ("in_progress", "In Progress"),
            ("resolved", "Resolved"),
            ("ignored", "Ignored"),
        ],
        default="new",
        required=True,
        index=True,
        tracking=True,
    )
    description = fields.Text()
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    currency_id = fields.Many2one(
        "res.currency", default=lambda self: self.env.company.currency_id
    )
    amount = fields.Monetary(string="Amount at Stake", currency_field="currency_id")
    partner_id = fields.Many2one("res.partner", index=True, tracking=True)
    connection_id = fields.Many2one("o2c.connection", index=True, ondelete="set null")
    event_id = fields.Many2one(
        "o2c.event", string="Source Event", index=True, ondelete="set null"
    )
    res_model = fields.Char(string="Source Model", index=True)
    res_id = fields.Integer(string="Source Record ID")
    source_display = fields.Char(compute="_compute_source_display")
    user_id = fields.Many2one("res.users", string="Assignee", tracking=True, index=True)
    date_deadline = fields.Date(string="Due Date", tracking=True)
    resolution_note = fields.Text(tracking=True)
    resolved_by_id = fields.Many2one("res.users", readonly=True)
    resolved_date = fields.Datetime(readonly=True)
    dedup_key = fields.Char(
        index=True,
        readonly=True,
        help="Fingerprint of the problem: the same problem arriving again updates the "
        "open exception instead of opening a second one.",
    )
    occurrence_count = fields.Integer(default=1, readonly=True)
    last_seen = fields.Datetime(default=fields.Datetime.now, readonly=True)
    details = fields.Json(help="Structured details (violations, candidates, figures).")
    details_display = fields.Text(
        string="Details (readable)", compute="_compute_details_display"
    )
    color = fields.Integer(compute="_compute_color")
    event_retryable = fields.Boolean(
        compute="_compute_event_retryable",
        help="The source event failed: retrying it may solve this exception.",
    )
    age_days = fields.Integer(compute="_compute_age_days")

    _dedup_open_uniq = models.UniqueIndex(
        "(dedup_key) WHERE state IN ('new', 'in_progress') AND dedup_key IS NOT NULL",
        "An open exception already exists for this problem.",
    )

    # --- COMPUTE METHODS

    @api.depends("severity")
    def _compute_severity_rank(self):
        ranks = {key: i for i, (key, _label) in enumerate(SEVERITIES)}
        for rec in self:
            rec.severity_rank = ranks.get(rec.severity, 0)

    @api.depends("res_model", "res_id")
    def _compute_source_display(self):
        for rec in self:
            record = rec._get_source_record()
            rec.source_display = record.display_name if record else False

    @api.depends("details")
    def _compute_details_display(self):
        for rec in self:
            rec.details_display = (
                json.dumps(
                    rec.details,
                    indent=2,
                    ensure_ascii=False,
                    sort_keys=True,
                    default=str,
                )
                if rec.details
                else False
            )

    @api.depends("severity", "state")
    def _compute_color(self):
        for rec in self:
            rec.color = (
                SEVERITY_COLORS.get(rec.severity, 0) if rec.state in OPEN_STATES else 0
            )

    @api.depends("event_id.state")
    def _compute_event_retryable(self):
        for rec in self:
            rec.event_retryable = rec.event_id.state in ("failed", "dead")

    def _compute_age_days(self):
        now = fields.Datetime.now()
        for rec in self:
            rec.age_days = (now - rec.create_date).days if rec.create_date else 0

    # --- BUSINESS METHODS

    def _get_source_record(self):
        self.ensure_one()
        if not self.res_model or not self.res_id or self.res_model not in self.env:
            return None
        record = self.env[self.res_model].browse(self.res_id).exists()
        return record or None

    @api.model
    def _raise(
        self,
        category,
        name,
        *,
        dedup_key=None,
        severity="medium",
        amount=None,
        currency=None,
        partner=None,
        event=None,
        record=None,
        connection=None,
        description=None,
        details=None,
        deadline_days=None,
        company=None,
    ):
        """Open an exception, or update the open one with the same ``dedup_key``.

        Returns the exception. Safe to call from handlers and crons: the open-exception
        uniqueness is a partial unique index, so two concurrent raisers cannot open two
        exceptions for one problem (the loser's transaction fails and is retried).

        Example::

            self.env["o2c.exception"]._raise(
                "mapping", "Unknown SKU ABC-1", dedup_key="sku:%s:ABC-1" % conn.id,
                event=event, amount=order_total, currency=currency)
        """
        if record is not None and not record:
            record = None
        if event and dedup_key and dedup_key == event._exception_key():
            # a failed / dead event (o2c.event._raise_exception_for): a title a
            # finance user understands, what to do, and the money of the document
            human = self._o2c_event_failure_vals(event, category, details or {})
            name = human["name"]
            description = description or human["description"]
            if amount is None and human.get("amount") is not None:
                amount = human["amount"]
                currency = currency or human.get("currency")
        if company is None:
            company = (
                (
                    record.company_id
                    if record is not None and "company_id" in record._fields
                    else None
                )
                or (connection.company_id if connection else None)
                or (event.company_id if event else None)
                or self.env.company
            )
        vals = {
            "name": name,
            "category": category,
            "severity": severity,
            "company_id": company.id,
            "description": description or False,
            "details": details or False,
            "last_seen": fields.Datetime.now(),
        }
        if amount is not None:
            vals["amount"] = float(amount)
            vals["currency_id"] = (currency or company.currency_id).id
        if partner:
            vals["partner_id"] = partner.id
        if event:
            vals["event_id"] = event.id
            vals["connection_id"] = event.connection_id.id
        if connection:
            vals["connection_id"] = connection.id
        if record is not None:
            vals["res_model"] = record._name
            vals["res_id"] = record.id
        if deadline_days is not None:
            vals["date_deadline"] = fields.Date.today() + timedelta(days=deadline_days)
        Exc = self.sudo()
        existing = (
            Exc.search(
                [("dedup_key", "=", dedup_key), ("state", "in", OPEN_STATES)], limit=1
            )
            if dedup_key
            else Exc.browse()
        )
        if existing:
            vals["occurrence_count"] = existing.occurrence_count + 1
            existing.write(vals)
            existing.message_post(
                body=self.env._("Seen again: %(name)s", name=name),
                message_type="comment",
                subtype_xmlid="mail.mt_note",
            )
            return existing
        vals["dedup_key"] = dedup_key or False
        return Exc.create(vals)

    @api.model
    def _o2c_event_failure_vals(self, event, category, details):
        """Title, description and money of the exception of a failed event.

        The title names the business document ("Order #1005 from Web Shop:
        validation failed"), the description gives the error, each violation and
        what to do; the amount is the document's total read from the payload (a
        refused document has no Odoo record to take it from).
        """
        summary = summarize_payload(event.sudo().payload, event.event_type)
        conn = event.connection_id.name or "?"
        state = details.get("state")
        error_line = (details.get("error") or "").strip().split("\n")[0][:160]
        if state == "dead" and "circuit open" in error_line:
            # dead-lettered while waiting for the breaker: no attempt was spent
            outcome = error_line
        elif state == "dead":
            outcome = self.env._(
                "failed %(n)s times, retries exhausted", n=details.get("attempts") or 1
            )
        elif category == "mapping":
            outcome = self.env._("mapping missing")
        elif category == "validation":
            outcome = self.env._("validation failed")
        else:
            outcome = self.env._("processing failed")
        if summary["kind"] == "order" and summary["reference"]:
            subject = self.env._("Order %(ref)s", ref=summary["reference"])
        elif summary["reference"]:
            subject = f"{summary['kind'].capitalize()} {summary['reference']}"
        else:
            subject = self.env._(
                "Event %(type)s %(ext)s",
                type=event.event_type,
                ext=event.external_id or event.id,
            )
        name = self.env._(
            "%(subject)s from %(conn)s: %(outcome)s",
            subject=subject,
            conn=conn,
            outcome=outcome,
        )
        lines = [self.env._("Error: %(error)s", error=details.get("error") or "?")]
        for path, reason in details.get("violations") or []:
            lines.append(f"  - {path}: {reason}")
        lines += ["", self._o2c_event_advice(category, conn)]
        currency = self.env["res.currency"]
        if summary["currency"]:
            currency = currency.with_context(active_test=False).search(
                [("name", "=", summary["currency"])], limit=1
            )
        return {
            "name": name[:250],
            "description": "\n".join(lines),
            "amount": summary["amount"],
            "currency": currency or None,
        }

    @api.model
    def _o2c_event_advice(self, category, conn):
        """What a person does about a failed event of ``category``."""
        if category == "validation":
            return self.env._(
                "The document was refused. Ask %(conn)s to correct it and send it "
                "again, or correct the data at the source and use Retry Source Event.",
                conn=conn,
            )
        if category == "mapping":
            return self.env._(
                "A code of the document has no Odoo counterpart. Add the mapping on "
                "the connection %(conn)s (or create the missing record), then use "
                "Retry Source Event.",
                conn=conn,
            )
        if category == "dead_letter":
            return self.env._(
                "The event failed with temporary errors until its attempts ran out. "
                "Check that %(conn)s and Odoo's job runner are working, then use "
                "Retry Source Event; ignore the event with a note if it must not be "
                "processed.",
                conn=conn,
            )
        return self.env._(
            "Open the source record or event, correct the cause, then use Retry "
            "Source Event, or resolve this exception with a note saying why nothing "
            "is needed."
        )

    @api.model
    def _close_by_key(self, dedup_key, note):
        """Resolve the open exception for ``dedup_key`` (the problem went away)."""
        open_exc = self.sudo().search(
            [("dedup_key", "=", dedup_key), ("state", "in", OPEN_STATES)]
        )
        if open_exc:
            open_exc._mark_done("resolved", note)
        return open_exc

    def _mark_done(self, state, note):
        for rec in self:
            rec.write(
                {
                    "state": state,
                    "resolution_note": note,
                    "resolved_by_id": self.env.uid,
                    "resolved_date": fields.Datetime.now(),
                }
            )
            self.env["o2c.audit.log"]._log(
                f"exception.{state}",
                f"Exception '{rec.name}' {state}",
                records=rec,
                event=rec.event_id,
                data={"category": rec.category, "note": note},
            )

    # --- PUBLIC ACTIONS

    def action_take(self):
        self.filtered(lambda r: r.state == "new").write(
            {"state": "in_progress", "user_id": self.env.uid}
        )

    def action_resolve(self):
        self._check_note(self.env._("Write a resolution note before resolving."))
        for rec in self.filtered(lambda r: r.state in OPEN_STATES):
            rec.sudo()._mark_done("resolved", rec.resolution_note)
        return True

    def action_ignore(self):
        self._check_note(
            self.env._("Say why the exception is ignored (resolution note).")
        )
        for rec in self.filtered(lambda r: r.state in OPEN_STATES):
            rec.sudo()._mark_done("ignored", rec.resolution_note)
        return True

    def _check_note(self, message):
        if any(not rec.resolution_note for rec in self):
            raise UserError(message)

    def action_reopen(self):
        self.filtered(lambda r: r.state not in OPEN_STATES).write({"state": "new"})

    def action_open_source(self):
        self.ensure_one()
        record = self._get_source_record()
        if not record:
            raise UserError(self.env._("The source record no longer exists."))
        return {
            "type": "ir.actions.act_window",
            "res_model": record._name,
            "res_id": record.id,
            "view_mode": "form",
            "target": "current",
        }

    def action_retry_event(self):
        events = self.mapped("event_id")
        if not events:
            raise UserError(self.env._("These exceptions have no source event."))
        events.action_retry()
        return True
