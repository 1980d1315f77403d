# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Bank feed actions on a connection: O2C Manager of the record's company only."""

import base64
from unittest.mock import patch

from odoo.exceptions import AccessError
from odoo.tests import tagged

from odoo.addons.o2c_integration.tests import test_connection_access as base
from odoo.addons.o2c_integration.tests.common import O2cCommon


@tagged("post_install", "-at_install")
class TestBankFeedConnectionAccess(base.ConnectionAccessMixin, O2cCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._access_setup()
        (cls.connection | cls.other_conn).write(
            {"connection_type": "bank_api", "o2c_bank_cursor": "cur-42"}
        )

    def setUp(self):
        super().setUp()
        self.registry_enter_test_mode()  # see base.TestConnectionActionAccess

    def test_bank_actions_refused_below_manager_and_across_companies(self):
        for method in ("action_o2c_bank_pull", "action_o2c_bank_reset_bookmark"):
            for login, connection, reason in (
                ("employee", self.connection, "group"),
                ("user", self.connection, "group"),
                ("manager", self.other_conn, "company"),
                ("other_admin", self.connection, "company"),
            ):
                with self.subTest(method=method, login=login):
                    self.assert_refused(
                        self.users[login], connection, method, reason=reason
                    )
                    self.assertEqual(connection.o2c_bank_cursor, "cur-42")

    def test_manager_resets_bookmark_and_pulls_audited(self):
        manager = self.users["manager"]
        self.connection.with_user(manager).action_o2c_bank_reset_bookmark()
        self.assertFalse(self.connection.o2c_bank_cursor)
        self.assertTrue(
            self.successes("connection.bank_reset_bookmark", manager, self.connection)
        )
        Event = self.env["o2c.event"]
        with patch.object(
            type(self.env["o2c.connection"]),
            "_o2c_bank_pull",
            return_value=Event.browse(),
        ):
            result = self.connection.with_user(manager).action_o2c_bank_pull()
        self.assertEqual(result["params"]["type"], "success")
        self.assertTrue(
            self.successes("connection.bank_pull", manager, self.connection)
        )
        self.assertFalse(self.refusals(manager))

    def test_import_wizard_refuses_companies_outside_the_users(self):
        """The journal lookup runs under sudo within env.companies: they are checked."""
        user = self.users["user"]
        wizard = (
            self.env["o2c.bank.statement.import.wizard"]
            .with_user(user)
            .create(
                {"data_file": base64.b64encode(b"not a statement"), "filename": "x"}
            )
        )
        before = self.refusals(user)
        with self.assertRaises(AccessError):
            wizard.with_context(allowed_company_ids=self.other.ids).action_import()
        self.end_refused_transaction()
        entry = self.refusals(user) - before
        self.assertEqual(len(entry), 1)
        self.assertIn('"reason":"company"', entry.data)
