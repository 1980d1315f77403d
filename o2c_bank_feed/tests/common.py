# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Fixtures of the bank feed tests (and of the benchmark): CAMT builder, invoices.

``camt_document(...)`` writes a small but complete CAMT.053 statement from a
list of entry dicts, so each test states its bank lines next to its
assertions::

    data = camt_document(
        [{"amount": "100.00", "ref": "B1", "structured": "INV/2026/00001",
          "name": "Azure Interior", "iban": "BE71096123456769"}],
        account=IBAN, currency="USD", opening="0.00", closing="100.00")
"""

from datetime import date
from decimal import Decimal
from xml.sax.saxutils import escape

from odoo.fields import Command

from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.addons.o2c_integration.tests.common import O2cTestMixin

COMPANY_IBAN = "DE89370400440532013000"
CUSTOMER_IBAN = "BE71096123456769"
VENDOR_IBAN = "FR1420041010050500013M02606"
NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"


def _amount(value):
    return f"{abs(Decimal(str(value))):.2f}"


def _entry_xml(entry, currency):
    amount = Decimal(str(entry["amount"]))
    indicator = "CRDT" if amount >= 0 else "DBIT"
    role = "Dbtr" if amount >= 0 else "Cdtr"
    booked = entry.get("date", "2026-03-02")
    parts = [
        "<Ntry>",
        f'<Amt Ccy="{currency}">{_amount(amount)}</Amt>',
        f"<CdtDbtInd>{indicator}</CdtDbtInd>",
        "<Sts><Cd>BOOK</Cd></Sts>",
        f"<BookgDt><Dt>{booked}</Dt></BookgDt>",
        f"<ValDt><Dt>{booked}</Dt></ValDt>",
    ]
    if entry.get("ref"):
        parts.append(f"<AcctSvcrRef>{escape(entry['ref'])}</AcctSvcrRef>")
    parts.append(
        "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd>"
        "</Fmly></Domn></BkTxCd>"
    )
    parts.append("<NtryDtls><TxDtls>")
    if entry.get("e2e"):
        parts.append(f"<Refs><EndToEndId>{escape(entry['e2e'])}</EndToEndId></Refs>")
    if entry.get("instructed"):
        value, ccy = entry["instructed"]
        parts.append(
            f'<AmtDtls><InstdAmt><Amt Ccy="{ccy}">{_amount(value)}</Amt></InstdAmt>'
            "</AmtDtls>"
        )
    if entry.get("name") or entry.get("iban"):
        parts.append("<RltdPties>")
        if entry.get("name"):
            parts.append(f"<{role}><Nm>{escape(entry['name'])}</Nm></{role}>")
        if entry.get("iban"):
            parts.append(
                f"<{role}Acct><Id><IBAN>{entry['iban']}</IBAN></Id></{role}Acct>"
            )
        parts.append("</RltdPties>")
    if entry.get("remittance") or entry.get("structured"):
        parts.append("<RmtInf>")
        if entry.get("remittance"):
            parts.append(f"<Ustrd>{escape(entry['remittance'])}</Ustrd>")
        if entry.get("structured"):
            parts.append(
                "<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp>"
                f"<Ref>{escape(entry['structured'])}</Ref></CdtrRefInf></Strd>"
            )
        parts.append("</RmtInf>")
    parts.append("</TxDtls></NtryDtls></Ntry>")
    return "".join(parts)


def _balance_xml(code, value, on):
    value = Decimal(str(value))
    indicator = "CRDT" if value >= 0 else "DBIT"
    return (
        f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
        f'<Amt Ccy="{{ccy}}">{_amount(value)}</Amt><CdtDbtInd>{indicator}</CdtDbtInd>'
        f"<Dt><Dt>{on}</Dt></Dt></Bal>"
    )


def camt_document(
    entries,
    account=COMPANY_IBAN,
    currency="USD",
    stmt_id="STMT-1",
    opening=None,
    closing=None,
    start="2026-03-01",
    end="2026-03-31",
):
    """A CAMT.053.001.08 document (bytes). ``closing`` None: computed."""
    if opening is not None and closing is None:
        closing = Decimal(str(opening)) + sum(
            (Decimal(str(e["amount"])) for e in entries), Decimal(0)
        )
    balances = ""
    if opening is not None:
        balances += _balance_xml("OPBD", opening, start)
    if closing is not None:
        balances += _balance_xml("CLBD", closing, end)
    balances = balances.replace("{ccy}", currency)
    body = "".join(_entry_xml(entry, currency) for entry in entries)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<Document xmlns="{NS}"><BkToCstmrStmt>'
        f"<GrpHdr><MsgId>MSG-{escape(stmt_id)}</MsgId>"
        f"<CreDtTm>{end}T18:00:00</CreDtTm></GrpHdr>"
        f"<Stmt><Id>{escape(stmt_id)}</Id><CreDtTm>{end}T18:00:00</CreDtTm>"
        f"<Acct><Id><IBAN>{account}</IBAN></Id><Ccy>{currency}</Ccy></Acct>"
        f"{balances}{body}</Stmt></BkToCstmrStmt></Document>"
    ).encode()


def raw_rows(env, records):
    """``{model: [row]}`` of ``records`` (``{model: recordset}``), in their order.

    Raw columns, read by SQL: NULL, '' and false are told apart here, not by
    the ORM. Used to prove a bulk SQL writer writes exactly the ORM's rows.
    """
    env.flush_all()
    rows = {}
    for model, recs in records.items():
        env.cr.execute(
            f"SELECT * FROM {env[model]._table} WHERE id = ANY(%s)", [recs.ids]
        )
        names = [d[0] for d in env.cr.description]
        by_id = {
            row[0]: dict(zip(names, row, strict=True)) for row in env.cr.fetchall()
        }
        rows[model] = [by_id[rid] for rid in recs.ids]
    return rows


class _Rollback(Exception):
    pass


def rolled_back(env, act, observe):
    """``act()`` then ``observe()`` in a savepoint rolled back afterwards.

    Returns what ``observe`` saw once ``act``'s changes were flushed and the
    cache emptied (so it reads the database); the database and the cache are
    then back to the state before ``act``.
    """
    seen = None
    try:
        with env.cr.savepoint():
            result = act()
            env.flush_all()
            env.invalidate_all()
            seen = observe(result)
            raise _Rollback
    except _Rollback:
        pass
    env.invalidate_all()
    return seen


def stored_values(records, token, extra=None, skip=(), convert=None):
    """``{model: [{field: value}]}``: stored fields (and ``extra``) of ``records``.

    Relations are given as ``token(record)``, so that two runs creating
    different ids compare equal; ``convert(field, raw)`` may translate other
    values that embed ids (it returns None for the values it leaves alone).
    """

    def value(record, field):
        raw = record[field.name]
        converted = convert(field, raw) if convert and raw else None
        if converted is not None:
            return converted
        if field.type == "many2one":
            return token(raw) if raw else False
        if field.type in ("one2many", "many2many"):
            return sorted(map(str, map(token, raw)))
        return raw

    extra = extra or {}
    return {
        model: [
            {
                name: value(record, field)
                for name, field in record._fields.items()
                if (field.store or name in extra.get(model, ())) and name not in skip
            }
            for record in recs
        ]
        for model, recs in records.items()
    }


class BankFeedCommon(O2cTestMixin, AccountTestInvoicingCommon):
    """A company with a bank journal on ``COMPANY_IBAN`` and partners with IBANs."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.group_ids |= cls.env.ref("o2c_integration.group_o2c_admin")
        cls._o2c_setup()
        cls.company = cls.company_data["company"]
        cls.currency = cls.company.currency_id
        cls.bank_journal = cls.company_data["default_journal_bank"]
        cls.bank_journal.bank_account_id = cls.env["res.partner.bank"].create(
            {
                "acc_number": COMPANY_IBAN,
                "partner_id": cls.company.partner_id.id,
            }
        )
        cls.customer = cls.partner_a
        cls.vendor = cls.partner_b
        cls.env["res.partner.bank"].create(
            [
                {"acc_number": CUSTOMER_IBAN, "partner_id": cls.customer.id},
                {"acc_number": VENDOR_IBAN, "partner_id": cls.vendor.id},
            ]
        )
        cls.Import = cls.env["o2c.bank.statement.import"]
        cls.fees_account = (
            cls.env["account.chart.template"].ref(
                "expense_finance", raise_if_not_found=False
            )
            or cls.company_data["default_account_expense"]
        )
        cls.env.ref(
            "o2c_bank_feed.rule_reference"
        ).writeoff_account_id = cls.fees_account

    # --- helpers

    @classmethod
    def make_invoice(
        cls,
        amount,
        partner=None,
        move_type="out_invoice",
        invoice_date=None,
        currency=None,
        ref=None,
    ):
        """A posted invoice / bill without taxes for ``amount``."""
        move = cls.env["account.move"].create(
            {
                "move_type": move_type,
                "partner_id": (partner or cls.customer).id,
                "invoice_date": invoice_date or date(2026, 3, 1),
                "date": invoice_date or date(2026, 3, 1),
                "currency_id": (currency or cls.currency).id,
                "ref": ref,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": "Service",
                            "quantity": 1,
                            "price_unit": float(amount),
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
        )
        move.action_post()
        return move

    @classmethod
    def make_clearing_account(cls, code, name):
        """A reconcilable clearing account, as the gateway addon uses for payouts."""
        return cls.env["account.account"].create(
            {
                "name": name,
                "code": code,
                "account_type": "asset_current",
                "reconcile": True,
            }
        )

    @classmethod
    def make_payout(cls, account, amount, ref, label):
        """A posted entry leaving ``amount`` open on ``account`` (a gateway payout)."""
        payout = cls.env["account.move"].create(
            {
                "move_type": "entry",
                "date": date(2026, 3, 4),
                "ref": ref,
                "line_ids": [
                    Command.create(
                        {"account_id": account.id, "debit": amount, "name": label}
                    ),
                    Command.create(
                        {
                            "account_id": cls.company_data[
                                "default_account_revenue"
                            ].id,
                            "credit": amount,
                        }
                    ),
                ],
            }
        )
        payout.action_post()
        return payout

    def import_camt(self, entries, reconcile=False, **kwargs):
        kwargs.setdefault("currency", self.currency.name)
        data = camt_document(entries, **kwargs)
        Import = self.Import.with_context(
            o2c_reconcile_now=reconcile, o2c_no_reconcile=not reconcile
        )
        return Import._o2c_import_file(data, kwargs.get("stmt_id", "STMT-1") + ".xml")

    def open_item(self, move):
        return move.line_ids.filtered(
            lambda line: (
                line.account_id.account_type
                in ("asset_receivable", "liability_payable")
            )
        )
