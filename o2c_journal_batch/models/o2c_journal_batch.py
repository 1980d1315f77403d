# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Journal batches: validated, routed through an approval, posted once.

Life of a batch::

    event "journal.batch" --handler--> batch (unique per source, batch id, version)
        violations ------------------> held      (exception naming line and field)
        total <= auto-post limit ----> posted    (journal entry, audited)
        otherwise -------------------> to_approve (activities for the O2C managers)
                                          |-- approve (four eyes) --> posted
                                          '-- reject (reason) ------> rejected
    a newer version of the same batch id: a draft / held / waiting one is superseded,
    a posted one is reversed (the reversal entry linked), then the new one is routed.

Nothing is half-posted: the entry is created and posted in one savepoint, after every
rule passed. Every transition is written to the audit log with the batch's content
hash (SHA-256 of the normalised document), so what was approved is provable.
"""

import json
import logging
from collections import defaultdict
from decimal import Decimal

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from odoo.addons.o2c_integration.lib.exceptions import ValidationError as O2cValidation

from ..lib.batch_format import (
    BatchFormatError,
    content_hash,
    parse_batch,
)

_logger = logging.getLogger(__name__)

STATES = [
    ("held", "Held"),
    ("to_approve", "To Approve"),
    ("posted", "Posted"),
    ("rejected", "Rejected"),
    ("superseded", "Superseded"),
    ("reversed", "Reversed"),
]
MANAGER_GROUP = "o2c_integration.group_o2c_manager"
RECONCILABLE_TYPES = ("asset_receivable", "liability_payable")


class O2cJournalBatch(models.Model):
    _name = "o2c.journal.batch"
    _description = "Journal batch"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"

    name = fields.Char(compute="_compute_name", store=True)
    connection_id = fields.Many2one(
        "o2c.connection", required=True, index=True, ondelete="restrict", readonly=True
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, readonly=True
    )
    event_id = fields.Many2one("o2c.event", readonly=True, ondelete="set null")
    source_system = fields.Char(readonly=True)
    batch_ref = fields.Char(string="Batch Id", required=True, index=True, readonly=True)
    version = fields.Integer(required=True, default=1, readonly=True)
    period = fields.Char(readonly=True)
    date = fields.Date(required=True, readonly=True)
    journal_code = fields.Char(readonly=True)
    journal_id = fields.Many2one("account.journal", readonly=True)
    currency_code = fields.Char(readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    reference = fields.Char(readonly=True)
    line_ids = fields.One2many("o2c.journal.batch.line", "batch_id", readonly=True)
    line_count = fields.Integer(readonly=True)
    total_debit = fields.Monetary(currency_field="currency_id", readonly=True)
    total_credit = fields.Monetary(currency_field="currency_id", readonly=True)
    amount_company = fields.Monetary(
        string="Total (Company Currency)",
        currency_field="company_currency_id",
        readonly=True,
    )
    company_currency_id = fields.Many2one(
        related="company_id.currency_id", string="Company Currency"
    )
    content_hash = fields.Char(readonly=True, index=True)
    state = fields.Selection(
        STATES, required=True, default="held", index=True, tracking=True
    )
    violations = fields.Text(readonly=True)
    violation_count = fields.Integer(readonly=True)
    imported_by_id = fields.Many2one("res.users", readonly=True)
    last_changed_by_id = fields.Many2one("res.users", readonly=True)
    approved_by_id = fields.Many2one("res.users", readonly=True, tracking=True)
    rejection_reason = fields.Text(readonly=True)
    move_id = fields.Many2one("account.move", readonly=True, index=True, copy=False)
    reversal_move_id = fields.Many2one("account.move", readonly=True, copy=False)
    superseded_by_id = fields.Many2one("o2c.journal.batch", readonly=True)
    previous_ids = fields.One2many(
        "o2c.journal.batch", "superseded_by_id", readonly=True
    )

    _version_unique = models.Constraint(
        "UNIQUE(connection_id, batch_ref, version)",
        "A batch version is stored once per source.",
    )
    _move_unique = models.Constraint(
        "UNIQUE(move_id)", "A journal entry belongs to one batch."
    )

    @api.depends("batch_ref", "version", "source_system")
    def _compute_name(self):
        for rec in self:
            rec.name = (
                f"{rec.source_system or ''} {rec.batch_ref} v{rec.version}".strip()
            )

    # --- EVENT HANDLER

    @api.model
    def _o2c_handle_batch_event(self, event):
        """Handler of ``("journal", "journal.batch")``: store, validate, route."""
        conn = event.connection_id
        try:
            parsed = parse_batch(event.payload)
        except BatchFormatError as exc:
            raise O2cValidation(str(exc)) from exc
        existing = self.sudo().search(
            [
                ("connection_id", "=", conn.id),
                ("batch_ref", "=", parsed.batch_id),
                ("version", "=", parsed.version),
            ]
        )
        if existing:  # a replay: the batch is already there
            return existing
        headers = json.loads(event.headers or "{}") if event.headers else {}
        batch = self.sudo()._jb_create(
            conn, parsed, event, headers.get("o2c_uploaded_by")
        )
        if batch._jb_supersede_previous():
            batch._jb_route()
        return batch

    def _jb_create(self, conn, parsed, event, uploaded_by=None):
        total_debit = parsed.total_debit
        vals = {
            "connection_id": conn.id,
            "company_id": conn.company_id.id,
            "event_id": event.id,
            "source_system": parsed.source_system,
            "batch_ref": parsed.batch_id,
            "version": parsed.version,
            "period": parsed.period,
            "date": parsed.date,
            "journal_code": parsed.journal,
            "currency_code": parsed.currency,
            "reference": parsed.reference,
            "line_count": len(parsed.lines),
            "total_debit": float(total_debit),
            "total_credit": float(parsed.total_credit),
            "content_hash": content_hash(parsed),
            "imported_by_id": int(uploaded_by) if uploaded_by else self.env.uid,
        }
        batch = self.create(vals)
        self.env["o2c.journal.batch.line"].create(
            [
                {
                    "batch_id": batch.id,
                    "sequence": line.index + 1,
                    "account_code": line.account,
                    "label": line.label,
                    "debit": float(line.debit),
                    "credit": float(line.credit),
                    "date": line.date,
                    "partner_ref": line.partner_ref or False,
                    "tax_code": line.tax_code or False,
                    "document_ref": line.document_ref or False,
                    "analytic_codes": ",".join(
                        f"{code}={format(share.normalize(), 'f')}"
                        for code, share in line.analytic.items()
                    )
                    or False,
                }
                for line in parsed.lines
            ]
        )
        batch._jb_audit("journal.batch.received", "received")
        return batch

    def _jb_supersede_previous(self):
        """Retire older versions; return False when this one is itself outdated."""
        self.ensure_one()
        others = self.search(
            [
                ("connection_id", "=", self.connection_id.id),
                ("batch_ref", "=", self.batch_ref),
                ("id", "!=", self.id),
            ]
        )
        newer = others.filtered(lambda b: b.version > self.version)
        if newer:
            self.write({"state": "superseded", "superseded_by_id": newer[:1].id})
            self._jb_audit("journal.batch.superseded", "arrived after a newer version")
            return False
        for old in others.filtered(
            lambda b: b.state in ("held", "to_approve", "posted")
        ):
            if old.state == "posted":
                reversal = old.move_id._reverse_moves(
                    default_values_list=[
                        {
                            "date": max(old.move_id.date, self.date),
                            "ref": self.env._(
                                "Reversal of %(b)s (replaced by version %(v)s)",
                                b=old.name,
                                v=self.version,
                            ),
                        }
                    ],
                    cancel=True,
                )
                old.write(
                    {
                        "state": "reversed",
                        "reversal_move_id": reversal.id,
                        "superseded_by_id": self.id,
                    }
                )
                old._jb_audit("journal.batch.reversed", f"reversed by {reversal.name}")
            else:
                old.write({"state": "superseded", "superseded_by_id": self.id})
                old._jb_audit(
                    "journal.batch.superseded", f"replaced by v{self.version}"
                )
            old._jb_close_exception(
                self.env._("Replaced by version %(v)s", v=self.version)
            )
            old.activity_ids.unlink()
        return True

    # --- VALIDATION

    def _jb_lookup(self, kind, codes, model, field):
        """{code: record} for ``codes``: the source's mapping first, then ``field``."""
        conn = self.connection_id
        found = {}
        maps = self.env["o2c.journal.code.map"].search(
            [
                ("connection_id", "=", conn.id),
                ("kind", "=", kind),
                ("code", "in", list(codes)),
            ]
        )
        target = {
            "account": "account_id",
            "analytic": "analytic_account_id",
            "partner": "partner_id",
            "tax": "tax_id",
        }[kind]
        for mapping in maps:
            found[mapping.code] = mapping[target]
        rest = [code for code in codes if code not in found]
        if rest and field:
            records = (
                self.env[model]
                .with_company(self.company_id)
                .search([(field, "in", rest), *self._jb_company_domain(model)])
            )
            by_code = defaultdict(lambda: self.env[model])
            for record in records:
                by_code[record[field]] |= record
            for code in rest:
                if len(by_code.get(code, ())) == 1:
                    found[code] = by_code[code]
        return found

    def _jb_company_domain(self, model):
        if model == "account.account":
            return [("company_ids", "in", self.company_id.ids)]
        if model in ("account.tax", "account.journal"):
            return [("company_id", "=", self.company_id.id)]
        if model == "account.analytic.account":
            return [("company_id", "in", [False, self.company_id.id])]
        return []

    def _jb_validate(self):
        """Resolve the lines and check every rule; return the violations (text).

        Every check runs, so one round trip shows the controller everything to fix.
        """
        self.ensure_one()
        violations = []
        currency, journal = self._jb_check_header(violations)
        resolved = self._jb_resolve_codes()
        rules = {
            rule.account_id: rule
            for rule in self.env["o2c.journal.account.rule"].search(
                [
                    ("company_id", "=", self.company_id.id),
                    ("account_id", "in", [a.id for a in resolved["account"].values()]),
                ]
            )
        }
        updates = defaultdict(list)
        for line in self.line_ids:
            key = self._jb_check_line(line, resolved, rules, violations)
            updates[key].append(line.id)
        for (account_id, partner_id, tax_id, distribution), ids in updates.items():
            self.env["o2c.journal.batch.line"].browse(ids).write(
                {
                    "account_id": account_id,
                    "partner_id": partner_id,
                    "tax_id": tax_id,
                    "analytic_distribution": json.loads(distribution)
                    if distribution
                    else False,
                }
            )
        self._jb_check_dates(journal, bool(resolved["tax"]), violations)
        self._jb_check_balance(currency, violations)
        vals = {
            "journal_id": journal.id if journal else False,
            "currency_id": currency.id if currency else False,
            "violations": "\n".join(violations) or False,
            "violation_count": len(violations),
        }
        if currency:
            vals["amount_company"] = currency._convert(
                self.total_debit,
                self.company_id.currency_id,
                self.company_id,
                self.date,
            )
        self.write(vals)
        return violations

    def _jb_check_header(self, violations):
        """The batch's currency and journal (or None), with their violations."""
        currency = self.env["res.currency"].search(
            [("name", "=", self.currency_code)], limit=1
        )
        if not currency:
            violations.append(f"currency: {self.currency_code} is not a known currency")
        elif not currency.active:
            violations.append(f"currency: {self.currency_code} is not active")
        journal = self.connection_id.jb_journal_id
        if self.journal_code:
            journal = self.env["account.journal"].search(
                [
                    ("code", "=", self.journal_code),
                    ("company_id", "=", self.company_id.id),
                ],
                limit=1,
            )
            if not journal:
                violations.append(f"journal: unknown journal code {self.journal_code}")
        elif not journal:
            violations.append(
                "journal: no journal named and no default journal on the source"
            )
        return currency or None, journal or None

    def _jb_resolve_codes(self):
        """{kind: {code: record}} for every code the lines use (a few queries)."""
        lines = self.line_ids
        partner_refs = set(lines.mapped("partner_ref")) - {False}
        partners = self._jb_lookup("partner", partner_refs, "res.partner", "ref")
        if partner_refs - set(partners):
            partners.update(
                self._jb_lookup(
                    "partner", partner_refs - set(partners), "res.partner", "email"
                )
            )
        analytic_codes = {
            part.rsplit("=", 1)[0]
            for line in lines
            for part in (line.analytic_codes or "").split(",")
            if part
        }
        return {
            "account": self._jb_lookup(
                "account", set(lines.mapped("account_code")), "account.account", "code"
            ),
            "partner": partners,
            "tax": self._jb_lookup(
                "tax", set(lines.mapped("tax_code")) - {False}, "account.tax", None
            ),
            "analytic": self._jb_lookup(
                "analytic", analytic_codes, "account.analytic.account", "code"
            ),
        }

    def _jb_check_line(self, line, resolved, rules, violations):
        """Check one line; return its resolution key (account, partner, tax, analytic)."""
        where = f"line {line.sequence}"
        account = resolved["account"].get(line.account_code)
        if not account:
            violations.append(
                f"{where}, account: unknown account code {line.account_code}"
            )
        partner = (
            resolved["partner"].get(line.partner_ref) if line.partner_ref else None
        )
        if line.partner_ref and not partner:
            violations.append(
                f"{where}, partner_ref: unknown partner {line.partner_ref}"
            )
        tax = resolved["tax"].get(line.tax_code) if line.tax_code else None
        if line.tax_code and not tax:
            violations.append(f"{where}, tax_code: unknown tax code {line.tax_code}")
        distribution, plans = {}, set()
        for part in (line.analytic_codes or "").split(","):
            if not part:
                continue
            code, share = part.rsplit("=", 1)
            analytic = resolved["analytic"].get(code)
            if not analytic:
                violations.append(f"{where}, analytic: unknown analytic code {code}")
                continue
            distribution[str(analytic.id)] = float(share)
            plans.add(analytic.root_plan_id)
        if account:
            self._jb_check_account_rules(
                line, account, rules.get(account), plans, violations
            )
        return (
            account.id if account else False,
            partner.id if partner else False,
            tax.id if tax else False,
            json.dumps(distribution, sort_keys=True) if distribution else "",
        )

    def _jb_check_account_rules(self, line, account, rule, plans, violations):
        where = f"line {line.sequence}"
        amount = max(line.debit, line.credit)
        if rule and rule.max_line_amount and amount > rule.max_line_amount:
            violations.append(
                f"{where}, amount: {amount:.2f} on {account.code} is over the "
                f"limit of {rule.max_line_amount:.2f}"
            )
        for plan in rule.required_plan_ids if rule else ():
            if plan not in plans:
                violations.append(
                    f"{where}, analytic: account {account.code} requires "
                    f"a {plan.name} analytic account"
                )
        reconcilable = account.reconcile or account.account_type in RECONCILABLE_TYPES
        allowed = self.connection_id.jb_allow_reconcilable or (
            rule and rule.allow_reconcilable
        )
        if reconcilable and not allowed:
            violations.append(
                f"{where}, account: {account.code} is reconcilable (receivable, "
                "payable or clearing); allow it on the source or the account's rule"
            )

    def _jb_check_dates(self, journal, has_tax, violations):
        """Every date inside the batch's period and outside the lock dates."""
        for day in sorted(set(self.line_ids.mapped("date"))):
            if self.period and day.strftime("%Y-%m") != self.period:
                violations.append(f"date: {day} is outside the period {self.period}")
            if journal:
                locks = self.company_id._get_violated_lock_dates(day, has_tax, journal)
                if locks:
                    lock_date, lock_field = locks[-1]
                    violations.append(
                        f"date: {day} is in a locked period ({lock_field} {lock_date})"
                    )

    def _jb_check_balance(self, currency, violations):
        """Debits equal credits per date (the batch has one currency)."""
        sums = defaultdict(lambda: [Decimal(0), Decimal(0)])
        for line in self.line_ids:
            sums[line.date][0] += Decimal(str(line.debit))
            sums[line.date][1] += Decimal(str(line.credit))
        for day, (debit, credit) in sorted(sums.items()):
            if currency and currency.compare_amounts(float(debit), float(credit)) != 0:
                violations.append(
                    f"balance: {day} {self.currency_code} debit {debit:.2f} "
                    f"does not equal credit {credit:.2f}"
                )

    # --- ROUTING

    def _jb_route(self):
        """Hold, post or send for approval, by the rules and the source's limit."""
        self.ensure_one()
        violations = self._jb_validate()
        if violations:
            self.state = "held"
            unknown = any("unknown" in text for text in violations)
            self.env["o2c.exception"]._raise(
                "mapping" if unknown else "validation",
                self.env._(
                    "Journal batch %(b)s held: %(n)s problem(s)",
                    b=self.name,
                    n=len(violations),
                ),
                dedup_key=self._jb_exception_key(),
                amount=self.amount_company or self.total_debit,
                currency=self.company_id.currency_id,
                event=self.event_id,
                record=self,
                connection=self.connection_id,
                description="\n".join(violations),
            )
            self._jb_audit("journal.batch.held", f"held: {len(violations)} problem(s)")
            return
        self._jb_close_exception(self.env._("The batch passed validation."))
        limit = self.connection_id.jb_auto_post_limit
        if (
            limit
            and self.company_id.currency_id.compare_amounts(self.amount_company, limit)
            <= 0
        ):
            self._jb_post()
            self._jb_audit("journal.batch.autopost", "posted under the auto-post limit")
            return
        self.state = "to_approve"
        self._jb_audit("journal.batch.to_approve", "waiting for an approval")
        self._jb_schedule_approval()

    def _jb_exception_key(self):
        return f"journal.batch:{self.connection_id.id}:{self.batch_ref}:v{self.version}"

    def _jb_close_exception(self, note):
        self.env["o2c.exception"]._close_by_key(self._jb_exception_key(), note)

    def _jb_schedule_approval(self):
        group = self.env.ref(MANAGER_GROUP)
        approvers = group.all_user_ids.filtered(
            lambda u: self.company_id in u.company_ids
            and u not in (self.imported_by_id | self.last_changed_by_id)
            and not u.share
        )
        for user in approvers[:20]:
            self.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=self.env._("Approve journal batch %(b)s", b=self.name),
                user_id=user.id,
            )

    def _jb_post(self):
        """Create and post the journal entry, all or nothing."""
        self.ensure_one()
        line_vals = []
        for line in self.line_ids:
            vals = {
                "account_id": line.account_id.id,
                "name": line.label,
                "debit": line.debit
                if self.currency_id == self.company_id.currency_id
                else 0,
                "credit": line.credit
                if self.currency_id == self.company_id.currency_id
                else 0,
                "partner_id": line.partner_id.id,
                "analytic_distribution": line.analytic_distribution or False,
            }
            if self.currency_id != self.company_id.currency_id:
                vals["currency_id"] = self.currency_id.id
                vals["amount_currency"] = line.debit - line.credit
            if line.tax_id:
                vals["tax_tag_ids"] = [
                    (
                        6,
                        0,
                        line.tax_id.invoice_repartition_line_ids.filtered(
                            lambda r: r.repartition_type == "base"
                        ).tag_ids.ids,
                    )
                ]
            line_vals.append((0, 0, vals))
        with self.env.cr.savepoint():
            move = (
                self.env["account.move"]
                .with_company(self.company_id)
                .with_context(tracking_disable=True)
                .create(
                    {
                        "move_type": "entry",
                        "journal_id": self.journal_id.id,
                        "date": self.date,
                        "ref": self.reference or self.name,
                        "line_ids": line_vals,
                    }
                )
            )
            move.action_post()
        self.write({"state": "posted", "move_id": move.id})
        self.activity_ids.unlink()
        return move

    def _jb_audit(self, action, what):
        self.env["o2c.audit.log"]._log(
            action,
            f"Journal batch {self.name} {what}",
            records=self,
            event=self.event_id,
            data={
                "batch": self.batch_ref,
                "version": self.version,
                "content_hash": self.content_hash,
                "state": self.state,
                "total_debit": self.total_debit,
            },
        )

    # --- PUBLIC ACTIONS

    def _jb_check_approver(self):
        user = self.env.user
        if not user.has_group(MANAGER_GROUP):
            raise AccessError(
                self.env._("Only O2C managers can approve or reject batches.")
            )
        self.check_access("write")
        for rec in self:
            if rec.state != "to_approve":
                raise UserError(
                    self.env._("%(b)s is not waiting for an approval.", b=rec.name)
                )
            if user in (rec.imported_by_id | rec.last_changed_by_id):
                rec.sudo()._jb_audit(
                    "journal.batch.approval_refused",
                    f"approval by {user.name} refused (four eyes)",
                )
                raise AccessError(
                    self.env._(
                        "Four eyes: %(u)s imported or last changed %(b)s and cannot "
                        "approve or reject it.",
                        u=user.name,
                        b=rec.name,
                    )
                )

    def action_approve(self):
        self._jb_check_approver()
        for rec in self.sudo():
            violations = rec._jb_validate()  # the world may have moved (lock dates)
            if violations:
                raise UserError(
                    self.env._(
                        "%(b)s no longer passes validation:\n%(v)s",
                        b=rec.name,
                        v="\n".join(violations),
                    )
                )
            rec.approved_by_id = self.env.user
            rec._jb_post()
            rec._jb_audit("journal.batch.approve", f"approved by {self.env.user.name}")
        return True

    def action_reject(self, reason=None):
        if not reason:
            return {
                "type": "ir.actions.act_window",
                "res_model": "o2c.journal.batch.reject",
                "view_mode": "form",
                "target": "new",
                "context": {"default_batch_ids": self.ids},
            }
        self._jb_check_approver()
        for rec in self.sudo():
            rec.write({"state": "rejected", "rejection_reason": reason})
            rec.activity_ids.unlink()
            rec._jb_close_exception(self.env._("Rejected: %(r)s", r=reason))
            rec._jb_audit(
                "journal.batch.reject", f"rejected by {self.env.user.name}: {reason}"
            )
        return True

    def action_revalidate(self):
        """Run the rules again after a mapping or a rule was fixed."""
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(self.env._("Only O2C managers can revalidate batches."))
        self.check_access("write")
        for rec in self.sudo():
            if rec.state != "held":
                raise UserError(self.env._("%(b)s is not held.", b=rec.name))
            rec.last_changed_by_id = self.env.user
            rec.activity_ids.unlink()
            rec._jb_route()
        return True

    def action_open_move(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.move",
            "res_id": (self.move_id or self.reversal_move_id).id,
            "view_mode": "form",
        }
