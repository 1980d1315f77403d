# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Bank journal settings of the statement import."""

import json
import re

from odoo import api, fields, models
from odoo.exceptions import UserError

_NON_ALNUM = re.compile(r"[^A-Za-z0-9]")


def normalize_account_number(number):
    """Account number as compared with the file: alphanumerics, upper case.

    The same reduction Odoo applies to ``res.partner.bank.sanitized_acc_number``
    (which only drops non-word characters), so an IBAN printed with spaces in
    the file or typed in lower case on the journal still finds its journal.
    """
    return _NON_ALNUM.sub("", number or "").upper()


class AccountJournal(models.Model):
    _inherit = "account.journal"

    o2c_balance_policy = fields.Selection(
        [
            ("refuse", "Refuse the file"),
            ("exception", "Import and open a balance exception"),
        ],
        string="Statement Balance Mismatch",
        default="refuse",
        required=True,
        help="What to do when opening balance + lines differs from the closing "
        "balance of an imported statement.",
    )
    o2c_csv_mapping = fields.Json(
        string="Saved CSV Mapping",
        help="Column mapping used for CSV / XLSX statements of this journal "
        "(saved from the import wizard).",
    )
    o2c_csv_mapping_display = fields.Text(
        string="CSV Mapping", compute="_compute_o2c_csv_mapping_display"
    )
    o2c_import_count = fields.Integer(compute="_compute_o2c_import_count")

    @api.depends("o2c_csv_mapping")
    def _compute_o2c_csv_mapping_display(self):
        for journal in self:
            mapping = journal.o2c_csv_mapping
            journal.o2c_csv_mapping_display = (
                json.dumps(
                    {k: v for k, v in mapping.items() if v not in (None, "", [])},
                    indent=2,
                    ensure_ascii=False,
                )
                if isinstance(mapping, dict)
                else False
            )

    def _compute_o2c_import_count(self):
        counts = dict(
            self.env["o2c.bank.statement.import"]._read_group(
                [("journal_id", "in", self.ids)], ["journal_id"], ["__count"]
            )
        )
        for journal in self:
            journal.o2c_import_count = counts.get(journal, 0)

    # --- BUSINESS METHODS

    @api.model
    def _o2c_find_for_account(self, account, currency_code=None, companies=None):
        """The bank journal whose bank account number is ``account``.

        Raises a ``UserError`` saying what to configure when no journal (or
        more than one) carries that account: guessing a journal would book a
        statement on the wrong bank account.
        """
        wanted = normalize_account_number(account)
        companies = companies or self.env.companies
        journals = self.search(
            [
                ("type", "in", ("bank", "credit")),
                ("company_id", "in", companies.ids),
                ("bank_account_id.sanitized_acc_number", "=", wanted),
            ]
        )
        if currency_code and len(journals) > 1:
            same_currency = journals.filtered(
                lambda j: (
                    (j.currency_id or j.company_id.currency_id).name == currency_code
                )
            )
            journals = same_currency or journals
        if not journals:
            raise UserError(
                self.env._(
                    "No bank journal has the account %(account)s of this statement. "
                    "Set it as the bank account of a bank journal (Accounting > "
                    "Configuration > Journals) or choose the journal in the wizard.",
                    account=account or "?",
                )
            )
        if len(journals) > 1:
            raise UserError(
                self.env._(
                    "Several journals have the account %(account)s (%(journals)s): "
                    "choose the journal in the import wizard.",
                    account=account,
                    journals=", ".join(journals.mapped("display_name")),
                )
            )
        return journals

    def _o2c_check_statement_account(self, account, currency_code):
        """Refuse a statement of another account or currency than the journal's."""
        self.ensure_one()
        own = self.bank_account_id.acc_number
        if (
            own
            and account
            and normalize_account_number(own) != normalize_account_number(account)
        ):
            raise UserError(
                self.env._(
                    "The statement is for account %(file)s but journal %(journal)s is "
                    "linked to account %(own)s.",
                    file=account,
                    journal=self.display_name,
                    own=own,
                )
            )
        journal_currency = self.currency_id or self.company_id.currency_id
        if currency_code and currency_code != journal_currency.name:
            raise UserError(
                self.env._(
                    "The statement of account %(account)s is in %(file)s but journal "
                    "%(journal)s is in %(own)s.",
                    account=account or "?",
                    file=currency_code,
                    journal=self.display_name,
                    own=journal_currency.name,
                )
            )

    # --- PUBLIC ACTIONS

    def action_o2c_configure_csv_mapping(self):
        """Open the mapping form: a sample file, column pickers and a preview."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("CSV / Excel Mapping"),
            "res_model": "o2c.bank.csv.mapping.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_journal_id": self.id},
        }

    def action_o2c_open_imports(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "o2c_bank_feed.o2c_bank_statement_import_action"
        )
        action["domain"] = [("journal_id", "=", self.id)]
        return action
