# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The CSV / XLSX column mapping of a bank journal, built from a sample file.

Two steps: upload a sample export ("Read Columns" detects the format, the delimiter
and the header, and guesses the columns from their names), then pick the columns
from the file's own header and see the first lines as the import will read them.
"Save Mapping" stores the mapping (``tabular.TabularMapping.to_dict``) on the journal.
"""

import base64

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..lib.detect import detect_format
from ..lib.statement import ParseError
from ..lib.tabular import TabularMapping, parse_tabular
from ..lib.tabular_sample import guess_columns, guess_date_format, read_sample

PREVIEW_LINES = 5
THOUSANDS = {"point": ".", "comma": ",", "space": " ", "apostrophe": "'"}
#: wizard field -> mapping column
COLUMN_FIELDS = {
    "date_column_id": "date",
    "amount_column_id": "amount",
    "debit_column_id": "debit",
    "credit_column_id": "credit",
    "label_column_id": "remittance",
    "reference_column_id": "reference",
    "partner_column_id": "counterparty_name",
    "iban_column_id": "counterparty_account",
    "currency_column_id": "currency",
    "bank_reference_column_id": "bank_reference",
}


class O2cBankCsvMappingColumn(models.TransientModel):
    _name = "o2c.bank.csv.mapping.column"
    _description = "Column of a sample bank export"
    _order = "index"

    wizard_id = fields.Many2one(
        "o2c.bank.csv.mapping.wizard", required=True, ondelete="cascade"
    )
    index = fields.Integer(required=True)
    name = fields.Char(required=True)
    sample = fields.Char(string="First Value")

    @api.depends("name", "sample")
    def _compute_display_name(self):
        for column in self:
            column.display_name = (
                f"{column.name} ({column.sample})" if column.sample else column.name
            )


class O2cBankCsvMappingWizard(models.TransientModel):
    _name = "o2c.bank.csv.mapping.wizard"
    _description = "CSV / Excel column mapping of a bank journal"

    journal_id = fields.Many2one(
        "account.journal",
        required=True,
        domain="[('type', 'in', ('bank', 'credit'))]",
    )
    state = fields.Selection(
        [("upload", "Sample"), ("map", "Columns")], default="upload", required=True
    )
    sample_file = fields.Binary(string="Sample File", attachment=False)
    sample_filename = fields.Char()
    file_format = fields.Selection(
        [("csv", "CSV"), ("xlsx", "Excel (XLSX)")], readonly=True
    )
    delimiter = fields.Selection(
        [
            (";", "Semicolon ( ; )"),
            (",", "Comma ( , )"),
            ("\t", "Tab"),
            ("|", "Pipe ( | )"),
        ],
        help="Detected from the sample; change it if the preview looks wrong.",
    )
    encoding = fields.Selection(
        [("utf-8-sig", "UTF-8"), ("cp1252", "Windows-1252"), ("latin-1", "Latin-1")],
        default="utf-8-sig",
        required=True,
    )
    has_header = fields.Boolean(string="First Row Is a Header", default=True)
    skip_rows = fields.Integer(string="Rows Before the Header")
    column_ids = fields.One2many("o2c.bank.csv.mapping.column", "wizard_id")
    amount_mode = fields.Selection(
        [("signed", "One signed amount column"), ("split", "Debit and credit columns")],
        default="signed",
        required=True,
    )
    date_column_id = fields.Many2one("o2c.bank.csv.mapping.column", string="Date")
    amount_column_id = fields.Many2one("o2c.bank.csv.mapping.column", string="Amount")
    debit_column_id = fields.Many2one("o2c.bank.csv.mapping.column", string="Debit")
    credit_column_id = fields.Many2one("o2c.bank.csv.mapping.column", string="Credit")
    label_column_id = fields.Many2one("o2c.bank.csv.mapping.column", string="Label")
    reference_column_id = fields.Many2one(
        "o2c.bank.csv.mapping.column",
        string="Payment Reference",
        help="A structured reference (invoice number, RF reference) used for exact "
        "matching.",
    )
    partner_column_id = fields.Many2one(
        "o2c.bank.csv.mapping.column", string="Counterparty Name"
    )
    iban_column_id = fields.Many2one(
        "o2c.bank.csv.mapping.column", string="Counterparty IBAN"
    )
    currency_column_id = fields.Many2one(
        "o2c.bank.csv.mapping.column", string="Currency Column"
    )
    bank_reference_column_id = fields.Many2one(
        "o2c.bank.csv.mapping.column",
        string="Bank Transaction ID",
        help="The bank's own id of the line: the surest way to skip lines already "
        "imported.",
    )
    currency_id = fields.Many2one(
        "res.currency",
        string="Currency",
        help="Currency of every line when the file has no currency column.",
    )
    date_format = fields.Char(
        help="strftime format such as %d.%m.%Y; empty: read day first.",
    )
    decimal_separator = fields.Selection(
        [(".", "Point ( 1234.56 )"), (",", "Comma ( 1234,56 )")],
        default=".",
        required=True,
    )
    thousands_separator = fields.Selection(
        [
            ("point", "Point ( 1.234 )"),
            ("comma", "Comma ( 1,234 )"),
            ("space", "Space"),
            ("apostrophe", "Apostrophe"),
        ],
        help="Empty: amounts have no thousands separator.",
    )
    preview_html = fields.Html(
        string="Preview", compute="_compute_preview_html", sanitize=False
    )

    # --- COMPUTE METHODS

    @api.depends(
        "sample_file",
        "file_format",
        "delimiter",
        "encoding",
        "has_header",
        "skip_rows",
        "amount_mode",
        "currency_id",
        "date_format",
        "decimal_separator",
        "thousands_separator",
        *COLUMN_FIELDS,
    )
    def _compute_preview_html(self):
        for wizard in self:
            if wizard.state != "map" or not wizard.sample_file:
                wizard.preview_html = False
                continue
            try:
                lines = wizard._preview_lines()
            except (ParseError, UserError, ValueError) as exc:
                wizard.preview_html = Markup(
                    '<div class="alert alert-warning o_o2c_preview_error" role="alert">%s</div>'
                ) % (str(exc.args[0]) if isinstance(exc, UserError) else str(exc))
                continue
            wizard.preview_html = wizard._preview_table(lines)

    # --- BUSINESS METHODS

    def _data(self):
        self.ensure_one()
        # the web client reads with bin_size: the field would give "1.2 Kb"
        content = self.with_context(bin_size=False).sample_file
        if not content:
            raise UserError(self.env._("Upload a sample file of the bank first."))
        return base64.b64decode(content)

    def _mapping_dict(self):
        """The mapping chosen in the form (``TabularMapping.to_dict`` keys)."""
        self.ensure_one()
        mapping = {
            "delimiter": self.delimiter or None,
            "encoding": self.encoding,
            "has_header": self.has_header,
            "skip_rows": max(self.skip_rows, 0),
            "decimal_separator": self.decimal_separator,
            "thousands_separator": THOUSANDS.get(self.thousands_separator),
            "date_format": (self.date_format or "").strip() or None,
            "currency": self.currency_id.name or None,
        }
        split = self.amount_mode == "split"
        for field_name, column in COLUMN_FIELDS.items():
            if (
                column == "amount"
                and split
                or column in ("debit", "credit")
                and not split
            ):
                continue
            picked = self[field_name]
            if not picked:
                continue
            mapping[f"{column}_column"] = (
                picked.name if self.has_header else picked.index
            )
        if "date_column" not in mapping:
            raise UserError(self.env._("Choose the column of the date."))
        return mapping

    def _tabular_mapping(self):
        try:
            return TabularMapping.from_dict(self._mapping_dict())
        except ParseError as exc:
            raise UserError(
                self.env._("The mapping is not complete: %(e)s", e=exc.detail)
            ) from exc

    def _preview_lines(self):
        statements = parse_tabular(
            self._data(), self._tabular_mapping(), self.file_format or "csv"
        )
        lines = sorted(
            (line for statement in statements for line in statement.lines),
            key=lambda line: line.raw or "",
        )
        return lines[:PREVIEW_LINES]

    def _preview_table(self, lines):
        headers = [
            self.env._("Date"),
            self.env._("Amount"),
            self.env._("Currency"),
            self.env._("Counterparty"),
            self.env._("Label"),
            self.env._("Reference"),
        ]
        head = Markup("").join(Markup("<th>%s</th>") % h for h in headers)
        rows = Markup("").join(
            Markup(
                "<tr><td>%s</td><td class='text-end'>%s</td><td>%s</td><td>%s</td>"
                "<td>%s</td><td>%s</td></tr>"
            )
            % (
                line.booking_date,
                line.amount,
                line.currency,
                line.counterparty_name or "",
                line.remittance or "",
                line.structured_reference or line.bank_reference or "",
            )
            for line in lines
        )
        return Markup(
            '<table class="table table-sm o_o2c_csv_preview"><thead><tr>%s</tr></thead>'
            "<tbody>%s</tbody></table>"
        ) % (head, rows)

    # --- PUBLIC ACTIONS

    def action_read_columns(self):
        """Detect the format, delimiter and header; list the columns; guess them."""
        self.ensure_one()
        data = self._data()
        try:
            fmt = detect_format(data, self.sample_filename)
        except ParseError as exc:
            raise UserError(
                self.env._("The sample cannot be read: %(e)s", e=exc.detail)
            ) from exc
        if fmt not in ("csv", "xlsx"):
            raise UserError(
                self.env._(
                    "%(file)s is a %(fmt)s file: it needs no column mapping, import it "
                    "as it is.",
                    file=self.sample_filename or self.env._("The sample"),
                    fmt=fmt.upper(),
                )
            )
        try:
            sample = read_sample(
                data,
                fmt,
                delimiter=self.delimiter or None,
                has_header=self.has_header,
                skip_rows=max(self.skip_rows, 0),
                encoding=self.encoding,
            )
        except ParseError as exc:
            raise UserError(
                self.env._("The sample cannot be read: %(e)s", e=exc)
            ) from exc
        if not sample.width:
            raise UserError(self.env._("The sample holds no row."))
        self.column_ids.unlink()
        names = sample.column_names()
        columns = self.env["o2c.bank.csv.mapping.column"].create(
            [
                {
                    "wizard_id": self.id,
                    "index": index,
                    "name": name,
                    "sample": sample.first_value(index),
                }
                for index, name in enumerate(names)
            ]
        )
        by_index = {column.index: column for column in columns}
        guessed = guess_columns(names if sample.header else [])
        vals = {
            "state": "map",
            "file_format": fmt,
            "delimiter": sample.delimiter or False,
            "amount_mode": "split"
            if "debit" in guessed and "credit" in guessed and "amount" not in guessed
            else "signed",
        }
        for field_name, column in COLUMN_FIELDS.items():
            vals[field_name] = (
                by_index[guessed[column]].id if column in guessed else False
            )
        if "date" in guessed and not self.date_format:
            vals["date_format"] = guess_date_format(sample.first_value(guessed["date"]))
        if not self.currency_id and "currency" not in guessed:
            journal = self.journal_id
            vals["currency_id"] = (
                journal.currency_id or journal.company_id.currency_id
            ).id
        self.write(vals)
        return self._reopen()

    def action_save(self):
        """Check the mapping on the sample, then save it on the journal."""
        self.ensure_one()
        try:
            self._preview_lines()
        except ParseError as exc:
            raise UserError(
                self.env._(
                    "The sample does not read with this mapping, nothing was saved: "
                    "%(e)s",
                    e=exc,
                )
            ) from exc
        mapping = self._tabular_mapping().to_dict()
        self.journal_id.sudo().o2c_csv_mapping = mapping
        self.env["o2c.audit.log"]._log(
            "bank.csv_mapping",
            self.env._("CSV mapping of %(j)s saved", j=self.journal_id.display_name),
            records=self.journal_id,
            data=mapping,
        )
        return {"type": "ir.actions.act_window_close"}

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": self.env._("CSV / Excel Mapping"),
        }
