# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Reconcile bank lines by hand, one after the other.

Opened on one line or on a selection: the wizard shows the current line, the
engine's candidates (with their scores) on top of the open items found by
the filter row, a write-off and the balance left. *Validate* books through
``o2c.reconcile.manual`` and moves to the next open line of the selection;
*Next* skips the line. The money rules are in ``lib/manual_reconcile.py``.
"""

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Command

from ..lib import manual_reconcile, matching


class O2cManualReconcileWizard(models.TransientModel):
    _name = "o2c.manual.reconcile.wizard"
    _description = "Reconcile a Bank Line by Hand"

    statement_line_id = fields.Many2one(
        "account.bank.statement.line", string="Bank Line", readonly=True
    )
    line_ids = fields.Many2many(
        "account.bank.statement.line",
        "o2c_manual_reconcile_wizard_line_rel",
        "wizard_id",
        "line_id",
        string="Selection",
        readonly=True,
    )
    company_id = fields.Many2one(related="statement_line_id.company_id")
    currency_id = fields.Many2one("res.currency", readonly=True)
    line_date = fields.Date(related="statement_line_id.date", string="Date")
    line_label = fields.Char(related="statement_line_id.payment_ref", string="Label")
    line_partner_name = fields.Char(
        related="statement_line_id.partner_name", string="Counterparty"
    )
    line_account = fields.Char(
        related="statement_line_id.o2c_counterparty_account", string="Account"
    )
    line_journal_id = fields.Many2one(
        related="statement_line_id.journal_id", string="Journal"
    )
    line_amount = fields.Monetary(
        string="Open Amount",
        readonly=True,
        help="What is left to book on the bank line (money in positive).",
    )
    position = fields.Char(compute="_compute_position")
    partner_id = fields.Many2one(
        "res.partner", string="Partner", help="Set on the bank line when validated."
    )
    # --- the filter row
    filter_partner_id = fields.Many2one("res.partner", string="Search Partner")
    filter_amount = fields.Float(string="Search Amount", digits="Account")
    filter_reference = fields.Char(string="Search Reference")
    filter_date_from = fields.Date(string="From")
    filter_date_to = fields.Date(string="To")
    item_ids = fields.One2many("o2c.manual.reconcile.item", "wizard_id", string="Items")
    suggestion_count = fields.Integer(readonly=True)
    # --- write-off
    writeoff_rule_id = fields.Many2one(
        "o2c.reconcile.rule",
        string="Write-off as in Rule",
        help="Use the write-off account of this reconciliation rule.",
    )
    writeoff_account_id = fields.Many2one(
        "account.account",
        string="Write-off Account",
        domain="[('account_type', 'not in', ('asset_cash', 'liability_credit_card', "
        "'off_balance'))]",
        check_company=True,
    )
    writeoff_label = fields.Char(string="Write-off Label")
    writeoff_amount = fields.Monetary(
        string="Write-off",
        help="Booked on the write-off account, counted like the applied amounts: "
        "applied + write-off = the bank amount. Negative when the bank paid less "
        "than the items (charges), positive when it paid more.",
    )
    applied_amount = fields.Monetary(compute="_compute_balance", string="Applied")
    remaining_amount = fields.Monetary(compute="_compute_balance", string="Remaining")
    is_balanced = fields.Boolean(compute="_compute_balance")

    # --- COMPUTE METHODS

    @api.depends("statement_line_id", "line_ids")
    def _compute_position(self):
        for wizard in self:
            lines = wizard._ordered_lines()
            if wizard.statement_line_id in lines and len(lines) > 1:
                index = list(lines).index(wizard.statement_line_id) + 1
                wizard.position = self.env._(
                    "Line %(index)s of %(count)s", index=index, count=len(lines)
                )
            else:
                wizard.position = False

    @api.depends(
        "line_amount",
        "writeoff_amount",
        "item_ids.selected",
        "item_ids.amount",
        "currency_id",
    )
    def _compute_balance(self):
        for wizard in self:
            digits = wizard._digits()
            allocations = wizard._allocations()
            applied = sum((a.amount for a in allocations), matching.ZERO)
            left = manual_reconcile.remaining(
                wizard._money(wizard.line_amount),
                allocations,
                wizard._money(wizard.writeoff_amount),
                digits,
            )
            wizard.applied_amount = float(applied)
            wizard.remaining_amount = float(left)
            wizard.is_balanced = not left and bool(
                allocations or wizard.writeoff_amount
            )

    # --- ONCHANGE METHODS

    @api.onchange("item_ids")
    def _onchange_item_ids(self):
        """A ticked item gets its share of the line; an unticked one none."""
        digits = self._digits()
        chosen = []
        for item in self.item_ids:
            if not item.selected:
                if item.amount:
                    item.amount = 0.0
                continue
            if item.amount:
                # typed positive on a vendor bill: it pays a negative residual
                item.amount = float(
                    manual_reconcile.signed_like(
                        self._money(item.amount), self._money(item.residual)
                    )
                )
            chosen.append(item)
        filled = manual_reconcile.fill(
            self._money(self.line_amount),
            [
                manual_reconcile.Allocation(
                    index, self._money(item.residual), self._money(item.amount)
                )
                for index, item in enumerate(chosen)
            ],
            self._money(self.writeoff_amount),
            digits,
        )
        for item, allocation in zip(chosen, filled, strict=True):
            if self._money(item.amount) != allocation.amount:
                item.amount = float(allocation.amount)

    @api.onchange(
        "filter_partner_id",
        "filter_amount",
        "filter_reference",
        "filter_date_from",
        "filter_date_to",
    )
    def _onchange_filters(self):
        if self.statement_line_id:
            self.item_ids = self._item_commands(keep=self.item_ids)

    @api.onchange("partner_id")
    def _onchange_partner_id(self):
        if self.partner_id:
            self.filter_partner_id = self.partner_id.commercial_partner_id

    @api.onchange("writeoff_rule_id")
    def _onchange_writeoff_rule_id(self):
        if self.writeoff_rule_id:
            account = self.writeoff_rule_id._get_writeoff_account(
                self.company_id or self.env.company
            )
            if account:
                self.writeoff_account_id = account
            if not self.writeoff_label:
                self.writeoff_label = self.writeoff_rule_id.name

    @api.onchange("writeoff_account_id")
    def _onchange_writeoff_account_id(self):
        """Choosing an account writes the difference off, unless one is typed."""
        if self.writeoff_account_id and not self.writeoff_amount:
            self.writeoff_amount = self.remaining_amount
        if self.writeoff_account_id and not self.writeoff_label:
            self.writeoff_label = self.env._("Write-off")

    # --- BUSINESS METHODS

    def _digits(self):
        return (self.currency_id or self.env.company.currency_id).decimal_places

    def _money(self, value):
        return matching.money(value or 0.0, self._digits())

    def _allocations(self):
        return [
            manual_reconcile.Allocation(
                item.move_line_id.id or item.id,
                self._money(item.residual),
                self._money(item.amount),
            )
            for item in self.item_ids
            if item.selected
        ]

    def _ordered_lines(self):
        return self.line_ids.sorted(lambda line: (line.date, line.id))

    @api.model
    def _open_for(self, lines):
        """A wizard on the first open line of ``lines``; its window action."""
        self.env["o2c.reconcile.manual"]._check_reconcile_rights()
        Manual = self.env["o2c.reconcile.manual"]
        lines = lines.filtered(Manual._is_open).sorted(
            lambda line: (line.date, line.id)
        )
        if not lines:
            raise UserError(self.env._("No open bank line in the selection."))
        wizard = self.create({"line_ids": [Command.set(lines.ids)]})
        wizard._load_line(lines[0])
        return wizard._action_open()

    def _load_line(self, line):
        """Show ``line``: its figures, suggestions and its partner's open items."""
        self.ensure_one()
        Manual = self.env["o2c.reconcile.manual"]
        partner = line.partner_id
        self.write(
            {
                "statement_line_id": line.id,
                "currency_id": Manual._line_currency(line).id,
                "line_amount": float(Manual._line_open_amount(line)),
                "partner_id": partner.id,
                "filter_partner_id": partner.commercial_partner_id.id,
                "filter_amount": 0.0,
                "filter_reference": False,
                "filter_date_from": False,
                "filter_date_to": False,
                "writeoff_rule_id": False,
                "writeoff_account_id": False,
                "writeoff_label": False,
                "writeoff_amount": 0.0,
                "item_ids": [Command.clear()],
            }
        )
        suggestions = Manual._suggestions(line)
        self.write(
            {
                "suggestion_count": len(suggestions),
                "item_ids": self._item_commands(suggestions=suggestions),
            }
        )

    def _item_commands(self, keep=None, suggestions=None):
        """Commands rebuilding the item list: kept, suggested, then found.

        ``keep`` (the current rows) keeps the ticked rows and the suggestions
        with what the person entered; the filter row finds the rest.
        """
        Manual = self.env["o2c.reconcile.manual"]
        line = self.statement_line_id
        rows, seen = [], set()
        for item in keep or []:
            if (item.selected or item.is_suggestion) and item.move_line_id:
                seen.add(item.move_line_id.id)
                rows.append(
                    {
                        "move_line_id": item.move_line_id.id,
                        "selected": item.selected,
                        "amount": item.amount,
                        "is_suggestion": item.is_suggestion,
                        "score": item.score,
                        "reason": item.reason,
                        "residual": item.residual,
                    }
                )
        Aml = self.env["account.move.line"]
        for item_id, score, reason in suggestions or []:
            item = Aml.browse(item_id)
            if item_id in seen:
                continue
            seen.add(item_id)
            rows.append(
                {
                    "move_line_id": item_id,
                    "is_suggestion": True,
                    "score": score,
                    "reason": reason,
                    "residual": float(Manual._item_residual(item, line)),
                }
            )
        found = Manual._search_items(
            line,
            partner=self.filter_partner_id,
            amount=self.filter_amount,
            reference=self.filter_reference,
            date_from=self.filter_date_from,
            date_to=self.filter_date_to,
        )
        for item in found:
            if item.id in seen:
                continue
            seen.add(item.id)
            rows.append(
                {
                    "move_line_id": item.id,
                    "residual": float(Manual._item_residual(item, line)),
                }
            )
        for sequence, row in enumerate(rows, start=1):
            row["sequence"] = sequence
        return [Command.clear()] + [Command.create(row) for row in rows]

    def _next_line(self):
        """The next open line of the selection after the current one."""
        lines = list(self._ordered_lines())
        current = self.statement_line_id
        start = lines.index(current) + 1 if current in lines else 0
        Manual = self.env["o2c.reconcile.manual"]
        for line in lines[start:]:
            if Manual._is_open(line):
                return line
        return self.env["account.bank.statement.line"]

    def _action_open(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Reconcile by Hand"),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"dialog_size": "extra-large"},
        }

    def _done(self, message):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Manual Reconciliation"),
                "message": message,
                "type": "success",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    # --- PUBLIC ACTIONS

    def action_search(self):
        """Run the filter row again (the list also follows each filter change)."""
        self.ensure_one()
        self.item_ids = self._item_commands(keep=self.item_ids)
        return self._action_open()

    def action_validate(self):
        """Book the current line, then show the next open line of the selection."""
        self.ensure_one()
        allocations = [
            (item.move_line_id, self._money(item.amount))
            for item in self.item_ids
            if item.selected
        ]
        writeoff = self._money(self.writeoff_amount)
        self.env["o2c.reconcile.manual"]._book(
            self.statement_line_id,
            allocations,
            writeoff=writeoff,
            writeoff_account=self.writeoff_account_id if writeoff else None,
            writeoff_label=self.writeoff_label,
            partner=self.partner_id or None,
        )
        return self.action_next(
            self.env._(
                "%(line)s reconciled.",
                line=self.statement_line_id.payment_ref or self.statement_line_id.id,
            )
        )

    def action_next(self, message=None):
        """Skip to the next open line of the selection (closes after the last)."""
        self.ensure_one()
        line = self._next_line()
        if not line:
            return self._done(
                message or self.env._("No further open line in the selection.")
            )
        self._load_line(line)
        return self._action_open()
