# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Gateway accounting set-up on a connection: O2C Administrator of its company."""

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
