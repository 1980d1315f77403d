# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Reconciliation rules: which strategy, on which lines, with which tolerance.

Rules are evaluated together for each bank line: every applicable rule adds
its proposals (tagged with the rule), and ``matching.decide`` picks. A line
is reconciled automatically only when the best proposal reaches the
threshold *of the rule that made it* and no other candidate comes close; the
sequence orders rules strongest first (as in the design), which also decides
which rule is credited when two rules propose the same items.
"""

from decimal import Decimal

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..lib import matching, matching_payers

STRATEGIES = [
    (
        "reference",
        "Structured reference (RF, invoice number, end-to-end id, payout id)",
    ),
    ("free_text", "Invoice numbers in the free-text remittance"),
    ("iban_amount", "Counterparty IBAN -> partner, plus amount"),
    ("amount_window", "Amount (and partner) within a date window"),
    ("multi", "Several open items (listed references or subset sum)"),
    ("fuzzy_name", "Fuzzy counterparty name -> partner, plus amount"),
    ("netting", "Invoice net of the customer's open credit notes"),
    ("name_amount", "Payer name -> partner (learned names first), plus amount"),
]

#: Strategy functions of each rule type (pure, from lib/matching.py).
STRATEGY_FUNCTIONS = {
    "reference": (matching.match_reference,),
    "free_text": (matching.match_reference,),
    "iban_amount": (matching.match_iban_partner_amount,),
    "amount_window": (matching.match_amount_date_window,),
    "multi": (matching.match_reference, matching.match_subset_sum),
    "fuzzy_name": (matching.match_fuzzy_name,),
    "netting": (matching_payers.match_netting,),
    "name_amount": (matching_payers.match_name_amount,),
}

#: xmlid of the generic chart's "Bank Fees" expense account, used as the
#: write-off account of a rule that has a tolerance but no account set.
BANK_FEES_XMLID = "expense_finance"


class O2cReconcileRule(models.Model):
    _name = "o2c.reconcile.rule"
    _description = "O2C Bank Reconciliation Rule"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        help="Empty: the rule applies to every company.",
        index=True,
    )
    journal_ids = fields.Many2many(
        "account.journal",
        string="Bank Journals",
        domain="[('type', 'in', ('bank', 'credit'))]",
        help="Empty: every bank journal.",
        check_company=True,
    )
    strategy = fields.Selection(STRATEGIES, required=True, default="reference")
    direction = fields.Selection(
        [("both", "Money in and out"), ("in", "Money in"), ("out", "Money out")],
        default="both",
        required=True,
    )
    amount_min = fields.Float(
        string="Minimum Amount", digits="Account", help="Absolute amount; 0 = none"
    )
    amount_max = fields.Float(
        string="Maximum Amount", digits="Account", help="Absolute amount; 0 = none"
    )
    partner_ids = fields.Many2many(
        "res.partner",
        string="Only for Partners",
        help="Empty: any partner. Otherwise the rule only proposes open items "
        "of these partners.",
    )
    auto_threshold = fields.Float(
        string="Auto-reconcile Threshold",
        default=90.0,
        help="Score (0-100) from which a proposal of this rule is reconciled "
        "without a person, provided no other candidate comes within the "
        "margin. Above 100 means never.",
    )
    margin = fields.Float(
        default=5.0,
        help="A second candidate scoring within this many points of the best "
        "one makes the line ambiguous: it goes to a person.",
    )
    tolerance_abs = fields.Float(
        string="Write-off Tolerance",
        digits="Account",
        help="Largest difference written off automatically (bank charges), in "
        "the line's currency. 0 = no absolute bound.",
    )
    tolerance_pct = fields.Float(
        string="Write-off Tolerance (%)",
        digits=(5, 2),
        help="Largest difference as a percentage of the items. When both bounds "
        "are set the smaller one applies.",
    )
    writeoff_account_id = fields.Many2one(
        "account.account",
        string="Write-off Account",
        check_company=True,
        help="Where differences within tolerance go. Empty: the chart's bank "
        "fees account when it exists, otherwise no write-off.",
    )
    date_window_days = fields.Integer(default=5)
    fuzzy_threshold = fields.Float(string="Name Similarity (%)", default=85.0)
    max_subset_items = fields.Integer(default=12)
    allow_partial = fields.Boolean(
        string="Allow Partial Payments",
        default=True,
        help="A line paying less than the referenced items reconciles them "
        "partially (oldest first).",
    )
    match_count = fields.Integer(compute="_compute_match_count")

    # --- COMPUTE METHODS

    def _compute_match_count(self):
        counts = dict(
            self.env["account.bank.statement.line"]._read_group(
                [("o2c_rule_id", "in", self.ids)], ["o2c_rule_id"], ["__count"]
            )
        )
        for rule in self:
            rule.match_count = counts.get(rule, 0)

    # --- CONSTRAINT METHODS

    @api.constrains(
        "auto_threshold",
        "tolerance_abs",
        "tolerance_pct",
        "max_subset_items",
        "date_window_days",
        "fuzzy_threshold",
        "margin",
    )
    def _check_params(self):
        for rule in self:
            try:
                rule._get_match_params(2)
            except matching.InvalidParams as exc:
                raise ValidationError(
                    self.env._("Rule %(rule)s: %(error)s", rule=rule.name, error=exc)
                ) from exc
            if rule.auto_threshold < 0 or rule.margin < 0:
                raise ValidationError(
                    self.env._("Thresholds and margins are positive numbers.")
                )

    # --- BUSINESS METHODS

    def _get_writeoff_account(self, company):
        """The write-off account of the rule for ``company`` (may be empty)."""
        self.ensure_one()
        account = self.writeoff_account_id
        if account and company in account.company_ids:
            return account
        return self.env["o2c.reconcile.engine"]._get_default_writeoff_account(company)

    def _get_match_params(self, digits, company=None):
        """``matching.MatchParams`` of this rule (money as Decimal)."""
        self.ensure_one()
        with_writeoff = bool(self.tolerance_abs or self.tolerance_pct) and (
            company is None or bool(self._get_writeoff_account(company))
        )
        return matching.MatchParams(
            tolerance_abs=_decimal(self.tolerance_abs) if with_writeoff else Decimal(0),
            tolerance_pct=_decimal(self.tolerance_pct) if with_writeoff else Decimal(0),
            date_window_days=self.date_window_days,
            fuzzy_threshold=self.fuzzy_threshold,
            max_subset_items=self.max_subset_items,
            allow_partial=self.allow_partial,
            digits=digits,
        )

    def _applies_to(self, journal, amount):
        """Whether the rule considers a line of ``journal`` for ``amount``."""
        self.ensure_one()
        if self.company_id and self.company_id != journal.company_id:
            return False
        if self.journal_ids and journal not in self.journal_ids:
            return False
        if (
            self.direction == "in"
            and amount < 0
            or self.direction == "out"
            and amount > 0
        ):
            return False
        magnitude = abs(amount)
        if self.amount_min and magnitude < _decimal(self.amount_min):
            return False
        return not (self.amount_max and magnitude > _decimal(self.amount_max))

    @api.model
    def _get_active_rules(self, company):
        return self.search(
            [("company_id", "in", (False, company.id))], order="sequence, id"
        )

    # --- PUBLIC ACTIONS

    def action_open_matches(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Lines matched by %(rule)s", rule=self.name),
            "res_model": "account.bank.statement.line",
            "view_mode": "list,form",
            "views": [
                (self.env.ref("o2c_bank_feed.o2c_bank_line_view_list").id, "list"),
                (False, "form"),
            ],
            "domain": [("o2c_rule_id", "=", self.id)],
        }


def _decimal(value):
    """A float field value as the Decimal a person typed (never binary noise)."""
    return Decimal(repr(value or 0.0))
