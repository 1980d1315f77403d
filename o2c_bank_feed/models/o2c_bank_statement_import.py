# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""One import of bank lines (a file, or a page of a bank API) and its figures.

The import is all or nothing: a file is parsed, every statement is checked
(journal, currency, balance) and only then are lines created, in the caller's
transaction, so an error leaves nothing behind. Lines already imported are
skipped by their unique import id (one indexed query for the whole file) and
the database's unique index settles the race of two concurrent imports (see
``o2c.bank.line.writer``). Reconciliation is queued afterwards, in chunks.
"""

import base64
import dataclasses
import hashlib
import logging
import time

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..lib import statement as st_lib
from ..lib.detect import detect_format

_logger = logging.getLogger(__name__)

#: Statement lines per reconciliation job.
RECONCILE_CHUNK = 500
JOB_CHANNEL = "root.o2c"
FORMATS = [
    ("camt", "CAMT.053 / 052 / 054"),
    ("mt940", "MT940 / MT942"),
    ("bai2", "BAI2"),
    ("ofx", "OFX / QFX"),
    ("csv", "CSV"),
    ("xlsx", "Excel (XLSX)"),
    ("zip", "ZIP archive"),
    ("json_api", "Bank API (JSON)"),
]


class O2cBankStatementImport(models.Model):
    _name = "o2c.bank.statement.import"
    _description = "O2C Bank Statement Import"
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(string="File", required=True, readonly=True)
    source = fields.Selection(
        [("file", "File"), ("api", "Bank API")],
        required=True,
        default="file",
        readonly=True,
    )
    file_format = fields.Selection(FORMATS, string="Format", readonly=True)
    sha256 = fields.Char(string="SHA-256", readonly=True, index=True)
    journal_id = fields.Many2one(
        "account.journal", required=True, readonly=True, index=True, check_company=True
    )
    company_id = fields.Many2one(
        "res.company", related="journal_id.company_id", store=True, index=True
    )
    currency_id = fields.Many2one(
        "res.currency", compute="_compute_currency_id", string="Journal Currency"
    )
    user_id = fields.Many2one(
        "res.users",
        string="Imported By",
        readonly=True,
        default=lambda self: self.env.user,
    )
    connection_id = fields.Many2one(
        "o2c.connection", readonly=True, ondelete="set null"
    )
    event_id = fields.Many2one(
        "o2c.event", string="Source Event", readonly=True, ondelete="set null"
    )
    state = fields.Selection(
        [
            ("imported", "Imported"),
            ("reconciling", "Reconciling"),
            ("done", "Done"),
            ("exception", "Done with Exceptions"),
        ],
        compute="_compute_match_figures",
        string="Status",
    )
    statement_ids = fields.One2many("account.bank.statement", "o2c_statement_import_id")
    line_ids = fields.One2many("account.bank.statement.line", "o2c_statement_import_id")
    statement_count = fields.Integer(readonly=True)
    line_count = fields.Integer(string="Lines in File", readonly=True)
    created_count = fields.Integer(string="Created", readonly=True)
    duplicate_count = fields.Integer(string="Duplicates", readonly=True)
    auto_matched_count = fields.Integer(
        compute="_compute_match_figures", string="Auto-matched"
    )
    manual_count = fields.Integer(
        compute="_compute_match_figures", string="Matched by Hand"
    )
    proposed_count = fields.Integer(compute="_compute_match_figures", string="Proposed")
    unmatched_count = fields.Integer(
        compute="_compute_match_figures", string="Unmatched"
    )
    pending_count = fields.Integer(
        compute="_compute_match_figures", string="Not Yet Matched"
    )
    amount_unmatched = fields.Monetary(
        compute="_compute_match_figures",
        currency_field="currency_id",
        string="Amount Unmatched",
    )
    match_rate = fields.Float(compute="_compute_match_figures", string="Match Rate (%)")
    duration_ms = fields.Integer(string="Import Duration (ms)", readonly=True)
    notes = fields.Text(readonly=True)
    error = fields.Text(readonly=True, help="Balance mismatches and other warnings.")
    exception_ids = fields.One2many(
        "o2c.exception", compute="_compute_exception_ids", string="Exceptions"
    )
    exception_count = fields.Integer(compute="_compute_exception_ids")

    # --- COMPUTE METHODS

    @api.depends("journal_id")
    def _compute_currency_id(self):
        for rec in self:
            rec.currency_id = rec.journal_id.currency_id or rec.company_id.currency_id

    def _compute_match_figures(self):
        Line = self.env["account.bank.statement.line"]
        groups = Line._read_group(
            [("o2c_statement_import_id", "in", self.ids)],
            ["o2c_statement_import_id", "o2c_match_state", "is_reconciled"],
            ["__count", "amount:sum"],
        )
        pending = dict(
            Line._read_group(
                [
                    ("o2c_statement_import_id", "in", self.ids),
                    ("o2c_match_date", "=", False),
                    ("is_reconciled", "=", False),
                ],
                ["o2c_statement_import_id"],
                ["__count"],
            )
        )
        # Money at stake: every open line counts, whatever its direction.
        Line.flush_model()
        self.env.cr.execute(
            """SELECT o2c_statement_import_id, SUM(CASE
                          WHEN foreign_currency_id IS NULL OR amount_currency = 0
                          THEN ABS(amount_residual)
                          -- residual is in the foreign currency: back to the
                          -- journal's at the line's own rate
                          ELSE ABS(amount * amount_residual / amount_currency)
                      END)
                 FROM account_bank_statement_line
                WHERE o2c_statement_import_id = ANY(%s) AND is_reconciled IS NOT TRUE
                GROUP BY o2c_statement_import_id""",
            [self.ids],
        )
        unmatched_amount = dict(self.env.cr.fetchall())
        figures = {}
        for imp, state, _reconciled, count, _amount in groups:
            bucket = figures.setdefault(imp.id, {})
            bucket[state] = bucket.get(state, 0) + count
        for rec in self:
            bucket = figures.get(rec.id, {})
            total = sum(bucket.values())
            rec.auto_matched_count = bucket.get("matched", 0)
            rec.manual_count = bucket.get("manual", 0)
            rec.proposed_count = bucket.get("proposed", 0)
            rec.pending_count = pending.get(rec, 0)
            rec.unmatched_count = bucket.get("unmatched", 0) - rec.pending_count
            rec.amount_unmatched = unmatched_amount.get(rec.id, 0.0)
            matched = rec.auto_matched_count + rec.manual_count
            rec.match_rate = 100.0 * matched / total if total else 0.0
            if rec.pending_count:
                rec.state = (
                    "reconciling" if matched or rec.proposed_count else "imported"
                )
            elif rec.proposed_count or rec.unmatched_count:
                rec.state = "exception"
            else:
                rec.state = "done"

    def _compute_exception_ids(self):
        Exc = self.env["o2c.exception"]
        for rec in self:
            rec.exception_ids = (
                Exc.search(
                    [
                        "|",
                        "&",
                        ("res_model", "=", "account.bank.statement.line"),
                        ("res_id", "in", rec.line_ids.ids),
                        "&",
                        ("res_model", "=", self._name),
                        ("res_id", "=", rec.id),
                    ]
                )
                if rec.id
                else Exc
            )
            rec.exception_count = len(rec.exception_ids)

    # --- IMPORT (files)

    @api.model
    def _o2c_import_file(
        self, data, filename=None, journal=None, mapping=None, fmt=None
    ):
        """Import a bank file; return the ``o2c.bank.statement.import`` record.

        ``journal`` (optional) forces the journal, otherwise each statement
        lands on the journal whose bank account is the statement's account.
        ``mapping`` is a ``tabular.TabularMapping`` (or its dict) for CSV /
        XLSX. Raises ``UserError`` naming the problem (and its place in the
        file) for anything that prevents a complete import: nothing is
        created then.

        Example::

            imp = env["o2c.bank.statement.import"]._o2c_import_file(
                camt_bytes, "camt053.xml")
            imp.created_count, imp.duplicate_count
        """
        started = time.monotonic()
        if not data:
            raise UserError(self.env._("The file is empty."))
        digest = hashlib.sha256(data).hexdigest()
        try:
            fmt = fmt or detect_format(data, filename)
        except st_lib.ParseError as exc:
            raise UserError(
                self.env._(
                    "%(file)s was not imported, nothing was created: %(error)s.\n"
                    "Supported formats: CAMT.053 / 052 / 054, MT940 / MT942, BAI2, "
                    "OFX / QFX, CSV and Excel (XLSX), or a ZIP of them.",
                    file=filename or self.env._("The file"),
                    error=exc.detail,
                )
            ) from exc
        mapping = self._o2c_tabular_mapping(fmt, mapping, journal)
        try:
            statements = st_lib.parse(data, fmt, mapping=mapping)
        except st_lib.ParseError as exc:
            raise UserError(
                self.env._(
                    "%(file)s could not be read, nothing was imported.\n%(error)s",
                    file=filename or "The file",
                    error=exc,
                )
            ) from exc
        if not statements:
            raise UserError(self.env._("%(file)s holds no statement.", file=filename))
        plan = self._o2c_plan_statements(statements, journal)
        journals = self.env["account.journal"].browse({j.id for j, _s, _e in plan})
        connection = self.env["o2c.connection"]._o2c_bank_file_connection(
            journals[:1].company_id
        )
        event, _created = (
            self.env["o2c.event"]
            .sudo()
            ._store_inbound(
                connection,
                "bank.statement.file",
                digest,
                _payload_text(data),
                headers={"filename": filename or "", "format": fmt},
                enqueue=False,
            )
        )
        imports = self.browse()
        for journal_rec in journals:
            parts = [(s, e) for j, s, e in plan if j == journal_rec]
            imports |= self._o2c_create_import(
                journal_rec,
                parts,
                {
                    "name": filename or self.env._("Statement file"),
                    "source": "file",
                    "file_format": fmt,
                    "sha256": digest,
                    "connection_id": connection.id,
                    "event_id": event.id or False,
                },
            )
        if event:
            self._o2c_mark_event_done(event, imports)
        duration = int((time.monotonic() - started) * 1000)
        imports.write({"duration_ms": duration})
        _logger.info(
            "O2C bank import %s (%s): %s lines, %s created, %s duplicates in %s ms",
            filename,
            fmt,
            sum(imports.mapped("line_count")),
            sum(imports.mapped("created_count")),
            sum(imports.mapped("duplicate_count")),
            duration,
        )
        imports._o2c_enqueue_reconciliation()
        return imports

    @api.model
    def _o2c_tabular_mapping(self, fmt, mapping, journal):
        if fmt not in ("csv", "xlsx"):
            return None
        mapping = mapping or (journal and journal.o2c_csv_mapping) or None
        if not mapping:
            raise UserError(
                self.env._(
                    "A CSV or Excel statement needs a column mapping: give one in the "
                    "wizard or save one on the journal."
                )
            )
        try:
            from ..lib.tabular import TabularMapping
        except ImportError as exc:  # the tabular parser is an optional part
            raise UserError(
                self.env._("CSV / Excel statements are not supported yet.")
            ) from exc
        try:
            if isinstance(mapping, dict):
                mapping = TabularMapping.from_dict(mapping)
        except (st_lib.ParseError, ValueError, TypeError) as exc:
            raise UserError(
                self.env._("The column mapping is invalid: %(e)s", e=exc)
            ) from exc
        if journal and not mapping.account and journal.bank_account_id:
            # A CSV export rarely names its account: the journal's gives the
            # lines a stable import id (and a journal to check against).
            mapping = dataclasses.replace(
                mapping, account=journal.bank_account_id.sanitized_acc_number
            )
        return mapping

    @api.model
    def _o2c_plan_statements(self, statements, journal=None):
        """Journal and balance verdict of every statement, before creating anything.

        Returns ``[(journal, statement, balance_error_or_None)]``. A balance
        mismatch on a journal whose policy is "refuse" stops the whole file
        with the figures.
        """
        Journal = self.env["account.journal"]
        plan = []
        for statement in statements:
            if journal:
                target = journal
                target._o2c_check_statement_account(
                    statement.account, statement.currency
                )
            else:
                target = Journal._o2c_find_for_account(
                    statement.account, statement.currency
                )
                target._o2c_check_statement_account(None, statement.currency)
            error = None
            try:
                statement.check_balance()
            except st_lib.BalanceMismatch as exc:
                if target.o2c_balance_policy == "refuse":
                    raise UserError(
                        self.env._(
                            "Statement %(stmt)s of account %(account)s does not "
                            "balance, nothing was imported:\n"
                            "opening balance %(opening)s + lines %(total)s = "
                            "%(computed)s, but the closing balance is %(closing)s "
                            "(difference %(diff)s).\n"
                            "To import such files and work the difference as an "
                            'exception, set "%(setting)s" to "%(option)s" on the '
                            "journal %(journal)s (Accounting > Configuration > "
                            "Journals).",
                            setting=target._fields[
                                "o2c_balance_policy"
                            ].get_description(self.env)["string"],
                            option=dict(
                                target._fields[
                                    "o2c_balance_policy"
                                ]._description_selection(self.env)
                            )["exception"],
                            journal=target.display_name,
                            stmt=statement.statement_id,
                            account=statement.account,
                            opening=exc.opening,
                            total=exc.total,
                            computed=exc.opening + exc.total,
                            closing=exc.closing,
                            diff=exc.difference,
                        )
                    ) from exc
                error = exc
            plan.append((target, statement, error))
        return plan

    @api.model
    def _o2c_create_import(self, journal, parts, vals, with_statement=True):
        """Create the import record and the lines of ``parts`` on ``journal``.

        ``parts`` is a list of ``(Statement, BalanceMismatch or None)``. Bank
        API pages carry no balances: their lines are created without an
        ``account.bank.statement`` (``with_statement=False``), as Odoo's own
        online synchronisation does.
        """
        writer = self.env["o2c.bank.line.writer"]
        imp = self.sudo().create(dict(vals, journal_id=journal.id))
        total = created = duplicates = statement_count = 0
        notes, errors = [], []
        for statement, balance_error in parts:
            result = writer._o2c_write_statement(
                journal, statement, imp, with_statement=with_statement
            )
            total += len(statement.lines)
            created += len(result.lines)
            duplicates += result.duplicates
            statement_count += bool(result.statement)
            notes.extend(statement.notes)
            notes.extend(result.notes)
            if balance_error is not None:
                errors.append(str(balance_error))
                self.env["o2c.exception"]._raise(
                    "balance",
                    self.env._(
                        "Statement %(stmt)s does not balance (difference %(diff)s)",
                        stmt=statement.statement_id,
                        diff=balance_error.difference,
                    ),
                    dedup_key=f"o2c.bank.balance:{journal.id}:{statement.statement_id}",
                    severity="high",
                    amount=abs(balance_error.difference),
                    currency=journal.currency_id or journal.company_id.currency_id,
                    record=result.statement or imp,
                    company=journal.company_id,
                    event=imp.event_id or None,
                    description=str(balance_error),
                    details={
                        "opening": str(balance_error.opening),
                        "lines": str(balance_error.total),
                        "closing": str(balance_error.closing),
                        "difference": str(balance_error.difference),
                        "import_id": imp.id,
                    },
                )
        self.env["o2c.audit.log"]._log(
            "bank.import",
            self.env._(
                "Imported %(created)s bank lines (%(dup)s duplicates) from %(name)s",
                created=created,
                dup=duplicates,
                name=imp.name,
            ),
            records=imp,
            event=imp.event_id or None,
            data={
                "import": imp.id,
                "journal": journal.id,
                "lines": total,
                "created": created,
                "duplicates": duplicates,
                "sha256": imp.sha256 or None,
            },
        )
        imp.write(
            {
                "line_count": total,
                "created_count": created,
                "duplicate_count": duplicates,
                "statement_count": statement_count,
                "notes": "\n".join(notes) or False,
                "error": "\n".join(errors) or False,
            }
        )
        return imp

    @api.model
    def _o2c_mark_event_done(self, event, imports):
        """The file event is processed by the import itself: record the outcome."""
        event = event.sudo()
        links = [
            {"event_id": event.id, "res_model": rec._name, "res_id": rec.id}
            for records in (imports, imports.statement_ids)
            for rec in records
        ]
        self.env["o2c.event.link"].sudo().create(links)
        if event.state not in ("done", "ignored"):
            event.write(
                {
                    "state": "done",
                    "processed_at": fields.Datetime.now(),
                    "attempts": event.attempts + 1,
                }
            )

    # --- RECONCILIATION

    def _o2c_enqueue_reconciliation(self):
        """Queue the reconciliation of the new lines, ``RECONCILE_CHUNK`` per job.

        Not done inside the import: a 10,000-line file is committed at once and
        reconciled by several workers, and a crash in matching never loses
        the imported lines. ``o2c_reconcile_now`` in the context runs it
        inline instead (tests, benchmarks).
        """
        lines = self.line_ids.filtered(lambda line: not line.is_reconciled)
        if not lines:
            return
        lines = lines.sorted("id")
        if self.env.context.get("o2c_reconcile_now"):
            self.env["o2c.reconcile.engine"]._reconcile_lines(lines)
            return
        if self.env.context.get("o2c_no_reconcile"):
            return
        for start in range(0, len(lines), RECONCILE_CHUNK):
            chunk = lines[start : start + RECONCILE_CHUNK]
            chunk.with_delay(
                channel=JOB_CHANNEL,
                description=self.env._(
                    "Reconcile %(n)s bank lines of %(imp)s",
                    n=len(chunk),
                    imp=self[:1].name,
                ),
            )._o2c_job_reconcile()

    def _o2c_notify_updated(self):
        """Tell open import forms that their figures changed (a matching job ended).

        Sent on the bus to the person who imported and to the current user; their
        form reloads (``static/src/js/o2c_bank_import_form.js``).
        """
        partners = self.user_id.partner_id | self.env.user.partner_id
        for partner in partners:
            partner._bus_send("o2c.bank.import/updated", {"import_ids": self.ids})

    # --- PUBLIC ACTIONS

    def action_reconcile_unmatched(self):
        """Run the rules again on the lines of these imports that are still open."""
        lines = self.line_ids.filtered(
            lambda line: (
                not line.is_reconciled
                and line.o2c_match_state in ("unmatched", "proposed")
            )
        )
        return lines.action_o2c_reconcile()

    def action_open_lines(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "o2c_bank_feed.o2c_bank_line_action"
        )
        action["domain"] = [("o2c_statement_import_id", "=", self.id)]
        action["context"] = {}
        return action

    def action_open_statements(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Statements"),
            "res_model": "account.bank.statement",
            "view_mode": "list,form",
            "domain": [("id", "in", self.statement_ids.ids)],
        }

    def action_open_exceptions(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Exceptions"),
            "res_model": "o2c.exception",
            "view_mode": "list,form",
            "domain": [("id", "in", self.exception_ids.ids)],
        }


def _payload_text(data):
    """The file as text for the event log (base64 for binary formats)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return "base64:" + base64.b64encode(data).decode("ascii")


def line_label(line):
    """Label (``payment_ref``) of a bank line: what a person reads first."""
    return (
        line.remittance
        or line.structured_reference
        or line.counterparty_name
        or line.bank_reference
        or line.transaction_code
        or "/"
    )
