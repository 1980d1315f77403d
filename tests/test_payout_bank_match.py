# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Cross-module: a Stripe payout booked by the gateway, matched by the bank feed.

The whole money path of a payout, through both addons' public entry points only:

1. 50 ``payment_intent.succeeded`` webhooks pay 50 invoices on the Stripe clearing
   journal, 3 ``refund.created`` webhooks refund part of three of them;
2. ``payout.paid`` pulls the payout's balance transactions from a fake Stripe API
   (two pages), builds the settlement and books ONE entry: fees to the fees account,
   the payout amount to the transit account (one open item named after the payout);
3. the bank statement of the day arrives as a CAMT.053 file, imported through
   ``o2c.bank.statement.import._o2c_import_file`` (parser, dedup, statement lines)
   and reconciled by the job it queues (the bank feed's rule engine);
4. the engine matches the bank line to the transit item on its own: the line and
   the item are reconciled, nothing is left open on the transit or clearing
   accounts, the settlement is "matched".
"""

from decimal import Decimal
from xml.sax.saxutils import escape

from odoo.tests import tagged

from odoo.addons.o2c_integration.tests.common import run_jobs
from odoo.addons.o2c_payment_gateway.tests.common import (
    GatewayCommon,
    serve_balance_transactions,
    stripe_busy_payout,
    stripe_payout,
)
from odoo.addons.queue_job.tests.common import trap_jobs

COMPANY_IBAN = "DE89370400440532013000"
PAYOUT = "po_1PTe2xLkdIwHu7ixE2Rq9Vb4"
CAMT_NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"


def camt053(account, currency, opening, entries, stmt_id, day):
    """A CAMT.053.001.08 statement (bytes) as a bank sends it for one day.

    ``entries``: dicts with ``amount`` (Decimal, signed), ``ref`` (bank reference),
    ``name`` (counterparty), ``remittance`` (unstructured text).
    """
    closing = opening + sum((e["amount"] for e in entries), Decimal(0))

    def amount(value):
        return f'<Amt Ccy="{currency}">{abs(value):.2f}</Amt>'

    def indicator(value):
        return f"<CdtDbtInd>{'CRDT' if value >= 0 else 'DBIT'}</CdtDbtInd>"

    def balance(code, value):
        return (
            f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>{amount(value)}"
            f"{indicator(value)}<Dt><Dt>{day}</Dt></Dt></Bal>"
        )

    ntries = "".join(
        "<Ntry>"
        f"{amount(e['amount'])}{indicator(e['amount'])}<Sts><Cd>BOOK</Cd></Sts>"
        f"<BookgDt><Dt>{day}</Dt></BookgDt><ValDt><Dt>{day}</Dt></ValDt>"
        f"<AcctSvcrRef>{escape(e['ref'])}</AcctSvcrRef>"
        "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd>"
        "</Fmly></Domn></BkTxCd><NtryDtls><TxDtls>"
        f"<RltdPties><Dbtr><Nm>{escape(e['name'])}</Nm></Dbtr></RltdPties>"
        f"<RmtInf><Ustrd>{escape(e['remittance'])}</Ustrd></RmtInf>"
        "</TxDtls></NtryDtls></Ntry>"
        for e in entries
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<Document xmlns="{CAMT_NS}"><BkToCstmrStmt>'
        f"<GrpHdr><MsgId>MSG-{stmt_id}</MsgId><CreDtTm>{day}T18:00:00</CreDtTm>"
        f"</GrpHdr><Stmt><Id>{stmt_id}</Id><CreDtTm>{day}T18:00:00</CreDtTm>"
        f"<Acct><Id><IBAN>{account}</IBAN></Id><Ccy>{currency}</Ccy></Acct>"
        f"{balance('OPBD', opening)}{balance('CLBD', closing)}{ntries}"
        "</Stmt></BkToCstmrStmt></Document>"
    ).encode()


@tagged("post_install", "-at_install")
class TestPayoutBankMatch(GatewayCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._pg_start_fake_stripe_api()
        cls.bank_journal = cls.company_data["default_journal_bank"]
        cls.bank_journal.bank_account_id = cls.env["res.partner.bank"].create(
            {
                "acc_number": COMPANY_IBAN,
                "partner_id": cls.env.company.partner_id.id,
            }
        )

    def open_items(self, account):
        self.env.flush_all()
        return self.env["account.move.line"].search(
            [
                ("account_id", "=", account.id),
                ("parent_state", "=", "posted"),
                ("reconciled", "=", False),
            ]
        )

    def test_payout_with_50_charges_3_refunds_and_fees_matches_its_bank_line(self):
        payout = stripe_busy_payout(PAYOUT, first=500, charges=50, refunds=3)
        invoices = self.book_stripe_charges(500, payout["amounts"])
        for i, amount in enumerate(payout["refunded"]):
            self.book_stripe_refund(500 + i, amount)
        self.assertEqual(set(invoices.mapped("payment_state")), {"paid"})
        net = Decimal(payout["net"]) / 100
        total_fees = Decimal(sum(payout["fees"]) + 200) / 100

        # 1. the payout: settlement, fee entry, transit item
        serve_balance_transactions(self.server, payout["txns"], PAYOUT)
        event = self.process(self.stripe, stripe_payout(PAYOUT, payout["net"]))
        self.assertEqual(event.state, "done", event.last_error)
        settlement = self.env["o2c.gateway.settlement"].search(
            [("connection_id", "=", self.stripe.id), ("payout_id", "=", PAYOUT)]
        )
        self.assertRecordValues(
            settlement,
            [
                {
                    "state": "booked",
                    "gross": sum(payout["amounts"]) / 100,
                    "fees": float(total_fees),
                    "refunds": sum(payout["refunded"]) / 100,
                    "net": float(net),
                    "difference": 0.0,
                }
            ],
        )
        self.assertEqual(len(settlement.line_ids), 54)  # 50 charges, 3 refunds, Radar
        transit_account = self.stripe.pg_transit_account_id
        clearing = self.stripe.pg_journal_id.default_account_id
        fee_line = settlement.move_id.line_ids.filtered(
            lambda aml: aml.account_id == self.stripe.pg_fee_account_id
        )
        self.assertAlmostEqual(fee_line.balance, float(total_fees))
        transit = self.open_items(transit_account)
        self.assertEqual(transit, settlement.transit_line_id)
        self.assertRecordValues(
            transit, [{"name": PAYOUT, "amount_residual": float(net)}]
        )
        self.assertAlmostEqual(self.account_balance(clearing), 0.0)

        # 2. the bank statement: the payout among the day's other lines
        others = [
            {
                "amount": Decimal("-1250.00"),
                "ref": "BNK-20240620-001",
                "name": "Office Rent Ltd",
                "remittance": "RENT JUNE 2024",
            },
            {
                "amount": net,
                "ref": "BNK-20240620-002",
                "name": "STRIPE",
                "remittance": f"STRIPE PAYOUT {PAYOUT}",
            },
        ]
        data = camt053(
            COMPANY_IBAN, "USD", Decimal("10000.00"), others, "STMT-0620", "2024-06-20"
        )
        with trap_jobs() as trap:
            imports = self.env["o2c.bank.statement.import"]._o2c_import_file(
                data, "camt053_20240620.xml"
            )
            self.assertEqual(imports.journal_id, self.bank_journal)
            self.assertEqual(imports.created_count, 2)
            lines = imports.line_ids
            self.assertEqual(len(lines), 2)
            self.assertFalse(any(lines.mapped("is_reconciled")))
            # 3. the bank feed's own reconciliation job runs the rules
            self.assertTrue(trap.enqueued_jobs)
            run_jobs(trap)

        # 4. matched: line reconciled with the transit item, nothing left open
        line = lines.filtered(lambda bank_line: bank_line.amount > 0)
        self.assertTrue(line.is_reconciled, line.o2c_match_reason)
        self.assertEqual(line.o2c_match_state, "matched")
        self.assertTrue(transit.reconciled)
        self.assertEqual(
            line.move_id.line_ids.filtered(
                lambda aml: aml.account_id == transit_account
            ).matched_debit_ids.debit_move_id,
            transit,
        )
        self.assertFalse(self.open_items(transit_account))
        self.assertAlmostEqual(self.account_balance(transit_account), 0.0)
        self.assertAlmostEqual(self.account_balance(clearing), 0.0)
        self.assertEqual(settlement.state, "matched")
        open_exceptions = self.env["o2c.exception"].search(
            [
                ("res_model", "=", "account.bank.statement.line"),
                ("res_id", "=", line.id),
                ("state", "in", ("new", "in_progress")),
            ]
        )
        self.assertFalse(open_exceptions)
        # the rent debit has nothing to match: it stays open, as it should
        rent = lines - line
        self.assertFalse(rent.is_reconciled)

        # the same statement again (the bank resends the day): nothing twice
        again = self.env["o2c.bank.statement.import"]._o2c_import_file(
            data, "camt053_20240620.xml"
        )
        self.assertEqual(again.created_count, 0)
        self.assertEqual(settlement.state, "matched")
