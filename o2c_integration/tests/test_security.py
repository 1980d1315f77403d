# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import os
from unittest.mock import patch

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user

from ..lib.crypto import SecretCipher
from .common import TEST_KEY, O2cCommon


class TestSecrets(O2cCommon):
    def _raw(self, column, conn=None):
        conn = conn or self.connection
        self.env.flush_all()
        self.env.cr.execute(
            f"SELECT {column} FROM o2c_connection WHERE id = %s", [conn.id]
        )
        return self.env.cr.fetchone()[0]

    def test_secret_encrypted_at_rest_and_masked(self):
        self.connection.with_user(self.o2c_admin).write(
            {"auth_method": "api_key", "api_key": "sk_live_supersecret_123"}
        )
        raw = self._raw("api_key_enc")
        self.assertTrue(raw)
        self.assertNotIn("supersecret", raw)
        self.assertEqual(
            SecretCipher([TEST_KEY]).decrypt(raw), "sk_live_supersecret_123"
        )
        # masked in reads, for everyone
        for user in (self.o2c_user, self.o2c_admin):
            value = self.connection.with_user(user).read(["api_key"])[0]["api_key"]
            self.assertNotIn("supersecret", value)
            self.assertTrue(value.startswith("••••"))
        # clear text only for administrators / sudo, in code
        self.assertEqual(
            self.connection.sudo()._o2c_get_secret("api_key"), "sk_live_supersecret_123"
        )
        self.assertEqual(
            self.connection.with_user(self.o2c_admin)._o2c_get_secret("api_key"),
            "sk_live_supersecret_123",
        )
        with self.assertRaises(AccessError):
            self.connection.with_user(self.o2c_manager)._o2c_get_secret("api_key")
        # writing the mask back does not overwrite the secret
        self.connection.with_user(self.o2c_admin).write({"api_key": "••••••••"})
        self.assertEqual(self._raw("api_key_enc"), raw)
        # the change is audited, without the secret
        audit = self.env["o2c.audit.log"].search([("action", "=", "credential.change")])
        self.assertTrue(audit)
        self.assertNotIn("supersecret", " ".join(audit.mapped("data")))

    def test_ciphertext_field_hidden_from_non_admins(self):
        self.connection.with_user(self.o2c_admin).write({"api_key": "k_123456789"})
        for user in (self.o2c_user, self.o2c_manager):
            with self.assertRaises(AccessError):
                self.connection.with_user(user).read(["api_key_enc"])
        self.assertTrue(self.connection.with_user(self.o2c_admin).read(["api_key_enc"]))

    def test_non_admin_cannot_change_connection(self):
        with self.assertRaises(AccessError):
            self.connection.with_user(self.o2c_manager).write({"api_key": "x"})
        with self.assertRaises(AccessError):
            self.connection.with_user(self.o2c_user).write({"name": "renamed"})

    def test_no_key_configured_refuses_to_save(self):
        with (
            patch.dict(os.environ, {"O2C_ENCRYPTION_KEYS": ""}),
            self.assertRaisesRegex(UserError, "no encryption key"),
        ):
            self.connection.with_user(self.o2c_admin).write({"api_key": "sk_x"})

    def test_key_rotation_reencrypts_everything(self):
        self.connection.with_user(self.o2c_admin).write({"password": "pw-old-key"})
        secret = self.connection.webhook_secret_ids
        old_pw, old_secret = self._raw("password_enc"), secret.sudo().secret_enc
        new_key = SecretCipher.generate_key()
        with patch.dict(os.environ, {"O2C_ENCRYPTION_KEYS": f"{new_key},{TEST_KEY}"}):
            self.env["o2c.connection"].with_user(
                self.o2c_admin
            ).action_reencrypt_all_secrets()
            self.connection.invalidate_recordset()
            secret.invalidate_recordset()
            self.assertNotEqual(self._raw("password_enc"), old_pw)
        # only the new key is needed now
        only_new = SecretCipher([new_key])
        self.assertEqual(only_new.decrypt(self._raw("password_enc")), "pw-old-key")
        self.assertNotEqual(secret.sudo().secret_enc, old_secret)
        with patch.dict(os.environ, {"O2C_ENCRYPTION_KEYS": new_key}):
            self.assertEqual(
                self.connection.sudo()._o2c_get_secret("password"), "pw-old-key"
            )
        self.assertTrue(
            self.env["o2c.audit.log"].search([("action", "=", "credential.rotate")])
        )

    def test_expired_webhook_secret_not_valid(self):
        self.env["o2c.connection.secret"].create(
            {
                "connection_id": self.connection.id,
                "name": "old",
                "secret": "expired-one",
                "expires_at": "2020-01-01 00:00:00",
            }
        )
        self.assertNotIn("expired-one", self.connection._o2c_webhook_secrets())
        self.assertEqual(len(self.connection._o2c_webhook_secrets()), 1)


class TestAccessRules(O2cCommon):
    def test_multi_company_isolation(self):
        other = self.env["res.company"].create({"name": "Other Co"})
        other_conn = self.env["o2c.connection"].create(
            {"name": "Other", "company_id": other.id}
        )
        event, _c = self.store_event(
            "t", "evt-other-co", {"a": 1}, connection=other_conn
        )
        exc = self.env["o2c.exception"]._raise(
            "other", "Other company problem", event=event
        )
        self.assertEqual(exc.company_id, other)
        user = self.o2c_manager
        self.assertFalse(
            self.env["o2c.event"].with_user(user).search([("id", "=", event.id)])
        )
        self.assertFalse(
            self.env["o2c.exception"].with_user(user).search([("id", "=", exc.id)])
        )
        with self.assertRaises(AccessError):
            event.with_user(user).read(["event_type"])
        # a user of both companies sees it
        both = new_test_user(
            self.env,
            "o2c_both",
            groups="o2c_integration.group_o2c_user",
            company_ids=[(6, 0, [self.env.company.id, other.id])],
        )
        self.assertTrue(
            self.env["o2c.event"]
            .with_user(both)
            .with_context(allowed_company_ids=[self.env.company.id, other.id])
            .search([("id", "=", event.id)])
        )

    def test_user_reads_events_but_not_raw_payload(self):
        event, _c = self.store_event("t", "evt-acl", {"token": "tok_secret_value"})
        as_user = event.with_user(self.o2c_user)
        self.assertEqual(as_user.event_type, "t")
        with self.assertRaises(AccessError):
            as_user.read(["payload"])
        self.assertNotIn("tok_secret_value", as_user.payload_masked)
        with self.assertRaises(AccessError):
            as_user.write({"event_type": "changed"})
        with self.assertRaises(UserError):
            as_user.action_retry()

    def test_plain_employee_sees_nothing(self):
        employee = new_test_user(self.env, "plain_emp", groups="base.group_user")
        with self.assertRaises(AccessError):
            self.env["o2c.event"].with_user(employee).search([])
        with self.assertRaises(AccessError):
            self.env["o2c.connection"].with_user(employee).search([])
        with self.assertRaises(AccessError):
            self.env["o2c.exception"].with_user(employee).search([])

    def test_public_user_has_no_access(self):
        public = self.env.ref("base.public_user")
        for model in ("o2c.event", "o2c.connection", "o2c.exception", "o2c.audit.log"):
            with self.assertRaises(AccessError):
                self.env[model].with_user(public).search([])

    def test_user_works_exceptions(self):
        exc = self.env["o2c.exception"]._raise(
            "unmatched", "Bank line 42 unmatched", amount=120.5
        )
        as_user = exc.with_user(self.o2c_user)
        as_user.action_take()
        self.assertEqual(exc.state, "in_progress")
        self.assertEqual(exc.user_id, self.o2c_user)
        with self.assertRaises(UserError):
            as_user.action_resolve()
        as_user.resolution_note = "Matched by hand to INV/2026/0001"
        as_user.action_resolve()
        self.assertEqual(exc.state, "resolved")
        self.assertEqual(exc.resolved_by_id, self.o2c_user)
        self.assertTrue(
            self.env["o2c.audit.log"].search(
                [("action", "=", "exception.resolved"), ("res_id", "=", exc.id)]
            )
        )
        # the same problem later opens a new exception (the old one is closed)
        again = self.env["o2c.exception"]._raise("unmatched", "again", dedup_key="k1")
        same = self.env["o2c.exception"]._raise("unmatched", "again", dedup_key="k1")
        self.assertEqual(again, same)
        self.assertEqual(same.occurrence_count, 2)
