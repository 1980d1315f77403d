# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Public connection actions: who may call them, in which company, and the audit.

Every public method is reachable over JSON-RPC by any logged-in user, whatever the
form shows. These tests call them the way a probe would: through ``with_user`` (as
``call_kw`` does) and over real HTTP (``/web/dataset/call_kw``).
"""

from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException

from ..models.o2c_access import REFUSED_ACTION
from .common import O2cCommon, O2cTestMixin

CLOSED_PORT_URL = "http://127.0.0.1:9/health"  # nothing listens: "danger" outcome


class ConnectionAccessMixin:
    """Users of each group, in the main company and in another one."""

    @classmethod
    def _access_setup(cls):
        cls.main = cls.env.company
        cls.other = cls.env["res.company"].create({"name": "Other O2C Co"})
        cls.other_conn = cls.env["o2c.connection"].create(
            {"name": "Other Shop", "company_id": cls.other.id}
        )
        (cls.connection | cls.other_conn).write(
            {"base_url": CLOSED_PORT_URL, "breaker_state": "open"}
        )
        mine = {"company_id": cls.main.id, "company_ids": [(6, 0, cls.main.ids)]}
        theirs = {"company_id": cls.other.id, "company_ids": [(6, 0, cls.other.ids)]}
        cls.users = {
            "employee": new_test_user(
                cls.env, "sec_employee", groups="base.group_user", **mine
            ),
            "user": new_test_user(
                cls.env, "sec_user", groups="o2c_integration.group_o2c_user", **mine
            ),
            "manager": new_test_user(
                cls.env,
                "sec_manager",
                groups="o2c_integration.group_o2c_manager",
                **mine,
            ),
            "admin": new_test_user(
                cls.env, "sec_admin", groups="o2c_integration.group_o2c_admin", **mine
            ),
            "other_manager": new_test_user(
                cls.env,
                "sec_other_manager",
                groups="o2c_integration.group_o2c_manager",
                **theirs,
            ),
            "other_admin": new_test_user(
                cls.env,
                "sec_other_admin",
                groups="o2c_integration.group_o2c_admin",
                **theirs,
            ),
        }

    def refusals(self, user, connection=None):
        domain = [("action", "=", REFUSED_ACTION), ("user_id", "=", user.id)]
        if connection is not None:
            domain += [
                ("res_model", "=", "o2c.connection"),
                ("res_id", "=", connection.id),
            ]
        return self.env["o2c.audit.log"].sudo().search(domain)

    def successes(self, action, user, connection):
        return (
            self.env["o2c.audit.log"]
            .sudo()
            .search(
                [
                    ("action", "=", action),
                    ("user_id", "=", user.id),
                    ("res_model", "=", "o2c.connection"),
                    ("res_id", "=", connection.id),
                ]
            )
        )

    def end_refused_transaction(self):
        """What the RPC layer does after an AccessError: roll back and close.

        The refusal is audited by a hook that runs after that rollback, on a cursor
        of its own; here the test transaction cannot be rolled back, so the hooks run
        the way ``cursor.rollback()`` would run them.
        """
        self.env.cr.postrollback.run()

    def assert_refused(self, user, connection, method, *args, reason):
        record = connection.with_user(user) if connection else None
        target = (
            record if record is not None else self.env["o2c.connection"].with_user(user)
        )
        key = connection.webhook_key if connection else None
        before = self.refusals(user, connection)
        with self.assertRaises(AccessError):
            getattr(target, method)(*args)
        self.assertEqual(
            self.refusals(user, connection),
            before,
            "audited after the rollback, not in the refused transaction",
        )
        self.end_refused_transaction()
        entry = self.refusals(user, connection) - before
        self.assertEqual(len(entry), 1, f"{user.login} {method}")
        self.assertIn(f'"reason":"{reason}"', entry.data)
        if connection:
            self.assertEqual(connection.webhook_key, key)
        return entry


class TestConnectionActionAccess(ConnectionAccessMixin, O2cCommon):
    """``records.with_user(user).action_x()``: what ``call_kw`` runs."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._access_setup()

    def setUp(self):
        super().setUp()
        # new cursors wrap the test transaction, so the refusal audit (written on a
        # cursor of its own after the refused transaction) is visible here
        self.registry_enter_test_mode()

    # --- regenerate webhook key: O2C Administrator of the record's company

    def test_regenerate_webhook_key_refused_below_admin_and_across_companies(self):
        for login, connection, reason in (
            ("employee", self.connection, "group"),
            ("employee", self.other_conn, "group"),
            ("user", self.connection, "group"),
            ("manager", self.connection, "group"),
            ("other_manager", self.other_conn, "group"),
            ("other_admin", self.connection, "company"),
            ("admin", self.other_conn, "company"),
        ):
            with self.subTest(login=login, connection=connection.name):
                self.assert_refused(
                    self.users[login],
                    connection,
                    "action_regenerate_webhook_key",
                    reason=reason,
                )

    def test_regenerate_webhook_key_by_admin_of_the_company(self):
        for login, connection in (
            ("admin", self.connection),
            ("other_admin", self.other_conn),
        ):
            user = self.users[login]
            key = connection.webhook_key
            connection.with_user(user).action_regenerate_webhook_key()
            self.assertNotEqual(connection.webhook_key, key)
            self.assertEqual(
                len(self.successes("credential.change", user, connection)), 1
            )
            self.assertFalse(self.refusals(user))

    def test_admin_of_both_companies_is_bound_by_the_current_ones(self):
        both = new_test_user(
            self.env,
            "sec_both_admin",
            groups="o2c_integration.group_o2c_admin",
            company_id=self.main.id,
            company_ids=[(6, 0, (self.main | self.other).ids)],
        )
        # working in the main company only: the other company's record is refused
        self.assert_refused(
            both,
            self.other_conn.with_context(allowed_company_ids=self.main.ids),
            "action_regenerate_webhook_key",
            reason="company",
        )
        both_ctx = self.other_conn.with_context(
            allowed_company_ids=(self.main | self.other).ids
        )
        both_ctx.with_user(both).action_regenerate_webhook_key()
        self.assertTrue(self.successes("credential.change", both, self.other_conn))

    # --- reset breaker: O2C Manager of the record's company

    def test_reset_breaker_access(self):
        for login, connection, reason in (
            ("employee", self.connection, "group"),
            ("user", self.connection, "group"),
            ("user", self.other_conn, "group"),
            ("other_manager", self.connection, "company"),
            ("other_admin", self.connection, "company"),
            ("manager", self.other_conn, "company"),
        ):
            with self.subTest(login=login, connection=connection.name):
                self.assert_refused(
                    self.users[login], connection, "action_reset_breaker", reason=reason
                )
                self.assertEqual(connection.breaker_state, "open")
        for login, connection in (
            ("manager", self.connection),
            ("admin", self.connection),
            ("other_manager", self.other_conn),
        ):
            connection.breaker_state = "open"
            user = self.users[login]
            connection.with_user(user).action_reset_breaker()
            self.assertEqual(connection.breaker_state, "closed")
            self.assertTrue(
                self.successes("connection.reset_breaker", user, connection)
            )

    # --- test connection: O2C Manager of the record's company

    def test_test_connection_access(self):
        for login, connection, reason in (
            ("employee", self.connection, "group"),
            ("user", self.connection, "group"),
            ("manager", self.other_conn, "company"),
            ("other_admin", self.connection, "company"),
        ):
            with self.subTest(login=login, connection=connection.name):
                self.assert_refused(
                    self.users[login],
                    connection,
                    "action_test_connection",
                    reason=reason,
                )
        for login in ("manager", "admin"):
            user = self.users[login]
            result = self.connection.with_user(user).action_test_connection()
            self.assertEqual(result["params"]["type"], "danger")  # port 9 is closed
            self.assertTrue(self.successes("connection.test", user, self.connection))

    # --- order pull and demo orders (order flow of o2c_integration)

    def test_pull_orders_and_demo_orders_access(self):
        for login, connection, method, reason in (
            ("employee", self.connection, "action_o2c_pull_orders", "group"),
            ("user", self.connection, "action_o2c_pull_orders", "group"),
            ("manager", self.other_conn, "action_o2c_pull_orders", "company"),
            ("manager", self.connection, "action_o2c_load_demo_orders", "group"),
            ("other_admin", self.connection, "action_o2c_load_demo_orders", "company"),
        ):
            with self.subTest(login=login, method=method):
                self.assert_refused(
                    self.users[login], connection, method, reason=reason
                )
        # a manager of the company passes the guard (the pull itself needs a path)
        before = self.refusals(self.users["manager"], self.connection)
        try:
            self.connection.with_user(self.users["manager"]).action_o2c_pull_orders()
        except UserError as exc:
            self.assertNotIsInstance(exc, AccessError)
        self.end_refused_transaction()
        self.assertEqual(self.refusals(self.users["manager"], self.connection), before)

    # --- key rotation: O2C Administrator, own companies only

    def test_reencrypt_all_secrets_access(self):
        Connection = self.env["o2c.connection"]
        for login in ("employee", "user", "manager"):
            with self.subTest(login=login):
                self.assert_refused(
                    self.users[login],
                    None,
                    "action_reencrypt_all_secrets",
                    reason="group",
                )
        result = Connection.with_user(
            self.users["other_admin"]
        ).action_reencrypt_all_secrets()
        # the main company's records are not touched, and the admin is told
        self.assertEqual(result["params"]["type"], "warning")
        entry = self.env["o2c.audit.log"].search(
            [
                ("action", "=", "credential.rotate"),
                ("user_id", "=", self.users["other_admin"].id),
            ]
        )
        self.assertEqual(len(entry), 1)
        self.assertIn('"records_of_other_companies":', entry.data)


@tagged("post_install", "-at_install")
class TestConnectionActionAccessRpc(ConnectionAccessMixin, O2cTestMixin, HttpCase):
    """The probe's path: JSON-RPC ``/web/dataset/call_kw`` as a logged-in user."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._o2c_setup()
        cls._access_setup()

    def call_kw(self, login, connection, method):
        self.authenticate(self.users[login].login, self.users[login].login)
        return self.make_jsonrpc_request(
            "/web/dataset/call_kw",
            {
                "model": "o2c.connection",
                "method": method,
                "args": [connection.ids],
                "kwargs": {},
            },
        )

    def assert_rpc_refused(self, login, connection, method):
        # not assertRaises: its savepoint would roll back, in this test transaction,
        # what the server wrote after the request's own rollback
        before = self.refusals(self.users[login], connection)
        try:
            self.call_kw(login, connection, method)
        except JsonRpcException as exc:
            self.assertEqual(str(exc), "odoo.exceptions.AccessError")
        else:
            self.fail(f"{login} could call {method}")
        # the request's transaction was rolled back; the refusal was audited after
        # it, on a cursor of its own
        entry = self.refusals(self.users[login], connection) - before
        self.assertEqual(len(entry), 1)
        return entry

    def test_probe_cannot_regenerate_keys_over_rpc(self):
        for login, connection in (
            ("employee", self.connection),
            ("employee", self.other_conn),
            ("user", self.connection),
            ("user", self.other_conn),
            ("manager", self.connection),
            ("other_admin", self.connection),
        ):
            with self.subTest(login=login, connection=connection.name):
                key = connection.webhook_key
                entry = self.assert_rpc_refused(
                    login, connection, "action_regenerate_webhook_key"
                )
                connection.invalidate_recordset()
                self.assertEqual(connection.webhook_key, key)
                self.assertIn("credential.change", entry.summary)
        # the administrator of the company succeeds, audited too
        key = self.connection.webhook_key
        self.call_kw("admin", self.connection, "action_regenerate_webhook_key")
        self.connection.invalidate_recordset()
        self.assertNotEqual(self.connection.webhook_key, key)
        self.assertTrue(
            self.successes("credential.change", self.users["admin"], self.connection)
        )

    def test_breaker_and_test_connection_over_rpc(self):
        for login, connection, method in (
            ("employee", self.connection, "action_reset_breaker"),
            ("user", self.connection, "action_reset_breaker"),
            ("other_manager", self.connection, "action_reset_breaker"),
            ("user", self.connection, "action_test_connection"),
            ("other_admin", self.connection, "action_test_connection"),
        ):
            with self.subTest(login=login, method=method):
                self.assert_rpc_refused(login, connection, method)
        self.connection.invalidate_recordset()
        self.assertEqual(self.connection.breaker_state, "open")
        self.call_kw("manager", self.connection, "action_reset_breaker")
        self.connection.invalidate_recordset()
        self.assertEqual(self.connection.breaker_state, "closed")
        result = self.call_kw("manager", self.connection, "action_test_connection")
        self.assertEqual(result["params"]["type"], "danger")
        for action in ("connection.reset_breaker", "connection.test"):
            self.assertTrue(
                self.successes(action, self.users["manager"], self.connection)
            )


class TestEventActionAccess(ConnectionAccessMixin, O2cCommon):
    """Event retry/replay/ignore write under sudo: manager of the event's company."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._access_setup()

    def setUp(self):
        super().setUp()
        self.registry_enter_test_mode()

    def test_manager_cannot_ignore_another_companys_event(self):
        event, _created = self.store_event(
            "order.created", "evt-other-co-ignore", {"a": 1}, connection=self.other_conn
        )
        event.write({"state": "failed"})
        manager = self.users["manager"]
        before = self.env["o2c.audit.log"].search([("action", "=", REFUSED_ACTION)])
        for method in ("action_ignore", "action_retry", "action_replay"):
            with self.subTest(method=method):
                with self.assertRaises(AccessError):
                    getattr(event.with_user(manager), method)(
                        *(["not mine"] if method == "action_ignore" else [])
                    )
                self.assertEqual(event.state, "failed")
        self.end_refused_transaction()
        refused = (
            self.env["o2c.audit.log"].search([("action", "=", REFUSED_ACTION)]) - before
        )
        self.assertEqual(len(refused), 3)
        self.assertEqual(refused.mapped("user_id"), manager)
        self.assertEqual(set(refused.mapped("res_model")), {"o2c.event"})
        # the manager of the event's company may
        event.with_user(self.users["other_manager"]).action_ignore("duplicate")
        self.assertEqual(event.state, "ignored")
