# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""End to end: invoices paid net of credit notes, payers known only by name.

Real Odoo every time: invoices and credit notes posted, a CAMT statement
imported, the engine run, and Odoo's reconciliation checked (the invoice's
and the credit note's payment state, the bank line reconciled).
"""

from datetime import date

from odoo.fields import Command
from odoo.tests import HttpCase, new_test_user, tagged

from ..models.o2c_reconcile_engine import _NAME_NEIGHBOURS_SQL, _PARTNER_ITEMS_SQL
from .common import CUSTOMER_IBAN, BankFeedCommon

OLD = date(2025, 6, 1)  # far outside any date window: the name must decide
LONG_NAME = (
    "Brightwater Logistics International Trading and Forwarding Services Europe GmbH"
)


@tagged("post_install", "-at_install")
class TestReconcilePayers(BankFeedCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.netting_rule = cls.env.ref("o2c_bank_feed.rule_netting")
        cls.netting_rule.writeoff_account_id = cls.fees_account
        cls.name_rule = cls.env.ref("o2c_bank_feed.rule_name_amount")
        cls.Mapping = cls.env["o2c.bank.name.mapping"]

    def _pay(self, amount, **entry):
        entry.setdefault("ref", f"P-{amount}-{entry.get('name', '')}")
        entry.setdefault("date", "2026-03-05")
        imp = self.import_camt(
            [dict(entry, amount=amount)], reconcile=True, stmt_id=f"S-{entry['ref']}"
        )
        return imp.line_ids

    def _refund(self, amount, partner=None, invoice_date=None):
        return self.make_invoice(
            amount, partner=partner, move_type="out_refund", invoice_date=invoice_date
        )

    def _company(self, name):
        return self.env["res.partner"].create({"name": name, "is_company": True})

    def _assert_netted(self, line, paid, untouched=()):
        self.assertTrue(line.is_reconciled, line.o2c_match_reason)
        self.assertEqual(line.o2c_match_state, "matched")
        self.assertEqual(line.o2c_rule_id, self.netting_rule)
        for move in paid:
            self.assertEqual(move.payment_state, "paid", move.name)
            self.assertTrue(self.open_item(move).reconciled, move.name)
        for move in untouched:
            self.assertEqual(move.payment_state, "not_paid", move.name)

    # --- netting

    def test_invoice_less_named_credit_note(self):
        invoice = self.make_invoice(1000)
        note = self._refund(200)
        other_note = self._refund(200)  # same amount, not named: must stay open
        line = self._pay(
            "800.00",
            remittance=f"{invoice.name} less credit note {note.name}",
            name="Someone",
        )
        self._assert_netted(line, invoice | note, other_note)
        self.assertIn(note.name, line.o2c_match_reason)

    def test_several_credit_notes_found_by_amount(self):
        invoice = self.make_invoice(1000)
        first, second = self._refund(150), self._refund(70.25)
        decoy = self._refund(33)
        foreign = self._refund(99, partner=self.vendor)
        line = self._pay("779.75", remittance=f"Invoice {invoice.name} net of credits")
        self._assert_netted(line, invoice | first | second, decoy | foreign)

    def test_credit_note_already_partly_used(self):
        note = self._refund(300)
        small = self.make_invoice(100)
        (self.open_item(note) | self.open_item(small)).reconcile()
        self.assertEqual(note.payment_state, "partial")
        self.assertAlmostEqual(note.amount_residual, 200.0)
        invoice = self.make_invoice(1000)
        line = self._pay("800.00", remittance=f"{invoice.name} minus {note.name}")
        self._assert_netted(line, invoice | note)

    def test_netting_with_a_bank_fee_within_tolerance(self):
        invoice = self.make_invoice(1000)
        note = self._refund(200)
        line = self._pay(
            "796.50", remittance=f"{invoice.name} ./. {note.name}", iban=CUSTOMER_IBAN
        )
        self._assert_netted(line, invoice | note)
        writeoff = line.move_id.line_ids.filtered(
            lambda aml: aml.account_id == self.fees_account
        )
        self.assertAlmostEqual(writeoff.balance, 3.5)
        # beyond the tolerance nothing is netted automatically
        invoice2, note2 = self.make_invoice(1000), self._refund(200)
        line = self._pay("780.00", remittance=f"{invoice2.name} less {note2.name}")
        self.assertFalse(line.is_reconciled)
        self.assertEqual(note2.payment_state, "not_paid")
        self.assertNotEqual(invoice2.payment_state, "paid")

    def test_ambiguous_credit_notes_go_to_a_person(self):
        invoice = self.make_invoice(1000)
        first, second = self._refund(100), self._refund(100)
        line = self._pay("900.00", remittance=f"{invoice.name} less our credit")
        self.assertEqual(line.o2c_match_state, "proposed")
        self.assertFalse(line.is_reconciled)
        self.assertEqual(
            (invoice | first | second).mapped("payment_state"), ["not_paid"] * 3
        )
        exc = self.env["o2c.exception"].search(
            [("res_model", "=", line._name), ("res_id", "=", line.id)]
        )
        netting = exc.o2c_candidate_ids.filtered(lambda c: c.strategy == "netting")
        self.assertEqual(len(netting), 2)
        netting.sorted("rank")[0].action_accept()
        self.assertTrue(line.is_reconciled)
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(
            sorted((first | second).mapped("payment_state")), ["not_paid", "paid"]
        )

    def test_another_customers_payment_never_uses_the_notes(self):
        """The IBAN says the payer is someone else: no netting on their behalf."""
        invoice = self.make_invoice(1000, partner=self.vendor)
        note = self._refund(200, partner=self.vendor)
        line = self._pay(
            "800.00", remittance=f"{invoice.name} {note.name}", iban=CUSTOMER_IBAN
        )
        self.assertNotEqual(line.o2c_match_state, "matched")
        self.assertEqual(note.payment_state, "not_paid")

    # --- payer known by name

    def _name_case(self, partner_name, bank_name, amount=777.70):
        partner = self._company(partner_name)
        invoice = self.make_invoice(amount, partner=partner, invoice_date=OLD)
        self.make_invoice(123.45, partner=partner, invoice_date=OLD)
        line = self._pay(f"{amount:.2f}", name=bank_name, ref=f"N-{bank_name[:20]}")
        return partner, invoice, line

    def _assert_named(self, invoice, line):
        self.assertEqual(invoice.payment_state, "paid", line.o2c_match_reason)
        self.assertTrue(line.is_reconciled)
        self.assertEqual(line.o2c_rule_id, self.name_rule)
        self.assertEqual(line.partner_id, invoice.partner_id)

    def test_name_with_and_without_legal_form(self):
        _partner, invoice, line = self._name_case(
            "Brightwater Logistics GmbH", "BRIGHTWATER LOGISTICS GMBH"
        )
        self._assert_named(invoice, line)
        _partner, invoice, line = self._name_case(
            "Northwind Traders Limited", "NORTHWIND TRADERS", amount=612.4
        )
        self._assert_named(invoice, line)
        _partner, invoice, line = self._name_case(
            "Société Générale des Eaux S.A.", "SOCIETE GENERALE DES EAUX", amount=90.1
        )
        self._assert_named(invoice, line)

    def test_truncated_names(self):
        partner = self._company(LONG_NAME)
        for limit, amount in ((35, 410.0), (70, 520.0)):
            invoice = self.make_invoice(amount, partner=partner, invoice_date=OLD)
            line = self._pay(
                f"{amount:.2f}", name=LONG_NAME.upper()[:limit], ref=f"T-{limit}"
            )
            self._assert_named(invoice, line)

    def test_word_order_changed(self):
        _partner, invoice, line = self._name_case(
            "Logistics Brightwater AG", "BRIGHTWATER LOGISTICS"
        )
        self._assert_named(invoice, line)

    def test_unknown_name_amount_not_unique_or_absent_never_matches(self):
        partner = self._company("Orion Components BV")
        first = self.make_invoice(300, partner=partner, invoice_date=OLD)
        second = self.make_invoice(300, partner=partner, invoice_date=OLD)
        line = self._pay("300.00", name="ORION COMPONENTS", ref="N-twice")
        self.assertEqual(line.o2c_match_state, "proposed")
        self.assertEqual((first | second).mapped("payment_state"), ["not_paid"] * 2)
        line = self._pay("301.00", name="ORION COMPONENTS", ref="N-absent")
        self.assertEqual(line.o2c_match_state, "unmatched")
        line = self._pay("300.00", name="ORION COMPONENT SYSTEMS", ref="N-other")
        self.assertNotEqual(line.o2c_match_state, "matched")

    def test_similar_customers_need_a_person_who_teaches_the_name(self):
        gmbh = self._company("Acme Trading GmbH")
        ltd = self._company("Acme Trading Ltd")
        theirs = self.make_invoice(610, partner=ltd, invoice_date=OLD)
        self.make_invoice(500, partner=gmbh, invoice_date=OLD)
        line = self._pay("610.00", name="ACME TRADING", ref="A-1")
        self.assertEqual(line.o2c_match_state, "proposed", line.o2c_match_reason)
        self.assertEqual(theirs.payment_state, "not_paid")
        self.assertFalse(self.Mapping.search([("name_key", "=", "ACME TRADING")]))
        exc = self.env["o2c.exception"].search(
            [("res_model", "=", line._name), ("res_id", "=", line.id)]
        )
        candidate = exc.o2c_candidate_ids.filtered(
            lambda c: c.move_line_ids == self.open_item(theirs)
        )
        self.assertIn(candidate.strategy, ("name_amount", "fuzzy_name"))
        candidate.action_accept()
        self.assertEqual(theirs.payment_state, "paid")
        mapping = self.Mapping.search([("name_key", "=", "ACME TRADING")])
        self.assertRecordValues(
            mapping,
            [
                {
                    "partner_id": ltd.id,
                    "confirmed_by_id": self.env.uid,
                    "statement_line_id": line.id,
                }
            ],
        )
        # the same bank name next time: resolved directly, reconciled
        later = self.make_invoice(250, partner=ltd, invoice_date=OLD)
        self.make_invoice(250, partner=gmbh, invoice_date=OLD)
        line = self._pay("250.00", name="ACME TRADING", ref="A-2")
        self.assertEqual(later.payment_state, "paid", line.o2c_match_reason)
        self.assertEqual(line.o2c_rule_id, self.name_rule)
        self.assertIn("confirmed before", line.o2c_match_reason)
        # "ACME TRADING LTD" is another bank name: not learned, still ambiguous
        self.make_invoice(75, partner=ltd, invoice_date=OLD)
        self.make_invoice(75, partner=gmbh, invoice_date=OLD)
        line = self._pay("75.00", name="ACME TRADING GMBH", ref="A-3")
        self.assertNotEqual(line.o2c_match_state, "matched")

    def test_a_finance_user_reads_and_a_manager_edits_mappings(self):
        partner = self._company("Vega Instruments SARL")
        user = self.env["res.users"].create(
            {
                "name": "Reader",
                "login": "o2c_name_reader",
                "group_ids": [
                    (6, 0, self.env.ref("o2c_integration.group_o2c_user").ids)
                ],
            }
        )
        mapping = self.Mapping.create({"name": "VEGA INSTR.", "partner_id": partner.id})
        self.assertEqual(mapping.name_key, "VEGA INSTR")
        self.assertEqual(mapping.with_user(user).partner_id, partner)
        self.assertFalse(self.Mapping.with_user(user).has_access("write"))
        invoice = self.make_invoice(45.5, partner=partner, invoice_date=OLD)
        line = self._pay("45.50", name="Vega Instr.", ref="V-1")
        self.assertEqual(invoice.payment_state, "paid", line.o2c_match_reason)


@tagged("post_install", "-at_install")
class TestBankNameMappingTour(HttpCase):
    def test_manager_maps_a_bank_name_from_the_menu(self):
        env = self.env
        manager = new_test_user(
            env,
            "o2c_name_manager",
            groups="base.group_user,o2c_integration.group_o2c_manager",
        )
        partner = env["res.partner"].create(
            {"name": "Brightwater Tour GmbH", "is_company": True}
        )
        other = env["res.partner"].create({"name": "Known Tour SA", "is_company": True})
        env["o2c.bank.name.mapping"].create(
            {"name": "Already known name", "partner_id": other.id}
        )
        self.start_tour("/odoo", "o2c_bank_name_mapping_tour", login=manager.login)
        mapping = env["o2c.bank.name.mapping"].search(
            [("name_key", "=", "BRIGHTWATER LOGISTICS")]
        )
        self.assertEqual(mapping.partner_id, partner)
        self.assertEqual(
            env["o2c.bank.name.mapping"]._get_mapped_partners(
                env.company, ["Brightwater Logistics"]
            ),
            {"Brightwater Logistics": partner.id},
        )


@tagged("post_install", "-at_install")
class TestPayerLookupPlans(BankFeedCommon):
    def test_name_and_partner_item_lookups_use_indexes(self):
        """The name neighbours and the partners' items are index scans, not loops."""
        partners = self.env["res.partner"].create(
            [
                {"name": f"Plan Customer {i:04d} GmbH", "is_company": True}
                for i in range(300)
            ]
        )
        # one open item per partner, half of them on the credit side: the
        # partner index is the selective one, as with real data
        receivable = self.company_data["default_account_receivable"]
        signs = [1 if i % 2 else -1 for i in range(300)]
        entry = self.env["account.move"].create(
            {
                "move_type": "entry",
                "line_ids": [
                    Command.create(
                        {
                            "account_id": receivable.id,
                            "partner_id": partner.id,
                            "balance": (i + 1) * signs[i],
                            "name": f"PLAN-{i}",
                        }
                    )
                    for i, partner in enumerate(partners)
                ]
                + [
                    Command.create(
                        {
                            "account_id": self.company_data[
                                "default_account_revenue"
                            ].id,
                            "balance": -sum((i + 1) * signs[i] for i in range(300)),
                        }
                    )
                ],
            }
        )
        entry.action_post()
        self.env.flush_all()
        cr = self.env.cr
        cr.execute("ANALYZE res_partner")
        cr.execute("ANALYZE account_move_line")
        cr.execute("SET LOCAL enable_seqscan = off")
        cr.execute(
            "EXPLAIN " + _NAME_NEIGHBOURS_SQL,
            {
                "starts": ["PLAN CUSTOMER 0042"],
                "keys": ["0042 CUSTOMER PLAN"],
                "after": 8,
                "before": 3,
                "company": self.company.id,
            },
        )
        names_plan = "\n".join(row[0] for row in cr.fetchall())
        cr.execute(
            "EXPLAIN " + _PARTNER_ITEMS_SQL,
            {
                "company": self.company.id,
                "partners": partners[:1].ids,
                "credit_partners": partners[1:2].ids,
                "debit_partners": partners[2:3].ids,
            },
        )
        items_plan = "\n".join(row[0] for row in cr.fetchall())
        cr.execute("SET LOCAL enable_seqscan = on")
        for plan in (names_plan, items_plan):
            self.assertNotIn("Seq Scan", plan)
        self.assertIn("res_partner_o2c_name_norm_o2c_idx", names_plan)
        self.assertIn("res_partner_o2c_name_key_o2c_idx", names_plan)
        self.assertIn("o2c_aml_open_partner_idx", items_plan)
