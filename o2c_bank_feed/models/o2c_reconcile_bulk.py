# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Books the plain automatic matches in bulk SQL, exactly as Odoo would.

``o2c.reconcile.poster`` books a match through the ORM: the bank entry's
suspense journal item is replaced by counterparts, and each counterpart is
reconciled with its open item by ``account.move.line._reconcile_plan``.
That costs ~8 ms a line, almost all of it Odoo's generic machinery (create,
partial and full reconcile records, recomputations), and caps the
reconciliation at ~110 lines/s.

For the plain case, which is most of a statement, the same rows are written
here with a few statements for the whole batch:

- the counterparts are copies of the line's suspense item (same entry,
  journal, date, label, currency, ...) with the account, partner and
  amounts replaced, and the suspense item is deleted, as the ORM does;
- one ``account.partial.reconcile`` per counterpart and item, an
  ``account.full.reconcile`` where the item is now settled, the residual
  amounts, ``reconciled`` flags and matching numbers of both items;
- everything that depends on those rows in other records (the invoice's
  residual and payment state, the statement line's ``is_reconciled``, a
  payment's or settlement's state, fields added by other modules) is left to
  the ORM: the touched items are marked modified, so Odoo recomputes their
  dependents with its own code, then Odoo's reconcile hooks run (an invoice
  that became paid gets ``_invoice_paid_hook``).

"Plain" is checked per line, conservatively; anything else goes through the
ORM: amounts in a foreign currency (exchange differences), cash-basis taxes,
storno accounting, restrictive audit trail, hash-protected journals, items
already partly reconciled, matched with a payment or paid by two lines of the
batch, a payment larger than
its items (a remainder left on suspense), databases with analytic
distribution models. ``tests/test_reconcile_bulk.py`` runs every shape
of match both ways from the same state and compares every stored field of
the journal items, entries, statement lines, partial and full reconciles.
"""

from collections import Counter

from odoo import api, fields, models

from ..lib.matching import money
from ..tools.bulk_sql import column_names, next_ids

#: Journal item columns the counterpart does not copy from the suspense item.
OWN_COLUMNS = (
    "id",
    "account_id",
    "partner_id",
    "name",
    "balance",
    "debit",
    "credit",
    "amount_currency",
    "amount_residual",
    "amount_residual_currency",
    "reconciled",
    "matching_number",
    "full_reconcile_id",
    "analytic_distribution",
    "price_subtotal",
    "price_total",
    "create_uid",
    "write_uid",
    "create_date",
    "write_date",
)
#: Journal item fields written here, hence not to be recomputed by the ORM.
WRITTEN_FIELDS = (
    "amount_residual",
    "amount_residual_currency",
    "reconciled",
    "full_reconcile_id",
    "matching_number",
)
#: Journal item types whose subtotal Odoo computes (else it is empty).
PRODUCT_TYPES = [
    "product",
    "cogs",
    "non_deductible_product",
    "non_deductible_product_total",
]
#: Journal item fields whose constraints are checked on the rows written (their
#: taxes are the suspense item's: none, see ``_is_plain``).
CHECKED_FIELDS = [
    "account_id",
    "display_type",
    "reconciled",
    "matching_number",
    "matched_debit_ids",
    "matched_credit_ids",
]
#: Item fields whose change the ORM propagates to the dependent records.
MODIFIED_FIELDS = (
    "matched_debit_ids",
    "matched_credit_ids",
    *WRITTEN_FIELDS,
)


class O2cReconcileBulk(models.AbstractModel):
    _name = "o2c.reconcile.bulk"
    _description = "O2C Bank Reconciliation Bulk Booking"

    # --- WHICH LINES

    @api.model
    def _split(self, entries, analytic_models):
        """``(plain, other)``: the entries this service books, and the rest.

        ``entries`` are ``(line, proposal, rule, items)`` as the poster builds
        them (items prefetched together).
        """
        if not entries or not self._enabled():
            return [], entries
        items = self.env["account.move.line"].concat(*[e[3] for e in entries])
        matched = self._items_with_matched_payments(items)
        # An item several lines of the batch pay (two instalments on one
        # statement) is reconciled step by step by Odoo, for all of them.
        uses = Counter(items.ids)
        plain, other = [], []
        for entry in entries:
            shared = any(uses[item_id] > 1 for item_id in entry[3].ids)
            if not shared and self._is_plain(entry, matched, analytic_models):
                plain.append(entry)
            else:
                other.append(entry)
        return plain, other

    @api.model
    def _enabled(self):
        """System parameter ``o2c_bank_feed.bulk_reconcile`` = 0 switches it off."""
        param = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("o2c_bank_feed.bulk_reconcile", "1")
        )
        return param not in ("0", "False", "false")

    @api.model
    def _items_with_matched_payments(self, items):
        """Ids of the items whose entry is linked to a payment (Odoo updates it)."""
        if not items:
            return set()
        self.env["account.move"].flush_model(["matched_payment_ids"])
        self.env.cr.execute(
            """SELECT aml.id FROM account_move_line aml
                 JOIN account_move__account_payment rel
                   ON rel.invoice_id = aml.move_id
                WHERE aml.id = ANY(%s)""",
            [items.ids],
        )
        return {row[0] for row in self.env.cr.fetchall()}

    @api.model
    def _is_plain(self, entry, matched, analytic_models):
        line, proposal, _rule, items = entry
        company = line.company_id
        currency = company.currency_id
        journal = line.journal_id
        if (
            company.restrictive_audit_trail
            or company.tax_exigibility
            or company.account_storno
            or journal.restrict_mode_hash_table
            or line.foreign_currency_id
            or (journal.currency_id and journal.currency_id != currency)
            or proposal.remainder
            # a distribution model may give any item an analytic distribution
            or analytic_models
            or line.move_id.state != "posted"
            or line.move_id.move_type != "entry"
            # untaxed bank items: their subtotal is their amount
            or line.move_id.line_ids.tax_ids
        ):
            return False
        return all(
            item.id not in matched
            and item.currency_id == currency
            and item.company_id == company
            and item.parent_state == "posted"
            and item.account_id.reconcile
            and not item.reconciled
            and not item.matching_number
            and not item.full_reconcile_id
            # the counterpart is consumed whole: at most the item's residual
            and _fits(amount, item.amount_residual, currency.decimal_places)
            for item, amount in zip(items, proposal.amounts, strict=True)
        )

    # --- BOOK

    @api.model
    def _book(self, prepared):
        """Write counterparts and reconciliations of ``prepared`` in bulk.

        ``prepared`` is the poster's ``[(line, items, liquidity, suspense,
        partner, remainder, new_vals)]`` (no remainder here). The caller has
        written the partners and holds the balance check of the entries.
        Returns ``[(line, [counterpart | item, ...])]`` like the ORM path.
        """
        if not prepared:
            return []
        env = self.env
        cr = env.cr
        Aml = env["account.move.line"]
        moves = env["account.move"].browse([p[0].move_id.id for p in prepared])
        suspense = Aml.browse([p[3].id for p in prepared])
        items = Aml.concat(*[p[1] for p in prepared])
        # the checks the ORM runs when it adds and removes items of posted entries
        moves._check_fiscal_lock_dates()
        suspense._check_tax_lock_date()
        pre_hook = items._reconcile_pre_hook()
        env.flush_all()

        company_currency = {
            line.id: line.company_currency_id for line, *_rest in prepared
        }
        reconcilable = self._residual_accounts(
            {vals["account_id"] for p in prepared for vals in p[6]}
        )
        new_ids = next_ids(cr, "account_move_line", sum(len(p[6]) for p in prepared))
        pair_count = sum(len(p[1]) for p in prepared)
        all_partial_ids = next_ids(cr, "account_partial_reconcile", pair_count)
        partial_ids = iter(all_partial_ids)
        # Every row is written once, final: the counterpart is consumed whole
        # by its item; the item keeps what is left, and is settled (a full
        # reconcile, which names the matching number) when nothing is.
        rows, partials, item_rows, settled, position = [], [], [], [], 0
        for line, line_items, _liq, susp, _partner, _rem, new_vals in prepared:
            currency = company_currency[line.id]
            for index, vals in enumerate(new_vals):
                aml_id = new_ids[position]
                position += 1
                balance = currency.round(vals["balance"])
                row = [
                    aml_id,
                    susp.id,
                    vals["account_id"],
                    vals.get("partner_id") or None,
                    vals.get("name") or None,
                    balance,
                    vals["amount_currency"],
                    0.0,  # residual
                    False,  # reconciled
                    None,  # full reconcile
                    None,  # matching number
                ]
                rows.append(row)
                if index >= len(line_items):
                    if vals["account_id"] in reconcilable:
                        row[7], row[8] = balance, currency.is_zero(balance)
                    continue
                item = line_items[index]
                partial_id = next(partial_ids)
                debit, credit = (item.id, aml_id) if balance < 0 else (aml_id, item.id)
                partials.append(
                    [partial_id, debit, credit, abs(balance), currency.id, None]
                )
                residual = currency.round(item.amount_residual + balance)
                item_row = [item.id, residual, currency.is_zero(residual), None, None]
                item_rows.append(item_row)
                row[8] = True
                if item_row[2]:
                    settled.append((row, item_row, partials[-1]))
                else:
                    row[10] = item_row[4] = f"P{partial_id}"
        full_ids = next_ids(cr, "account_full_reconcile", len(settled))
        for full_id, (row, item_row, partial) in zip(full_ids, settled, strict=True):
            row[9] = item_row[3] = partial[5] = full_id
            row[10] = item_row[4] = str(full_id)
        self._insert_fulls(full_ids)
        self._insert_counterparts(rows)
        cr.execute("DELETE FROM account_move_line WHERE id = ANY(%s)", [suspense.ids])
        self._insert_partials(partials, item_rows)
        env.invalidate_all()
        # the constraints the ORM checks on what it creates
        Aml.browse(new_ids)._validate_fields(CHECKED_FIELDS)
        items._validate_fields(CHECKED_FIELDS)
        env["account.partial.reconcile"].browse(all_partial_ids)._validate_fields(
            ["debit_currency_id", "credit_currency_id"]
        )

        # Odoo recomputes, with its own code, what depends on the new rows.
        touched = Aml.browse(new_ids) | items
        touched.modified(MODIFIED_FIELDS)
        Aml.browse(new_ids).modified(
            ["move_id", "account_id", "balance", "amount_currency"], create=True
        )
        for name in Aml._fields:
            field = Aml._fields[name]
            if field.store and field.compute:
                env.remove_to_compute(field, touched)
        env.flush_all()
        items._reconcile_post_hook(pre_hook)

        done, position = [], 0
        for line, line_items, *_rest, new_vals in prepared:
            counterparts = Aml.browse(new_ids[position : position + len(line_items)])
            position += len(new_vals)
            done.append(
                (
                    line,
                    [
                        cp | item
                        for cp, item in zip(counterparts, line_items, strict=True)
                    ],
                )
            )
        return done

    @api.model
    def _residual_accounts(self, account_ids):
        """Accounts whose items carry a residual amount (Odoo's rule)."""
        accounts = self.env["account.account"].browse(sorted(account_ids))
        return {
            account.id
            for account in accounts
            if account.reconcile
            or account.account_type in ("asset_cash", "liability_credit_card")
        }

    @api.model
    def _insert_fulls(self, full_ids):
        if full_ids:
            self.env.cr.execute(
                """INSERT INTO account_full_reconcile
                       (id, create_uid, write_uid, create_date, write_date)
                   SELECT id, %s, %s, %s, %s FROM unnest(%s::int[]) AS f(id)
                    ORDER BY id""",
                [*self._authorship(), full_ids],
            )

    @api.model
    def _insert_counterparts(self, rows):
        """Copy each suspense item into its counterparts, own columns replaced.

        ``rows``: ``[id, suspense id, account, partner, label, balance, amount
        in currency, residual, reconciled, full reconcile, matching number]``.
        """
        cr = self.env.cr
        copied = [
            c for c in column_names(cr, "account_move_line") if c not in OWN_COLUMNS
        ]
        copy_list = ", ".join(f'"{c}"' for c in copied)
        source_list = ", ".join(f's."{c}"' for c in copied)
        for start in range(0, len(rows), 1000):
            chunk = rows[start : start + 1000]
            cr.execute(
                f"""INSERT INTO account_move_line
                        (id, account_id, partner_id, name, balance, debit, credit,
                         amount_currency, amount_residual, amount_residual_currency,
                         reconciled, full_reconcile_id, matching_number,
                         create_uid, write_uid, create_date, write_date,
                         price_subtotal, price_total, {copy_list})
                    SELECT v.id, v.account_id, v.partner_id, v.name, v.balance,
                           GREATEST(v.balance, 0), GREATEST(-v.balance, 0),
                           v.amount_currency, v.residual, v.residual, v.reconciled,
                           v.full_id, v.number, %s, %s, %s, %s,
                           -- Odoo's subtotal of an untaxed item of a journal
                           -- entry: its amount (``_compute_totals``)
                           CASE WHEN s.display_type = ANY(%s) THEN v.amount_currency
                           END,
                           CASE WHEN s.display_type = ANY(%s) THEN v.amount_currency
                           END,
                           {source_list}
                      FROM unnest(%s::int[], %s::int[], %s::int[], %s::int[],
                                  %s::varchar[], %s::numeric[], %s::numeric[],
                                  %s::numeric[], %s::bool[], %s::int[], %s::varchar[])
                           AS v(id, source, account_id, partner_id, name, balance,
                                amount_currency, residual, reconciled, full_id,
                                number)
                      JOIN account_move_line s ON s.id = v.source
                     ORDER BY v.id""",
                [
                    *self._authorship(),
                    PRODUCT_TYPES,
                    PRODUCT_TYPES,
                    *(list(column) for column in zip(*chunk, strict=True)),
                ],
            )

    @api.model
    def _insert_partials(self, partials, item_rows):
        """The partial reconciles, then the items' residuals, flags and numbers.

        ``partials``: ``[id, debit item, credit item, amount, currency,
        full reconcile]`` (one currency: the amounts in currency are the
        amount); ``item_rows``: ``[item, residual, settled, full reconcile,
        matching number]``. The matching number is the full reconcile's id,
        else 'P' and the partial's id: Odoo's numbering.
        """
        if not partials:
            return
        cr = self.env.cr
        ids, debits, credits, amounts, currencies, fulls = (
            list(column) for column in zip(*partials, strict=True)
        )
        cr.execute(
            """INSERT INTO account_partial_reconcile
                   (id, debit_move_id, credit_move_id, amount, debit_amount_currency,
                    credit_amount_currency, debit_currency_id, credit_currency_id,
                    company_id, max_date, full_reconcile_id, create_uid, write_uid,
                    create_date, write_date)
               SELECT p.id, p.debit, p.credit, p.amount, p.amount, p.amount,
                      p.currency_id, p.currency_id, d.company_id,
                      GREATEST(d.date, c.date), p.full_id, %s, %s, %s, %s
                 FROM unnest(%s::int[], %s::int[], %s::int[], %s::numeric[],
                             %s::int[], %s::int[])
                      AS p(id, debit, credit, amount, currency_id, full_id)
                 JOIN account_move_line d ON d.id = p.debit
                 JOIN account_move_line c ON c.id = p.credit
                ORDER BY p.id""",
            [*self._authorship(), ids, debits, credits, amounts, currencies, fulls],
        )
        item_ids, residuals, flags, full_ids, numbers = (
            list(column) for column in zip(*item_rows, strict=True)
        )
        cr.execute(
            """UPDATE account_move_line aml
                  SET amount_residual = u.residual,
                      amount_residual_currency = u.residual,
                      reconciled = u.settled,
                      full_reconcile_id = u.full_id,
                      matching_number = u.number
                 FROM unnest(%s::int[], %s::numeric[], %s::bool[], %s::int[],
                             %s::varchar[])
                      AS u(id, residual, settled, full_id, number)
                WHERE aml.id = u.id""",
            [item_ids, residuals, flags, full_ids, numbers],
        )

    @api.model
    def _authorship(self):
        now = fields.Datetime.now()
        return [self.env.uid, self.env.uid, now, now]


def _fits(amount, residual, digits):
    """``amount`` is a payment of at most ``residual``, on the same side."""
    residual = money(residual, digits)
    return (
        bool(amount) and (amount > 0) == (residual > 0) and abs(amount) <= abs(residual)
    )
