# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Journal sources: a connection type for payroll, expense and billing systems.

Batches arrive three ways, all through the event log (stored first, idempotent,
retried, audited):

* pushed to the connection's webhook (``X-O2C-Signature`` as for every generic
  source), one batch document per request;
* pulled on a schedule from ``<base URL><pull path>?updated_after=<bookmark>``, which
  answers ``{"batches": [<batch document>, ...], "next": <URL or null>}``;
* uploaded as CSV / XLSX through the upload wizard, with the source's column mapping.

The idempotency key is the batch id and its version: the same batch delivered five
times is stored once; a corrected batch carries a higher version.
"""

import json
from urllib.parse import urlsplit

from odoo import api, fields, models
from odoo.exceptions import UserError

from odoo.addons.o2c_integration.lib.exceptions import (
    PermanentHTTPError,
    RetryableError,
)

from ..lib.tabular import READY_MAPPINGS

BATCH_EVENT = "journal.batch"
MAPPINGS = [
    ("json", "Batch format 1.0 (JSON)"),
    *[(code, spec["name"]) for code, spec in READY_MAPPINGS.items()],
    ("custom", "My columns (CSV / XLSX)"),
]
#: Batch field -> connection field naming its column, for the "custom" layout.
CUSTOM_COLUMNS = {
    "account": "jb_col_account",
    "label": "jb_col_label",
    "debit": "jb_col_debit",
    "credit": "jb_col_credit",
    "amount": "jb_col_amount",
    "date": "jb_col_date",
    "partner_ref": "jb_col_partner",
    "tax_code": "jb_col_tax",
    "document_ref": "jb_col_document",
}


def batch_external_id(document):
    """The idempotency id of a batch document: ``<batch id>:v<version>``."""
    return f"{str(document.get('batch_id', '')).strip()}:v{int(document.get('version') or 1)}"


class O2cConnection(models.Model):
    _inherit = "o2c.connection"

    connection_type = fields.Selection(
        selection_add=[("journal", "Journal batches (payroll, expenses, billing)")],
        ondelete={"journal": "cascade"},
    )
    jb_journal_id = fields.Many2one(
        "account.journal",
        string="Default Journal",
        domain="[('type', '=', 'general')]",
        help="Journal of the batches that name none (or name an unknown one).",
    )
    jb_auto_post_limit = fields.Float(
        string="Auto-post Up To",
        help="Batches whose total debit (company currency) is at most this amount are "
        "posted without approval; larger ones wait for an O2C Manager. 0: every batch "
        "needs an approval.",
    )
    jb_allow_reconcilable = fields.Boolean(
        string="Allow Reconcilable Accounts",
        help="Accept lines on receivable, payable and other reconcilable accounts "
        "from this source (otherwise only where the account's rule allows it).",
    )
    jb_mapping = fields.Selection(
        MAPPINGS, string="File Layout", default="json", required=True
    )
    jb_balance_account = fields.Char(
        string="Balancing Account Code",
        help="Expense exports: the account credited per report (employee "
        "reimbursements payable).",
    )
    jb_col_account = fields.Char(string="Account Column")
    jb_col_label = fields.Char(string="Label Column")
    jb_col_debit = fields.Char(string="Debit Column")
    jb_col_credit = fields.Char(string="Credit Column")
    jb_col_amount = fields.Char(
        string="Signed Amount Column", help="Instead of debit and credit columns."
    )
    jb_col_date = fields.Char(string="Date Column")
    jb_col_partner = fields.Char(string="Partner Column")
    jb_col_tax = fields.Char(string="Tax Code Column")
    jb_col_document = fields.Char(string="Document Column")
    jb_col_analytic = fields.Char(
        string="Analytic Columns",
        help="Comma-separated columns, each holding an analytic code (100 % each).",
    )
    jb_amount_in_cents = fields.Boolean(string="Amounts in Cents")
    jb_pull_path = fields.Char(string="Batch Pull Path", default="/journal-batches")
    jb_pull_bookmark = fields.Char(string="Pulled Up To", readonly=True, copy=False)
    jb_code_map_ids = fields.One2many(
        "o2c.journal.code.map", "connection_id", string="Code Mappings"
    )
    jb_batch_count = fields.Integer(compute="_compute_jb_batch_count")

    def _compute_jb_batch_count(self):
        counts = dict(
            self.env["o2c.journal.batch"]._read_group(
                [("connection_id", "in", self.ids)], ["connection_id"], ["__count"]
            )
        )
        for rec in self:
            rec.jb_batch_count = counts.get(rec, 0)

    def _jb_column_mapping(self):
        """The spreadsheet mapping of this source (see ``lib/tabular.rows_to_batch``)."""
        self.ensure_one()
        if self.jb_mapping == "custom":
            mapping = {
                "columns": {
                    field: self[name].strip()
                    for field, name in CUSTOM_COLUMNS.items()
                    if self[name] and self[name].strip()
                },
                "analytic_columns": [
                    col.strip()
                    for col in (self.jb_col_analytic or "").split(",")
                    if col.strip()
                ],
                "amount_in_cents": self.jb_amount_in_cents,
            }
            missing = {"account", "label"} - set(mapping["columns"])
            if missing or not {"debit", "credit", "amount"} & set(mapping["columns"]):
                raise UserError(
                    self.env._(
                        "%(c)s: name at least the account, label and amount (or debit "
                        "and credit) columns.",
                        c=self.name,
                    )
                )
        else:
            mapping = dict(READY_MAPPINGS[self.jb_mapping])
        if self.jb_balance_account:
            mapping["balance_account"] = self.jb_balance_account
        elif "balance_account" in mapping:
            raise UserError(
                self.env._(
                    "Set the balancing account code on %(c)s first.", c=self.name
                )
            )
        return mapping

    # --- WEBHOOK HOOKS

    def _o2c_parse_webhook(self, body, headers):
        if self.connection_type != "journal":
            return super()._o2c_parse_webhook(body, headers)
        text = body.decode("utf-8")
        document = json.loads(text)
        if not isinstance(document, dict) or not document.get("batch_id"):
            raise ValueError("a journal batch is a JSON object with a batch_id")
        return [
            {
                "event_type": BATCH_EVENT,
                "external_id": batch_external_id(document),
                "payload": text,
            }
        ]

    # --- PULL

    def _jb_store_document(self, document, headers=None):
        """Store one batch document as an inbound event (once); returns the event."""
        event, _created = (
            self.env["o2c.event"]
            .sudo()
            ._store_inbound(
                self,
                BATCH_EVENT,
                batch_external_id(document),
                json.dumps(document),
                headers=headers,
            )
        )
        return event

    def _jb_pull(self, max_pages=100):
        """Fetch every batch changed since the bookmark; store each as an event."""
        self.ensure_one()
        if self.connection_type != "journal":
            raise UserError(self.env._("%(c)s is not a journal source.", c=self.name))
        params = (
            {"updated_after": self.jb_pull_bookmark} if self.jb_pull_bookmark else {}
        )
        path = self.jb_pull_path or "/journal-batches"
        events = self.env["o2c.event"].browse()
        for _page in range(max_pages):
            response = self._o2c_request(
                "GET", path, params=params, event_type="journal.batches.fetch"
            )
            try:
                page = response.json()
                batches = page["batches"]
            except (ValueError, KeyError, TypeError) as exc:
                raise UserError(
                    self.env._(
                        "The batch list of %(c)s is unreadable: %(e)s",
                        c=self.name,
                        e=exc,
                    )
                ) from exc
            bookmark = self.jb_pull_bookmark
            for document in batches:
                events |= self._jb_store_document(document)
                bookmark = max(bookmark or "", str(document.get("updated_at") or ""))
            if bookmark:
                self.sudo().jb_pull_bookmark = bookmark
            following = page.get("next")
            if not following or not batches:
                break
            if urlsplit(following).netloc not in (
                "",
                urlsplit(self.base_url or "").netloc,
            ):
                # never send this source's credentials to another host
                raise UserError(
                    self.env._(
                        "%(c)s answered with a next page on another host: %(u)s",
                        c=self.name,
                        u=following,
                    )
                )
            path, params = following, None
        return events

    @api.model
    def _cron_jb_pull(self):
        """Scheduled pull of every active journal source with a base URL."""
        for conn in self.sudo().search(
            [("connection_type", "=", "journal"), ("base_url", "!=", False)]
        ):
            key = f"o2c.journal.pull:{conn.id}"
            try:
                with self.env.cr.savepoint():
                    conn._jb_pull()
                self.env["o2c.exception"]._close_by_key(key, "The pull works again.")
            except (RetryableError, PermanentHTTPError, UserError) as exc:
                self.env["o2c.exception"]._raise(
                    "connection_down",
                    self.env._(
                        "Journal batches of %(c)s could not be pulled", c=conn.name
                    ),
                    dedup_key=key,
                    connection=conn,
                    description=str(exc),
                )

    def action_jb_pull(self):
        self.ensure_one()
        self._check_o2c_manager()
        events = self._jb_pull()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Journal batches"),
                "message": self.env._("%(n)s batch(es) received.", n=len(events)),
                "type": "success",
            },
        }

    def action_jb_open_batches(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "o2c_journal_batch.o2c_journal_batch_action"
        )
        action["domain"] = [("connection_id", "=", self.id)]
        return action

    def _check_o2c_manager(self):
        if not self.env.su and not self.env.user.has_group(
            "o2c_integration.group_o2c_manager"
        ):
            raise UserError(self.env._("Only O2C managers can pull journal batches."))
        self.check_access("read")
