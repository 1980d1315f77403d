# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Fixtures: a journal source, a payroll chart of accounts, two analytic plans."""

import copy
import json

from odoo.tests import new_test_user

from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.addons.o2c_integration.tests.common import O2cTestMixin

from ..models.o2c_connection import BATCH_EVENT, batch_external_id

PAYROLL = {
    "format_version": "1.0",
    "source_system": "payroll",
    "batch_id": "PAY-2026-11",
    "version": 1,
    "period": "2026-11",
    "date": "2026-11-30",
    "currency": "USD",
    "reference": "November payroll",
    "lines": [
        {
            "account": "JB6410",
            "label": "Gross wages admin",
            "debit": "2500.00",
            "analytic": {"ADM": 100},
            "document_ref": "E100",
        },
        {
            "account": "JB6410",
            "label": "Gross wages operations",
            "debit": "1500.00",
            "analytic": {"OPS": 60, "ADM": 40},
            "document_ref": "E101",
        },
        {
            "account": "JB6450",
            "label": "Employer social charges",
            "debit": "800.00",
            "analytic": {"ADM": 100},
        },
        {"account": "JB4210", "label": "Net wages payable", "credit": "3200.00"},
        {"account": "JB4310", "label": "Social charges payable", "amount": "-1600.00"},
    ],
}


class JournalBatchCommon(O2cTestMixin, AccountTestInvoicingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._o2c_setup_keys()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        # the accountant of the test company also administers the integration
        cls.env.user.sudo().group_ids += cls.env.ref("o2c_integration.group_o2c_admin")
        company = cls.company_data["company"]
        cls.company = company
        Account = cls.env["account.account"]
        cls.acc_wages = Account.create(
            {"name": "Wages", "code": "JB6410", "account_type": "expense"}
        )
        cls.acc_social = Account.create(
            {"name": "Social charges", "code": "JB6450", "account_type": "expense"}
        )
        cls.acc_net = Account.create(
            {
                "name": "Net wages payable",
                "code": "JB4210",
                "account_type": "liability_current",
            }
        )
        cls.acc_social_payable = Account.create(
            {
                "name": "Social payable",
                "code": "JB4310",
                "account_type": "liability_current",
            }
        )
        cls.plan = cls.env["account.analytic.plan"].create({"name": "Departments"})
        Analytic = cls.env["account.analytic.account"]
        cls.adm = Analytic.create(
            {"name": "Administration", "code": "ADM", "plan_id": cls.plan.id}
        )
        cls.ops = Analytic.create(
            {"name": "Operations", "code": "OPS", "plan_id": cls.plan.id}
        )
        cls.journal = cls.company_data["default_journal_misc"]
        cls.source = (
            cls.env["o2c.connection"]
            .sudo()
            .create(
                {
                    "name": "Payroll",
                    "connection_type": "journal",
                    "jb_journal_id": cls.journal.id,
                    "jb_auto_post_limit": 10000,
                }
            )
        )
        groups = "o2c_integration.group_o2c_manager,account.group_account_invoice"
        cls.controller = new_test_user(
            cls.env,
            "jb_controller",
            groups=groups,
            company_id=company.id,
            company_ids=company.ids,
        )
        cls.approver = new_test_user(
            cls.env,
            "jb_approver",
            groups=groups,
            company_id=company.id,
            company_ids=company.ids,
        )

    def batch_doc(self, **over):
        document = copy.deepcopy(PAYROLL)
        document.update(over)
        return document

    def deliver(self, document, source=None):
        """Store the document as a pushed batch and process it; return the event."""
        source = source or self.source
        event, _created = (
            self.env["o2c.event"]
            .sudo()
            ._store_inbound(
                source,
                BATCH_EVENT,
                batch_external_id(document),
                json.dumps(document),
                enqueue=False,
            )
        )
        if event.state in ("received", "queued"):
            event._job_process()
        return event

    def batch_of(self, event):
        return self.env["o2c.journal.batch"].search([("event_id", "=", event.id)])
