# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Gateway accounting set-up on a connection: O2C Administrator of its company."""

import base64

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from odoo.addons.o2c_integration.tests import test_connection_access as base
from odoo.addons.o2c_integration.tests.common import O2cCommon


@tagged("post_install", "-at_install")
class TestGatewayConnectionAccess(base.ConnectionAccessMixin, O2cCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._access_setup()

    def setUp(self):
        super().setUp()
        self.registry_enter_test_mode()  # see base.TestConnectionActionAccess

    def test_setup_accounting_refused_below_admin_and_across_companies(self):
        for login, connection, reason in (
            ("employee", self.connection, "group"),
            ("user", self.connection, "group"),
            ("manager", self.connection, "group"),
            ("other_admin", self.connection, "company"),
            ("admin", self.other_conn, "company"),
        ):
            with self.subTest(login=login, connection=connection.name):
                self.assert_refused(
                    self.users[login],
                    connection,
                    "action_pg_setup_accounting",
                    reason=reason,
                )
        self.assertFalse(
            self.env["account.journal"].search([("name", "ilike", "Clearing")])
        )

    def test_admin_of_the_company_passes_the_guard(self):
        # a generic connection is no gateway: the method itself says so, after
        # the access check let the administrator through
        with self.assertRaisesRegex(UserError, "not a payment gateway") as caught:
            self.connection.with_user(self.users["admin"]).action_pg_setup_accounting()
        self.assertNotIsInstance(caught.exception, AccessError)

    def test_report_import_refused_on_another_companys_connection(self):
        adyen_other = self.env["o2c.connection"].create(
            {
                "name": "Adyen Other",
                "connection_type": "adyen",
                "company_id": self.other.id,
            }
        )
        manager = self.users["manager"]
        wizard = (
            self.env["o2c.gateway.adyen.report.import"]
            .with_user(manager)
            .create(
                {
                    "connection_id": adyen_other.id,
                    "report_file": base64.b64encode(
                        b"Company Account,Merchant Account\n"
                    ),
                    "filename": "settlement_detail_report_batch_7.csv",
                }
            )
        )
        before = self.refusals(manager, adyen_other)
        with self.assertRaises(AccessError):
            wizard.action_import()
        self.end_refused_transaction()
        self.assertEqual(len(self.refusals(manager, adyen_other) - before), 1)
        self.assertFalse(
            self.env["o2c.event"].search([("connection_id", "=", adyen_other.id)])
        )
