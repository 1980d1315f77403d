# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Bank lines in the exception queue.

* proposals: one exception per line with its candidates and a one-click accept;
* unmatched lines of an import: ONE exception per statement import listing its
  unmatched lines, the amount at stake being their sum (thirteen lines of one
  file are one piece of work, not thirteen). A line leaves the list when it is
  reconciled or gets a proposal; the exception resolves itself when the list is
  empty. Lines without an import (typed by hand) keep one exception each.
"""

from datetime import timedelta

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import UserError

from odoo.addons.queue_job.exception import RetryableJobError

#: days to work an import's unmatched lines
UNMATCHED_GROUP_DEADLINE_DAYS = 5


class O2cException(models.Model):
    _inherit = "o2c.exception"

    o2c_candidate_ids = fields.One2many(
        "o2c.reconcile.candidate", "exception_id", string="Suggestions"
    )
    o2c_open_candidate_count = fields.Integer(
        compute="_compute_o2c_open_candidate_count"
    )
    o2c_line_ids = fields.Many2many(
        "account.bank.statement.line",
        "o2c_exception_bank_line_rel",
        "exception_id",
        "line_id",
        string="Unmatched Bank Lines",
        readonly=True,
        help="The lines of the statement import that no rule could match.",
    )

    def _compute_o2c_open_candidate_count(self):
        counts = dict(
            self.env["o2c.reconcile.candidate"]._read_group(
                [("exception_id", "in", self.ids), ("state", "=", "open")],
                ["exception_id"],
                ["__count"],
            )
        )
        for exc in self:
            exc.o2c_open_candidate_count = counts.get(exc, 0)

    # --- UNMATCHED LINES, ONE EXCEPTION PER IMPORT

    @api.model
    def _o2c_group_key(self, statement_import):
        return f"o2c.bank.unmatched:{statement_import.id}"

    @api.model
    def _o2c_raise_unmatched_lines(self, lines):
        """Add ``lines`` (unmatched, all with an import) to their import's exception."""
        Exc = self.sudo().with_context(
            mail_create_nolog=True, tracking_disable=True, mail_notrack=True
        )
        result = Exc.browse()
        for imp in lines.o2c_statement_import_id:
            key = self._o2c_group_key(imp)
            exc = Exc.search(
                [("dedup_key", "=", key), ("state", "in", ("new", "in_progress"))],
                limit=1,
            )
            batch = lines.filtered(
                lambda line, imp=imp: line.o2c_statement_import_id == imp
            )
            connection = imp.connection_id or imp.event_id.connection_id
            vals = {
                "category": "unmatched",
                "severity": "medium",
                "company_id": imp.company_id.id,
                "currency_id": imp.currency_id.id,
                "res_model": imp._name,
                "res_id": imp.id,
                "connection_id": connection.id or False,
                "event_id": imp.event_id.id or False,
                "last_seen": fields.Datetime.now(),
            }
            if exc:
                vals["o2c_line_ids"] = [fields.Command.link(line.id) for line in batch]
                vals["occurrence_count"] = exc.occurrence_count + 1
                exc.write(vals)
            else:
                vals.update(
                    name="/",
                    dedup_key=key,
                    o2c_line_ids=[fields.Command.set(batch.ids)],
                    date_deadline=fields.Date.today()
                    + timedelta(days=UNMATCHED_GROUP_DEADLINE_DAYS),
                )
                try:
                    with self.env.cr.savepoint():
                        exc = Exc.create(vals)
                except psycopg2.errors.UniqueViolation as err:
                    # another chunk of the same import opened it meanwhile: its row
                    # is not in this transaction's snapshot, the job runs again
                    raise RetryableJobError(
                        "unmatched-lines exception opened concurrently", seconds=2
                    ) from err
            exc._o2c_refresh_unmatched_group()
            result |= exc
        return result

    @api.model
    def _o2c_release_bank_lines(self, lines, note):
        """Lines reconciled or proposed leave their import's unmatched exception."""
        if not lines:
            return
        groups = self.sudo().search(
            [
                ("o2c_line_ids", "in", lines.ids),
                ("dedup_key", "=like", "o2c.bank.unmatched:%"),
                ("state", "in", ("new", "in_progress")),
            ]
        )
        for exc in groups:
            exc.o2c_line_ids = [fields.Command.unlink(line.id) for line in lines]
            exc._o2c_refresh_unmatched_group(note)

    def _o2c_refresh_unmatched_group(self, note=None):
        """Title and amount from the lines still open; resolve when none is left."""
        for exc in self:
            open_lines = exc.o2c_line_ids.filtered(lambda line: not line.is_reconciled)
            if not open_lines:
                exc._mark_done(
                    "resolved",
                    note or self.env._("Every line of the import is matched."),
                )
                continue
            imp = self.env["o2c.bank.statement.import"].browse(exc.res_id)
            exc.write(
                {
                    "name": self.env._(
                        "%(n)s unmatched bank line(s) in %(file)s (%(journal)s)",
                        n=len(open_lines),
                        file=imp.name,
                        journal=imp.journal_id.name,
                    )[:250],
                    "amount": sum(abs(line.amount) for line in open_lines),
                    "description": self.env._(
                        "No reconciliation rule found an open invoice or payment for "
                        "these lines of %(file)s. For each line: find the customer or "
                        "vendor and the invoice it pays, reconcile it by hand, or "
                        "create the missing record and use Run Matching Again. Lines "
                        "that need no match (bank fees, transfers) can be booked to an "
                        "account; resolve this exception with a note once the list is "
                        "worked.",
                        file=imp.name,
                    ),
                }
            )

    def action_accept_proposal(self):
        """Accept the best suggestion of a proposal (one click)."""
        self.ensure_one()
        candidate = self.o2c_candidate_ids.filtered(lambda c: c.state == "open").sorted(
            lambda c: (c.rank, c.id)
        )[:1]
        if not candidate:
            raise UserError(
                self.env._("This exception has no open suggestion to accept.")
            )
        return candidate.action_accept()

    def _o2c_bank_lines(self):
        """The bank lines these exceptions are about: their own line, or the open
        lines of their import's unmatched list. Refuses exceptions about none."""
        lines = (
            self.env["account.bank.statement.line"]
            .browse(
                self.filtered(
                    lambda e: e.res_model == "account.bank.statement.line"
                ).mapped("res_id")
            )
            .exists()
        ) | self.o2c_line_ids.filtered(lambda line: not line.is_reconciled)
        if not lines:
            raise UserError(self.env._("These exceptions are not about bank lines."))
        return lines

    def action_o2c_manual_reconcile(self):
        """Reconcile the bank lines of these exceptions by hand, one after another."""
        lines = self._o2c_bank_lines()
        return lines.action_o2c_manual_reconcile()

    def action_o2c_rerun_matching(self):
        """Run the rules again on the bank lines of these exceptions."""
        lines = self._o2c_bank_lines()
        return lines.action_o2c_reconcile()
