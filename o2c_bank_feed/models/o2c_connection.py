# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Bank connections: statement files (traceability) and bank APIs (pull).

A ``bank_api`` connection pulls transactions from a bank's REST API through
the backbone's client (OAuth2 client credentials, retries, 429 Retry-After,
rate limit, circuit breaker). Each page is stored as an inbound event first
(idempotent on the page's content hash) and processed by a queue job, which
creates the lines with the same dedupe as files: a page fetched twice, or an
overlapping page, creates nothing twice. The bookmark (cursor and/or last
booking date) only moves forward once the page is stored.
"""

import base64
import hashlib
import json
import logging
from datetime import date

from odoo import api, fields, models
from odoo.exceptions import UserError

from odoo.addons.o2c_integration.lib.exceptions import (
    PermanentError,
    PermanentHTTPError,
    RetryableError,
)
from odoo.addons.o2c_integration.models.o2c_access import (
    MANAGER_GROUP,
    o2c_require,
)

from ..feeds import json_provider
from ..lib.statement import Statement
from .account_journal import normalize_account_number

_logger = logging.getLogger(__name__)

PAGE_EVENT = "bank.transactions"
FILE_EVENT = "bank.statement.file"


class O2cConnection(models.Model):
    _inherit = "o2c.connection"

    connection_type = fields.Selection(
        selection_add=[
            ("bank_api", "Bank API (JSON)"),
            ("bank_file", "Bank statement files"),
        ],
        ondelete={"bank_api": "set default", "bank_file": "set default"},
    )
    o2c_bank_journal_id = fields.Many2one(
        "account.journal",
        string="Bank Journal",
        domain="[('type', 'in', ('bank', 'credit')), ('company_id', '=', company_id)]",
        help="Journal receiving the pulled transactions.",
    )
    o2c_bank_account = fields.Char(
        string="Bank Account at the API",
        help="Account identifier sent to the API; empty: the journal's account number.",
    )
    o2c_bank_mapping = fields.Json(
        string="Field Mapping",
        help="JSON object of dotted paths (see the module documentation); keys "
        "left out keep their defaults.",
    )
    o2c_bank_mapping_text = fields.Text(
        string="Field Mapping (JSON)",
        compute="_compute_o2c_bank_mapping_text",
        inverse="_inverse_o2c_bank_mapping_text",
    )
    o2c_bank_sync_from = fields.Date(
        string="Initial Sync From", help="First booking date pulled by the first sync."
    )
    o2c_bank_cursor = fields.Char(string="Cursor Bookmark", copy=False)
    o2c_bank_last_date = fields.Date(string="Date Bookmark", copy=False)
    o2c_bank_last_sync = fields.Datetime(string="Last Sync", readonly=True, copy=False)

    # --- COMPUTE METHODS

    @api.depends("o2c_bank_mapping")
    def _compute_o2c_bank_mapping_text(self):
        for conn in self:
            conn.o2c_bank_mapping_text = (
                json.dumps(conn.o2c_bank_mapping, indent=2, sort_keys=True)
                if conn.o2c_bank_mapping
                else False
            )

    def _inverse_o2c_bank_mapping_text(self):
        for conn in self:
            text = (conn.o2c_bank_mapping_text or "").strip()
            try:
                mapping = json.loads(text) if text else False
                if mapping:
                    json_provider.merged(mapping)
            except (ValueError, json_provider.MappingError) as exc:
                raise UserError(
                    self.env._("Invalid field mapping: %(e)s", e=exc)
                ) from exc
            conn.o2c_bank_mapping = mapping

    # --- FILES

    @api.model
    def _o2c_bank_file_connection(self, company):
        """The (per company) connection bank files are logged under."""
        company = company or self.env.company
        Conn = self.sudo().with_context(active_test=False)
        conn = Conn.search(
            [("connection_type", "=", "bank_file"), ("company_id", "=", company.id)],
            limit=1,
        )
        if not conn:
            conn = Conn.with_context(
                tracking_disable=True, mail_create_nolog=True
            ).create(
                {
                    "name": self.env._("Bank statement files (%(c)s)", c=company.name),
                    "connection_type": "bank_file",
                    "company_id": company.id,
                }
            )
        return conn

    # --- BANK API

    def _o2c_bank_mapping(self):
        self.ensure_one()
        try:
            return json_provider.merged(self.o2c_bank_mapping or {})
        except json_provider.MappingError as exc:
            raise UserError(
                self.env._("Connection %(c)s: %(e)s", c=self.name, e=exc)
            ) from exc

    def _o2c_bank_account_id(self):
        self.ensure_one()
        return (
            self.o2c_bank_account or self.o2c_bank_journal_id.bank_account_id.acc_number
        )

    def _o2c_bank_pull(self):
        """Fetch every new page from the bank and store each as an event.

        Returns the stored events (new or already known). Transient errors
        (after the client's own retries, e.g. 429 with Retry-After) raise
        ``RetryableError``: the pages stored so far stay, and the bookmark
        points at the last stored page, so the next run resumes there.
        """
        self.ensure_one()
        if self.connection_type != "bank_api":
            raise UserError(
                self.env._("%(c)s is not a bank API connection.", c=self.name)
            )
        if not self.o2c_bank_journal_id:
            raise UserError(self.env._("Set the bank journal of %(c)s.", c=self.name))
        mapping = self._o2c_bank_mapping()
        params = {}
        account = self._o2c_bank_account_id()
        if mapping["account_param"] and account:
            params[mapping["account_param"]] = account
        since = self.o2c_bank_last_date or self.o2c_bank_sync_from
        if mapping["since_param"] and since:
            params[mapping["since_param"]] = since.isoformat()
        if mapping["limit_param"]:
            params[mapping["limit_param"]] = int(mapping["page_size"])
        pagination = mapping["pagination"]
        cursor = self.o2c_bank_cursor if pagination == "cursor" else None
        Event = self.env["o2c.event"].sudo()
        events = Event.browse()
        last_date = self.o2c_bank_last_date
        for page_no in range(1, int(mapping["max_pages"]) + 1):
            if pagination == "cursor" and cursor:
                params[mapping["cursor_param"]] = cursor
            elif pagination == "page":
                params[mapping["page_param"]] = page_no
            response = self._o2c_request(
                "GET",
                mapping["path"],
                params=dict(params),
                event_type="bank.transactions.fetch",
            )
            body = response.text
            try:
                page = response.json()
                transactions = json_provider.page_transactions(page, mapping)
            except (ValueError, json_provider.MappingError) as exc:
                raise UserError(
                    self.env._(
                        "Bank API page %(n)s of %(c)s is unreadable: %(e)s",
                        n=page_no,
                        c=self.name,
                        e=exc,
                    )
                ) from exc
            event, _created = Event._store_inbound(
                self,
                PAGE_EVENT,
                "page:" + hashlib.sha256(body.encode()).hexdigest(),
                body,
                headers={"page": page_no, "cursor": cursor or ""},
            )
            events |= event
            last_date = max(
                [last_date, *_booking_dates(transactions, mapping)],
                default=None,
                key=lambda d: d or date.min,
            )
            following = json_provider.next_cursor(page, mapping)
            vals = {"o2c_bank_last_sync": fields.Datetime.now()}
            if pagination == "cursor" and following:
                cursor = vals["o2c_bank_cursor"] = following
            self.sudo().write(vals)
            if (
                not transactions
                or pagination == "none"
                or (pagination == "cursor" and not following)
                or (
                    pagination == "page"
                    and len(transactions) < int(mapping["page_size"])
                )
            ):
                break
        if last_date:
            self.sudo().o2c_bank_last_date = last_date
        return events

    @api.model
    def _cron_o2c_bank_pull(self):
        """Scheduled pull of every active bank API connection."""
        for conn in self.sudo().search([("connection_type", "=", "bank_api")]):
            key = f"o2c.bank.pull:{conn.id}"
            error = None
            try:
                with self.env.cr.savepoint():
                    try:
                        conn._o2c_bank_pull()
                    except (RetryableError, PermanentHTTPError) as exc:
                        # The pages stored before the failure and the bookmark
                        # pointing after them are kept: the next run resumes.
                        error = exc
            except UserError as exc:
                error = exc
            if error is not None:
                exc = error
                _logger.warning("O2C bank pull %s failed: %s", conn.name, exc)
                self.env["o2c.exception"]._raise(
                    "connection_down",
                    self.env._("Bank feed %(c)s could not be pulled", c=conn.name),
                    dedup_key=key,
                    severity="high"
                    if isinstance(exc, PermanentHTTPError)
                    else "medium",
                    connection=conn,
                    record=conn,
                    description=str(exc),
                )
                continue
            self.env["o2c.exception"]._close_by_key(
                key, self.env._("The bank feed answers again.")
            )

    def action_o2c_bank_pull(self):
        """Fetch the new transactions now (O2C managers)."""
        self.ensure_one()
        o2c_require(self, MANAGER_GROUP, "connection.bank_pull")
        events = self._o2c_bank_pull()
        self.env["o2c.audit.log"]._log(
            "connection.bank_pull",
            f"Bank feed {self.name} pulled by hand: {len(events)} page(s)",
            records=self,
            data={"pages": len(events)},
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.name,
                "message": self.env._("%(n)s page(s) fetched.", n=len(events)),
                "type": "success",
            },
        }

    def action_o2c_bank_reset_bookmark(self):
        """Fetch from the start date again (O2C managers); lines are deduplicated."""
        o2c_require(self, MANAGER_GROUP, "connection.bank_reset_bookmark")
        for rec in self:
            previous = {
                "cursor": rec.o2c_bank_cursor or False,
                "last_date": str(rec.o2c_bank_last_date or ""),
            }
            rec.sudo().write({"o2c_bank_cursor": False, "o2c_bank_last_date": False})
            self.env["o2c.audit.log"]._log(
                "connection.bank_reset_bookmark",
                f"Bank feed bookmark of {rec.name} reset",
                records=rec,
                data=previous,
            )
        return True

    # --- EVENT HANDLERS

    @api.model
    def _o2c_handle_bank_page(self, event):
        """Event handler: one stored page -> new statement lines (deduped)."""
        conn = event.connection_id.sudo()
        journal = conn.o2c_bank_journal_id
        if not journal:
            raise PermanentError(f"connection {conn.name} has no bank journal")
        mapping = conn._o2c_bank_mapping()
        currency = (journal.currency_id or journal.company_id.currency_id).name
        try:
            page = json.loads(event.sudo().payload)
            transactions = json_provider.page_transactions(page, mapping)
            lines = [
                json_provider.to_statement_line(tx, mapping, currency, index)
                for index, tx in enumerate(transactions, start=1)
            ]
        except (ValueError, json_provider.MappingError) as exc:
            error = PermanentError(f"bank API page: {exc}")
            error.o2c_category = "mapping"
            raise error from exc
        if not lines:
            return None
        # Same account form as the files' (IBAN without spaces): a line the bank
        # sends in a file and through the API keeps one import id.
        account = normalize_account_number(conn._o2c_bank_account_id()) or (
            f"connection-{conn.id}"
        )
        statement = Statement(
            fmt="json_api",
            account=account,
            currency=currency,
            statement_id=f"{conn.name} {event.external_id[:20]}",
            lines=lines,
        ).finalize()
        Import = self.env["o2c.bank.statement.import"].sudo()
        imp = Import._o2c_create_import(
            journal,
            [(statement, None)],
            {
                "name": self.env._(
                    "%(c)s, page of %(d)s",
                    c=conn.name,
                    d=fields.Date.to_string(fields.Date.today()),
                ),
                "source": "api",
                "file_format": "json_api",
                "sha256": event.payload_hash,
                "connection_id": conn.id,
                "event_id": event.id,
            },
            with_statement=False,
        )
        imp._o2c_enqueue_reconciliation()
        return [imp, imp.line_ids]

    @api.model
    def _o2c_handle_bank_file(self, event):
        """Replay of a stored statement file: import it again (idempotent)."""
        payload = event.sudo().payload or ""
        if payload.startswith("base64:"):
            data = base64.b64decode(payload[len("base64:") :])
        else:
            data = payload.encode("utf-8")
        headers = json.loads(event.headers or "{}")
        # The import marks this event done and links what it created.
        self.env["o2c.bank.statement.import"].sudo()._o2c_import_file(
            data, headers.get("filename") or None, fmt=headers.get("format") or None
        )


def _booking_dates(transactions, mapping):
    for tx in transactions:
        value = json_provider.dig(tx, mapping["date"]) if isinstance(tx, dict) else None
        if isinstance(value, str) and len(value) >= 10:
            try:
                yield date.fromisoformat(value[:10])
            except ValueError:
                continue
