# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Bank lines: their import identity and their reconciliation outcome."""

from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

MATCH_STATES = [
    ("unmatched", "Unmatched"),
    ("proposed", "Proposed"),
    ("matched", "Matched"),
    ("manual", "Matched by Hand"),
]
#: Lines reconciled inline by the on-demand action; more are queued.
INLINE_RECONCILE_LIMIT = 500
#: An imported line without a matching run after this long means its job died
#: or no job runner is running (see ``_cron_o2c_matching_backlog``).
MATCHING_BACKLOG_MINUTES = 30


class AccountBankStatementLine(models.Model):
    _inherit = "account.bank.statement.line"

    o2c_import_id = fields.Char(
        string="Unique Import ID",
        readonly=True,
        copy=False,
        help="Stable identity of the line given by the parser (bank reference, or a "
        "hash of its content): the same line is never imported twice in a journal.",
    )
    o2c_statement_import_id = fields.Many2one(
        "o2c.bank.statement.import",
        string="O2C Import",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
    )
    o2c_end_to_end_id = fields.Char(string="End-to-End ID", readonly=True, copy=False)
    o2c_structured_ref = fields.Char(string="Structured Reference", readonly=True)
    o2c_counterparty_account = fields.Char(string="Counterparty Account", readonly=True)
    o2c_bank_reference = fields.Char(string="Bank Reference", readonly=True, copy=False)
    o2c_match_state = fields.Selection(
        MATCH_STATES,
        string="Match Status",
        default="unmatched",
        copy=False,
        index=True,
        readonly=True,
    )
    o2c_match_status = fields.Selection(
        [("pending", "Not Yet Matched"), *MATCH_STATES],
        string="Matching",
        compute="_compute_o2c_match_status",
        help="Match status as people read it: a line the rules have not run on yet "
        "is 'Not Yet Matched', not 'Unmatched'.",
    )
    o2c_match_reason = fields.Char(string="Match Reason", readonly=True, copy=False)
    o2c_match_score = fields.Float(
        string="Match Score", readonly=True, copy=False, digits=(5, 2), aggregator="avg"
    )
    o2c_match_date = fields.Datetime(
        string="Last Matching Run",
        readonly=True,
        copy=False,
        help="When the rules last ran on this line (empty: not yet).",
    )
    o2c_rule_id = fields.Many2one(
        "o2c.reconcile.rule",
        string="Rule",
        readonly=True,
        copy=False,
        ondelete="set null",
    )
    o2c_candidate_ids = fields.One2many(
        "o2c.reconcile.candidate", "statement_line_id", string="Suggestions"
    )
    o2c_candidate_count = fields.Integer(
        compute="_compute_o2c_candidate_count", string="Suggestion Count"
    )

    _o2c_import_uniq = models.UniqueIndex(
        "(journal_id, o2c_import_id) WHERE o2c_import_id IS NOT NULL",
        "This bank line was already imported in this journal.",
    )
    _o2c_open_idx = models.Index(
        "(company_id, o2c_match_state) WHERE is_reconciled IS NOT TRUE"
    )
    _o2c_never_matched_idx = models.Index(
        "(create_date) WHERE o2c_match_date IS NULL AND is_reconciled IS NOT TRUE "
        "AND o2c_statement_import_id IS NOT NULL"
    )

    @api.depends("o2c_match_state", "o2c_match_date", "is_reconciled")
    def _compute_o2c_match_status(self):
        for line in self:
            never_ran = (
                line.o2c_match_state == "unmatched"
                and not line.o2c_match_date
                and not line.is_reconciled
            )
            line.o2c_match_status = "pending" if never_ran else line.o2c_match_state

    @api.depends("o2c_candidate_ids")
    def _compute_o2c_candidate_count(self):
        counts = dict(
            self.env["o2c.reconcile.candidate"]._read_group(
                [("statement_line_id", "in", self.ids), ("state", "=", "open")],
                ["statement_line_id"],
                ["__count"],
            )
        )
        for line in self:
            line.o2c_candidate_count = counts.get(line, 0)

    # --- JOBS

    def _o2c_job_reconcile(self):
        """queue_job entry point: run the rules on these lines (one chunk)."""
        stats = self.env["o2c.reconcile.engine"]._reconcile_lines(self)
        self.o2c_statement_import_id.sudo()._o2c_notify_updated()
        return stats

    @api.model
    def _cron_o2c_matching_backlog(self, minutes=MATCHING_BACKLOG_MINUTES):
        """Surface imported lines the rules never ran on: one exception per currency.

        Every import queues the matching of its lines at once, so a line
        still without a matching run after ``minutes`` means a job failed for
        good or no job runner is running. Finance would otherwise see plain
        "unmatched" lines and no exception. The exception carries the number
        of lines and the amount at stake; it closes itself once the backlog
        is gone.
        """
        self.env.flush_all()
        self.env.cr.execute(
            """SELECT line.company_id,
                      COALESCE(journal.currency_id, company.currency_id),
                      count(*), sum(abs(line.amount)), min(line.create_date)
                 FROM account_bank_statement_line line
                 JOIN account_journal journal ON journal.id = line.journal_id
                 JOIN res_company company ON company.id = line.company_id
                WHERE line.o2c_match_date IS NULL
                  AND line.is_reconciled IS NOT TRUE
                  AND line.o2c_statement_import_id IS NOT NULL
                  AND line.create_date < %s
                  AND line.amount != 0
                GROUP BY 1, 2""",
            [fields.Datetime.now() - timedelta(minutes=minutes)],
        )
        Exception_ = self.env["o2c.exception"]
        open_keys = set()
        for company_id, currency_id, count, amount, oldest in self.env.cr.fetchall():
            key = f"o2c.bank.matching_backlog:{company_id}:{currency_id}"
            open_keys.add(key)
            Exception_._raise(
                "dead_letter",
                self.env._(
                    "%(n)s imported bank lines waiting for the matching rules "
                    "since %(since)s",
                    n=count,
                    since=fields.Datetime.to_string(oldest),
                ),
                dedup_key=key,
                severity="high",
                amount=amount,
                currency=self.env["res.currency"].browse(currency_id),
                company=self.env["res.company"].browse(company_id),
                description=self.env._(
                    "The reconciliation jobs of these lines did not run: check "
                    "the failed queue jobs and that the job runner is running, "
                    "then select the lines (Bank > Lines to Reconcile, filter "
                    "Rules Never Ran) and run Reconcile Unmatched Lines."
                ),
            )
        stale = Exception_.sudo().search(
            [
                ("dedup_key", "=like", "o2c.bank.matching_backlog:%"),
                ("dedup_key", "not in", sorted(open_keys)),
                ("state", "in", ("new", "in_progress")),
            ]
        )
        if stale:
            stale._mark_done(
                "resolved", self.env._("The matching rules ran on every line.")
            )

    # --- PUBLIC ACTIONS

    def action_o2c_reconcile(self):
        """Run the reconciliation rules on the selected lines that are still open.

        Up to ``INLINE_RECONCILE_LIMIT`` lines are reconciled at once; more are
        queued in chunks.
        """
        if not self.env.user.has_group("o2c_integration.group_o2c_user"):
            raise UserError(self.env._("Only O2C users can run the reconciliation."))
        lines = self.filtered(
            lambda line: (
                not line.is_reconciled
                and line.o2c_match_state in ("unmatched", "proposed")
            )
        )
        if not lines:
            raise UserError(self.env._("No open line to reconcile in the selection."))
        if len(lines) <= INLINE_RECONCILE_LIMIT:
            stats = self.env["o2c.reconcile.engine"]._reconcile_lines(lines)
            lines.o2c_statement_import_id.sudo()._o2c_notify_updated()
            message = self.env._(
                "%(auto)s reconciled, %(proposed)s proposed, "
                "%(none)s without candidate.",
                auto=stats["auto"],
                proposed=stats["proposed"],
                none=stats["unmatched"],
            )
        else:
            lines.fetch(["o2c_statement_import_id"])
            for start in range(0, len(lines), INLINE_RECONCILE_LIMIT):
                lines[start : start + INLINE_RECONCILE_LIMIT].with_delay(
                    channel="root.o2c",
                    description=self.env._("Reconcile bank lines on demand"),
                )._o2c_job_reconcile()
            message = self.env._("%(n)s lines queued for reconciliation.", n=len(lines))
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Reconciliation"),
                "message": message,
                "type": "success",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def action_o2c_open_candidates(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Suggestions"),
            "res_model": "o2c.reconcile.candidate",
            "view_mode": "list,form",
            "domain": [("statement_line_id", "=", self.id)],
        }

    def action_o2c_manual_reconcile(self):
        """Reconcile these lines by hand, one after the other (a wizard)."""
        return self.env["o2c.manual.reconcile.wizard"]._open_for(self)

    def action_o2c_undo_reconciliation(self):
        """Unreconcile these lines through Odoo; their exception opens again."""
        lines = self.env["o2c.reconcile.manual"]._undo(self)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Reconciliation undone"),
                "message": self.env._("%(n)s bank line(s) open again.", n=len(lines)),
                "type": "warning",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def action_o2c_accept_top_suggestions(self):
        """Accept the best suggestion of each selected line."""
        if not self.env.user.has_group("o2c_integration.group_o2c_user"):
            raise UserError(self.env._("Only O2C users can accept suggestions."))
        done, refused = self.env["o2c.reconcile.manual"]._accept_top(self)
        message = self.env._("%(n)s line(s) reconciled.", n=len(done))
        if refused:
            message += " " + self.env._(
                "Left alone: %(lines)s",
                lines="; ".join(
                    f"{line.payment_ref or line.id} ({why})" for line, why in refused
                ),
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Suggestions accepted"),
                "message": message,
                "type": "success" if done and not refused else "warning",
                "sticky": bool(refused),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def action_o2c_open_move(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.move",
            "res_id": self.move_id.id,
            "view_mode": "form",
        }
