# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Creates bank statement lines fast, once, and race-safe.

Three guarantees, in this order:

1. **Once.** Every line carries its parser's unique import id; lines whose id
   already exists on the journal are skipped with ONE indexed query for the
   whole file, and a database unique index ``(journal_id, o2c_import_id)``
   is the real guarantee. When two imports of the same file race, the loser's
   insert hits the index; its savepoint is rolled back, the ids committed by
   the winner are read on a fresh cursor (the loser's REPEATABLE READ snapshot
   cannot see them) and only the remaining lines are inserted.
2. **Correct.** A statement line is an ``account.move`` with a liquidity and a
   suspense journal item. The ORM creates ~10 lines/s that way (a write and
   a sequence lookup per move), far from the 500 lines/s a 10,000-line file
   needs. So for each sequence period the FIRST line is created by the ORM
   (Odoo's own sequence locking, posting and checks run on it) and is used as
   a *prototype*: the other lines of the period are inserted in bulk as
   copies of its three rows where only the per-line columns are replaced
   (ids, number, date, amounts, partner, labels). Columns added by other
   modules keep the prototype's value. ``tests/test_bulk_writer.py`` compares
   bulk and ORM statements, lines, moves and journal items field by field (and
   reconciles, undoes and deletes bulk lines); ``tests/test_import.py`` compares
   a bulk line with an ORM line column by column.
3. **Conservative.** Anything unusual goes through the ORM: hash-protected
   journals, restrictive audit trail, locked periods, zero amounts, sequences
   that do not end with a plain number, small batches.
"""

import logging
from dataclasses import dataclass, field
from xmlrpc.client import MAXINT

import psycopg2

from odoo import api, models
from odoo.exceptions import UserError

from ..tools.bulk_sql import fetch_rows, insert_linked_rows, insert_rows, next_ids
from .o2c_bank_statement_import import line_label

_logger = logging.getLogger(__name__)

#: Below this many lines the ORM is fast enough and the prototype is overkill.
FAST_PATH_MIN_LINES = 20
#: Attempts when concurrent imports keep colliding on the same lines.
MAX_RACE_ATTEMPTS = 5
UNIQUE_INDEX_MARK = "o2c_import"
#: Keys of a line's vals the bulk copy writes besides the line's own columns.
CLONE_HANDLED_KEYS = frozenset(
    {
        "journal_id",
        "date",
        "statement_id",
        "partner_id",
        "amount",
        "payment_ref",
        "foreign_currency_id",
        "amount_currency",
        "sequence",
    }
)
#: Columns the copy sets itself (ids, links, authorship).
MAGIC_COLUMNS = frozenset(
    {"id", "move_id", "create_uid", "create_date", "write_uid", "write_date"}
)


@dataclass
class WriteResult:
    statement: object
    lines: object
    duplicates: int = 0
    notes: list = field(default_factory=list)


class O2cBankLineWriter(models.AbstractModel):
    _name = "o2c.bank.line.writer"
    _description = "O2C Bank Line Writer"

    # --- PREPARE

    @api.model
    def _o2c_write_statement(self, journal, statement, imp, with_statement=True):
        """Create the new lines of a parsed ``Statement`` on ``journal``."""
        partners = self._o2c_partners_by_account(
            journal.company_id, [line.counterparty_account for line in statement.lines]
        )
        currencies = self._o2c_currencies(
            {
                line.original_currency
                for line in statement.lines
                if line.original_currency
            }
        )
        vals_list = [
            self._o2c_prepare_line_vals(
                journal, statement, line, imp, partners, currencies
            )
            for line in statement.lines
        ]
        statement_vals = (
            {
                "name": statement.statement_id,
                "reference": imp.name,
                "journal_id": journal.id,
                "o2c_statement_import_id": imp.id,
            }
            if with_statement
            else None
        )
        result = self._o2c_write_lines(
            journal,
            vals_list,
            statement_vals=statement_vals,
            balances=(statement.opening_balance, statement.closing_balance),
        )
        return result

    @api.model
    def _o2c_prepare_line_vals(
        self, journal, statement, line, imp, partners, currencies
    ):
        """``account.bank.statement.line`` values of one parsed line."""
        journal_currency = journal.currency_id or journal.company_id.currency_id
        vals = {
            "journal_id": journal.id,
            "date": line.booking_date,
            "amount": float(line.amount),
            "payment_ref": line_label(line),
            "partner_name": line.counterparty_name or False,
            "account_number": line.counterparty_account or False,
            "transaction_type": line.transaction_code or False,
            "sequence": line.sequence or 1,
            "o2c_import_id": line.unique_import_id(
                statement.account, statement.statement_id
            ),
            "o2c_statement_import_id": imp.id,
            "o2c_end_to_end_id": line.end_to_end_id or False,
            "o2c_structured_ref": line.structured_reference or False,
            "o2c_counterparty_account": line.counterparty_account or False,
            "o2c_bank_reference": line.bank_reference or False,
            "transaction_details": _transaction_details(line),
        }
        partner_id = partners.get(_account_key(line.counterparty_account))
        if partner_id:
            vals["partner_id"] = partner_id
        currency = currencies.get(line.original_currency)
        if (
            currency
            and currency != journal_currency
            and line.original_amount
            and (line.original_amount > 0) == (line.amount > 0)
        ):
            vals["foreign_currency_id"] = currency.id
            vals["amount_currency"] = float(line.original_amount)
        return vals

    @api.model
    def _o2c_partners_by_account(self, company, accounts):
        """{sanitized account: commercial partner id} for unambiguous accounts.

        One query for the whole file. An account number shared by several
        commercial partners identifies nobody and is left out.
        """
        keys = sorted({_account_key(a) for a in accounts if a})
        if not keys:
            return {}
        self.env["res.partner.bank"].flush_model()
        self.env.cr.execute(
            """
            SELECT bank.sanitized_acc_number,
                   array_agg(DISTINCT
                             COALESCE(partner.commercial_partner_id, partner.id))
              FROM res_partner_bank bank
              JOIN res_partner partner ON partner.id = bank.partner_id
             WHERE bank.sanitized_acc_number = ANY(%s)
               AND bank.active AND partner.active
               AND (partner.company_id IS NULL OR partner.company_id = %s)
             GROUP BY bank.sanitized_acc_number
            """,
            [keys, company.id],
        )
        return {acc: ids[0] for acc, ids in self.env.cr.fetchall() if len(ids) == 1}

    @api.model
    def _o2c_currencies(self, codes):
        if not codes:
            return {}
        currencies = self.env["res.currency"].search([("name", "in", list(codes))])
        return {c.name: c for c in currencies}

    # --- WRITE (dedupe + race)

    @api.model
    def _o2c_existing_import_ids(self, journal, import_ids, cr=None):
        """Import ids of ``import_ids`` already on ``journal`` (one indexed query)."""
        cr = cr or self.env.cr
        if cr is self.env.cr:
            self.env["account.bank.statement.line"].flush_model(["o2c_import_id"])
        cr.execute(
            """SELECT o2c_import_id FROM account_bank_statement_line
                WHERE journal_id = %s AND o2c_import_id = ANY(%s)""",
            [journal.id, list(import_ids)],
        )
        return {row[0] for row in cr.fetchall()}

    @api.model
    def _o2c_committed_import_ids(self, journal, import_ids):
        """Same, as seen by a fresh transaction (what concurrent imports committed)."""
        with self.env.registry.cursor() as cr:
            return self._o2c_existing_import_ids(journal, import_ids, cr=cr)

    @api.model
    def _o2c_write_lines(
        self, journal, vals_list, statement_vals=None, balances=(None, None)
    ):
        """Create the lines of ``vals_list`` not yet imported; return a ``WriteResult``.

        Every vals dict needs ``o2c_import_id``. A statement is created (from
        ``statement_vals``) only when at least one line is new, so importing
        a file twice creates nothing the second time.
        """
        Line = self.env["account.bank.statement.line"]
        unique, seen = [], set()
        for vals in vals_list:
            if vals["o2c_import_id"] not in seen:
                seen.add(vals["o2c_import_id"])
                unique.append(vals)
        existing = self._o2c_existing_import_ids(journal, seen)
        for _attempt in range(MAX_RACE_ATTEMPTS):
            todo = [v for v in unique if v["o2c_import_id"] not in existing]
            duplicates = len(vals_list) - len(todo)
            if not todo:
                return WriteResult(None, Line, duplicates)
            try:
                with self.env.cr.savepoint():
                    statement = self._o2c_create_statement(
                        journal, statement_vals, todo, duplicates, balances
                    )
                    if statement:
                        todo = [dict(v, statement_id=statement.id) for v in todo]
                    lines = self._o2c_create_lines(journal, todo)
            except psycopg2.errors.UniqueViolation as exc:
                if UNIQUE_INDEX_MARK not in (exc.diag.constraint_name or ""):
                    raise
                # A concurrent import committed some of these lines after our
                # snapshot was taken: skip them and insert the rest.
                _logger.info(
                    "O2C bank import on %s raced with another import: re-filtering",
                    journal.display_name,
                )
                existing |= self._o2c_committed_import_ids(journal, seen)
                continue
            notes = []
            if duplicates and statement:
                notes.append(
                    self.env._(
                        "%(n)s line(s) of statement %(s)s were already imported.",
                        n=duplicates,
                        s=statement.name,
                    )
                )
            return WriteResult(statement, lines, duplicates, notes)
        raise UserError(
            self.env._(
                "Concurrent imports of the same lines kept colliding: try again."
            )
        )

    @api.model
    def _o2c_create_statement(
        self, journal, statement_vals, todo, duplicates, balances
    ):
        if not statement_vals:
            return None
        vals = dict(statement_vals)
        opening, closing = balances
        if closing is not None:
            vals["balance_end_real"] = float(closing)
            if duplicates or opening is None:
                # Only the new lines are booked on this statement: it starts
                # where the closing balance minus those lines says.
                vals["balance_start"] = float(closing) - sum(v["amount"] for v in todo)
            else:
                vals["balance_start"] = float(opening)
        elif opening is not None and not duplicates:
            vals["balance_start"] = float(opening)
        return self.env["account.bank.statement"].create(vals)

    # --- CREATE (ORM or bulk)

    @api.model
    def _o2c_create_lines(self, journal, vals_list):
        Line = self.env["account.bank.statement.line"].with_context(
            tracking_disable=True, mail_create_nolog=True, mail_notrack=True
        )
        if len(vals_list) < FAST_PATH_MIN_LINES or not self._o2c_fast_path_allowed(
            journal
        ):
            return Line.create(vals_list)
        lock_date = journal.company_id._get_user_fiscal_lock_date(journal)
        currency = journal.currency_id or journal.company_id.currency_id
        slow = [
            v
            for v in vals_list
            if v["date"] <= lock_date or currency.is_zero(v["amount"])
        ]
        fast = [
            v
            for v in vals_list
            if not (v["date"] <= lock_date or currency.is_zero(v["amount"]))
        ]
        created = Line.browse()
        while fast:
            prototype = Line.create(fast[:1])
            created |= prototype
            fast = fast[1:]
            period = self._o2c_sequence_period(prototype.move_id)
            if period is None:
                slow.extend(fast)
                break
            same = [v for v in fast if period[0] <= v["date"] <= period[1]]
            fast = [v for v in fast if not period[0] <= v["date"] <= period[1]]
            created |= self._o2c_clone_lines(journal, prototype, same)
        if slow:
            created |= Line.create(slow)
        return created.with_env(self.env)

    @api.model
    def _o2c_fast_path_allowed(self, journal):
        if self.env.context.get("o2c_import_orm"):
            return False
        param = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("o2c_bank_feed.bulk_insert", "1")
        )
        company = journal.company_id
        return (
            param not in ("0", "False", "false")
            and not journal.restrict_mode_hash_table
            and not company.restrictive_audit_trail
            and journal.default_account_id
            and journal.suspense_account_id
        )

    @api.model
    def _o2c_sequence_period(self, move):
        """(first day, last day) sharing the prototype's sequence prefix, or None."""
        if not move.name or move.name == "/" or not move.sequence_prefix:
            return None
        width = len(move.name) - len(move.sequence_prefix)
        if move.name != f"{move.sequence_prefix}{move.sequence_number:0{width}d}":
            return None
        reset = move._deduce_sequence_number_reset(move.name)
        date_start, date_end, _fy_start, _fy_end = move._get_sequence_date_range(reset)
        return date_start, date_end

    @api.model
    def _o2c_clone_lines(self, journal, prototype, vals_list):
        """Insert ``vals_list`` as copies of ``prototype`` (same journal and period)."""
        Line = self.env["account.bank.statement.line"]
        if not vals_list:
            return Line.browse()
        self.env.flush_all()
        cr = self.env.cr
        move = prototype.move_id
        move_row = fetch_rows(cr, "account_move", "id", move.id)[0]
        aml_rows = fetch_rows(cr, "account_move_line", "move_id", move.id)
        line_row = fetch_rows(cr, "account_bank_statement_line", "id", prototype.id)[0]
        liquidity_account = journal.default_account_id
        suspense_account = journal.suspense_account_id
        by_account = {row["account_id"]: row for row in aml_rows}
        line_columns = set(line_row)
        if not self._o2c_can_clone(journal, aml_rows, line_columns, vals_list):
            return Line.with_context(tracking_disable=True).create(vals_list)
        liquidity_row = by_account[liquidity_account.id]
        suspense_row = by_account[suspense_account.id]
        plain_defaults = self._o2c_plain_defaults(line_columns)

        count = len(vals_list)
        move_ids = next_ids(cr, "account_move", count)
        aml_ids = next_ids(cr, "account_move_line", 2 * count)
        line_ids = next_ids(cr, "account_bank_statement_line", count)
        cr.execute(
            """SELECT COALESCE(MAX(sequence_number), 0) FROM account_move
                WHERE journal_id = %s AND sequence_prefix = %s""",
            [journal.id, move.sequence_prefix],
        )
        next_number = cr.fetchone()[0] + 1
        width = len(move.name) - len(move.sequence_prefix)

        company = journal.company_id
        company_currency = company.currency_id
        journal_currency = journal.currency_id or company_currency
        rates, foreign_currencies = {}, {}
        partners = {
            p.id: p
            for p in self.env["res.partner"].browse(
                {v["partner_id"] for v in vals_list if v.get("partner_id")}
            )
        }
        created_by = self.env._("#Created by: %s", self.env.user.name)
        residual_accounts = {
            account.id
            for account in (liquidity_account | suspense_account)
            if account.reconcile
            or account.account_type in ("asset_cash", "liability_credit_card")
        }
        moves, amls, lines = [], [], []
        for index, vals in enumerate(vals_list):
            move_id, line_id = move_ids[index], line_ids[index]
            date = vals["date"]
            amount = journal_currency.round(vals["amount"])
            foreign = vals.get("foreign_currency_id") or None
            if foreign == journal_currency.id:
                foreign = None
            if foreign:
                if foreign not in foreign_currencies:
                    foreign_currencies[foreign] = self.env["res.currency"].browse(
                        foreign
                    )
                trans_amount = foreign_currencies[foreign].round(
                    vals["amount_currency"]
                )
            else:
                trans_amount = amount
            trans_currency = foreign or journal_currency.id
            if journal_currency == company_currency:
                company_amount = amount
            elif foreign == company_currency.id:
                company_amount = trans_amount
            else:
                if date not in rates:
                    rates[date] = journal_currency._get_conversion_rate(
                        journal_currency, company_currency, company, date
                    )
                company_amount = company_currency.round(amount * rates[date])
            partner = partners.get(vals.get("partner_id"))
            name = f"{move.sequence_prefix}{next_number + index:0{width}d}"
            label = vals.get("payment_ref") or False
            if company_amount > 0:
                total, total_currency = company_amount, amount
            else:
                total, total_currency = -company_amount, -trans_amount
            moves.append(
                {
                    **move_row,
                    "id": move_id,
                    "name": name,
                    "sequence_number": next_number + index,
                    "date": date,
                    "partner_id": partner.id if partner else None,
                    "commercial_partner_id": partner.commercial_partner_id.id
                    if partner
                    else None,
                    "statement_line_id": line_id,
                    "currency_id": trans_currency,
                    "invoice_partner_display_name": partner.display_name
                    if partner
                    else created_by,
                    "amount_total": total_currency,
                    "amount_total_signed": abs(total),
                    "amount_total_in_currency_signed": abs(total_currency),
                }
            )
            common = {
                "move_id": move_id,
                "date": date,
                "partner_id": partner.id if partner else None,
                "statement_line_id": line_id,
                "statement_id": vals.get("statement_id") or None,
                "name": label or None,
                "move_name": name,
            }
            for aml_id, row, currency_id, amount_currency, balance in (
                (
                    aml_ids[2 * index],
                    liquidity_row,
                    journal_currency.id,
                    amount,
                    company_amount,
                ),
                (
                    aml_ids[2 * index + 1],
                    suspense_row,
                    trans_currency,
                    -trans_amount,
                    -company_amount,
                ),
            ):
                with_residual = row["account_id"] in residual_accounts
                amls.append(
                    {
                        **row,
                        **common,
                        "id": aml_id,
                        "currency_id": currency_id,
                        "amount_currency": amount_currency,
                        "balance": balance,
                        "debit": balance if balance > 0 else 0.0,
                        "credit": -balance if balance < 0 else 0.0,
                        "amount_residual": balance if with_residual else 0.0,
                        "amount_residual_currency": amount_currency
                        if with_residual
                        else 0.0,
                        "price_subtotal": amount_currency,
                        "price_total": amount_currency,
                    }
                )
            # as the ORM: the field's default (1) when not given, 0 for an
            # explicit 0 / False
            sequence = int(vals.get("sequence", 1) or 0)
            line = {
                **line_row,
                **plain_defaults,
                **{k: v for k, v in vals.items() if k in line_columns},
                "id": line_id,
                "move_id": move_id,
                "statement_id": vals.get("statement_id") or None,
                "sequence": sequence,
                "partner_id": partner.id if partner else None,
                "currency_id": journal_currency.id,
                "foreign_currency_id": foreign,
                "amount": amount,
                "amount_currency": trans_amount if foreign else 0.0,
                "payment_ref": label or None,
                "internal_index": f"{date:%Y%m%d}{MAXINT - sequence:0>10}"
                f"{line_id:0>10}",
                "is_reconciled": False,
                "amount_residual": -trans_amount,
            }
            for key in ("partner_name", "account_number", "transaction_type"):
                line[key] = vals.get(key) or None
            lines.append(line)

        self._o2c_insert_entries(move_row, moves, lines, amls)
        # The ORM cache knows nothing of the inserted rows; the statement's
        # stored aggregates (balance_end, is_complete, ...) must be recomputed,
        # and Odoo's per-transaction sequence cache may hold a stale number.
        self.env.invalidate_all()
        self.env.cr.precommit.data.get("sequence.mixin", {}).clear()
        statements = Line.browse(line_ids).statement_id
        if statements:
            Statement = self.env["account.bank.statement"]
            for fname in (
                "first_line_index",
                "date",
                "balance_end",
                "is_complete",
                "is_valid",
            ):
                fld = Statement._fields.get(fname)
                if fld is not None and fld.store and fld.compute:
                    self.env.add_to_compute(fld, statements)
            statements.flush_recordset()
        return Line.browse(line_ids)

    @api.model
    def _o2c_can_clone(self, journal, aml_rows, line_columns, vals_list):
        """Whether the prototype has the plain shape and the vals only what we copy.

        Values of the line's journal entry (ref, narration, ...) that the copy
        would not write, or a prototype entry that is not one liquidity and
        one suspense item, go through the ORM.
        """
        accounts = [row["account_id"] for row in aml_rows]
        if sorted(accounts) != sorted(
            [journal.default_account_id.id, journal.suspense_account_id.id]
        ):
            return False
        given = set().union(*vals_list)
        return not (given - line_columns - CLONE_HANDLED_KEYS)

    @api.model
    def _o2c_plain_defaults(self, line_columns):
        """{column: default} of the line's plain (not computed) fields.

        A vals dict that leaves such a field out gets its default, as in the
        ORM, not the prototype's value (the prototype may have been given one).
        """
        Line = self.env["account.bank.statement.line"]
        plain = [
            name
            for name, fld in Line._fields.items()
            if name in line_columns
            and fld.store
            and fld.column_type
            and not fld.compute
            and not fld.related
            and name not in MAGIC_COLUMNS
        ]
        defaults = Line.default_get(plain)
        return {name: defaults.get(name) for name in plain}

    @api.model
    def _o2c_partner_fields(self):
        """Stored computed fields of a move that follow its partner.

        Found from the registry's dependencies, so fields added by other
        modules (a sales team, a localization's partner data) are included.
        ``narration`` is left out as the ORM's statement line creation does.
        """
        move_model = self.env["account.move"]
        registry = self.env.registry
        return [
            field
            for field in registry.get_dependent_fields(move_model._fields["partner_id"])
            if field.model_name == "account.move"
            and field.store
            and field.compute
            and field.name not in ("narration", "invoice_date_due")
        ]

    @api.model
    def _o2c_insert_entries(self, move_row, moves, lines, amls):
        """Insert the moves, statement lines and items built from ``move_row``.

        Moves sharing (partner, currency) share the partner-dependent values
        (fiscal position, commercial partner, sales team, ...): the first move
        of each group is inserted first and recomputed by the ORM, the others
        are inserted with its values. The prototype's group needs none.
        """
        groups = {}
        for index, move_vals in enumerate(moves):
            key = (move_vals["partner_id"], move_vals["currency_id"])
            groups.setdefault(key, []).append(index)
        groups.pop((move_row["partner_id"], move_row["currency_id"]), None)
        leaders = sorted(indexes[0] for indexes in groups.values())
        self._o2c_insert_rows(moves, lines, amls, leaders)
        values = self._o2c_partner_values([moves[i]["id"] for i in leaders])
        for indexes in groups.values():
            for index in indexes[1:]:
                moves[index].update(values[moves[indexes[0]]["id"]])
        leader_set = set(leaders)
        self._o2c_insert_rows(
            moves, lines, amls, [i for i in range(len(moves)) if i not in leader_set]
        )

    @api.model
    def _o2c_insert_rows(self, moves, lines, amls, indexes):
        """Insert the moves, statement lines and items of ``indexes``.

        A move and its statement line reference each other (both foreign keys
        are checked at once): they are inserted by one statement, so no row is
        written twice.
        """
        if not indexes:
            return
        insert_linked_rows(
            self.env.cr,
            ("account_move", [moves[i] for i in indexes]),
            ("account_bank_statement_line", [lines[i] for i in indexes]),
        )
        insert_rows(
            self.env.cr,
            "account_move_line",
            [aml for i in indexes for aml in (amls[2 * i], amls[2 * i + 1])],
        )

    @api.model
    def _o2c_partner_values(self, move_ids):
        """{move id: {column: value}} of the partner-dependent fields, by the ORM.

        The fields are recomputed on the (inserted) moves ``move_ids`` with
        Odoo's own code and read back from the database.
        """
        if not move_ids:
            return {}
        fields_ = self._o2c_partner_fields()
        moves = self.env["account.move"].browse(move_ids)
        moves.invalidate_recordset()
        for fld in fields_:
            self.env.add_to_compute(fld, moves)
        # Odoo's ``_validate_taxes_country`` constraint (run when the fiscal
        # position is recomputed) assigns the non-stored ``tax_country_id``,
        # which outside a computation is a full ``account.move.write()`` of
        # every move (dynamic lines, balance, statement sync) for a value
        # that only lives in the cache. Computed under protection, the same
        # value goes to the cache alone.
        unstored = moves._fields.get("tax_country_id")
        if unstored is not None and not unstored.store and unstored.compute:
            with self.env.protecting([unstored], moves):
                unstored.compute_value(moves)
                self.env.flush_all()
        else:
            self.env.flush_all()
        columns = [f.name for f in fields_ if f.column_type]
        if not columns:
            return {move_id: {} for move_id in move_ids}
        names = ", ".join(f'"{c}"' for c in columns)
        self.env.cr.execute(
            f"SELECT id, {names} FROM account_move WHERE id = ANY(%s)", [move_ids]
        )
        return {
            row[0]: dict(zip(columns, row[1:], strict=True))
            for row in self.env.cr.fetchall()
        }


def _account_key(account):
    return "".join(ch for ch in (account or "") if ch.isalnum()).upper()


def _transaction_details(line):
    """What the bank said about the line, for people and for the engine."""
    details = {
        "bank_reference": line.bank_reference,
        "end_to_end_id": line.end_to_end_id,
        "structured_reference": line.structured_reference,
        "remittance": line.remittance,
        "counterparty_name": line.counterparty_name,
        "counterparty_account": line.counterparty_account,
        "counterparty_bic": line.counterparty_bic,
        "value_date": line.value_date.isoformat() if line.value_date else None,
        "original_amount": str(line.original_amount)
        if line.original_amount is not None
        else None,
        "original_currency": line.original_currency,
        "transaction_code": line.transaction_code,
        "customer_reference": line.customer_reference,
        "is_reversal": line.is_reversal or None,
    }
    details.update({f"extra_{k}": v for k, v in (line.extra or {}).items()})
    return {k: v for k, v in details.items() if v is not None}
