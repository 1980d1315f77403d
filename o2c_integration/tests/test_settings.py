# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The Order-to-Cash section of Settings: status figures, access, audit."""

import json
import os
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import new_test_user

from ..lib.crypto import SecretCipher
from ..lib.key_status import key_fingerprint
from .common import TEST_KEY, O2cCommon

RETENTION = "o2c_integration.payload_retention_days"


class TestO2cSettings(O2cCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.system_admin = new_test_user(
            cls.env, "plain_sysadmin", groups="base.group_user,base.group_system"
        )
        cls.o2c_sysadmin = new_test_user(
            cls.env,
            "o2c_sysadmin",
            groups="base.group_system,o2c_integration.group_o2c_admin",
        )

    def _settings(self, user, **vals):
        return self.env["res.config.settings"].with_user(user).create(vals)

    def _audit(self, field):
        entries = self.env["o2c.audit.log"].search([("action", "=", "settings.change")])
        return [e for e in entries if json.loads(e.data)["field"] == field]

    # --- access

    def test_o2c_administrator_changes_retention_audited(self):
        self.env["ir.config_parameter"].sudo().set_param(RETENTION, 90)
        self._settings(self.o2c_sysadmin, o2c_payload_retention_days=30).execute()
        self.assertEqual(
            self.env["ir.config_parameter"].sudo().get_param(RETENTION), "30"
        )
        (entry,) = self._audit("o2c_payload_retention_days")
        self.assertEqual(entry.user_id, self.o2c_sysadmin)
        self.assertEqual(json.loads(entry.data)["old"], 90)
        self.assertEqual(json.loads(entry.data)["new"], 30)

    def test_plain_administrator_cannot_change_o2c_settings(self):
        self.env["ir.config_parameter"].sudo().set_param(RETENTION, 90)
        settings = self._settings(self.system_admin, o2c_payload_retention_days=7)
        with self.assertRaises(AccessError):
            settings.execute()
        self.assertEqual(
            self.env["ir.config_parameter"].sudo().get_param(RETENTION), "90"
        )
        # saving the other settings, o2c values untouched, still works
        self._settings(self.system_admin).execute()
        self.assertFalse(self._audit("o2c_payload_retention_days"))

    def test_plain_administrator_cannot_change_alert_recipients(self):
        settings = self._settings(
            self.system_admin, o2c_alert_user_ids=[(6, 0, [self.o2c_user.id])]
        )
        with self.assertRaises(AccessError):
            settings.execute()
        self.assertFalse(self.env.company.o2c_alert_user_ids)

    def test_o2c_manager_cannot_open_or_change_settings(self):
        with self.assertRaises(AccessError):
            self._settings(self.o2c_manager, o2c_payload_retention_days=1).execute()

    def test_section_is_reserved_to_o2c_administrators(self):
        arch = self.env["res.config.settings"].get_view(view_type="form")["arch"]
        self.assertIn('name="o2c_integration"', arch)
        arch = (
            self.env["res.config.settings"]
            .with_user(self.system_admin)
            .get_view(view_type="form")["arch"]
        )
        self.assertNotIn('name="o2c_integration"', arch)

    def test_company_alert_settings_saved_and_audited(self):
        self._settings(
            self.o2c_sysadmin,
            o2c_alert_user_ids=[(6, 0, [self.o2c_manager.id])],
            o2c_close_window_days=3,
            o2c_close_escalate=False,
        ).execute()
        company = self.env.company
        self.assertEqual(company.o2c_alert_user_ids, self.o2c_manager)
        self.assertEqual(company.o2c_close_window_days, 3)
        self.assertFalse(company.o2c_close_escalate)
        (entry,) = self._audit("o2c_alert_user_ids")
        self.assertEqual(json.loads(entry.data)["new"], [self.o2c_manager.name])
        self.assertEqual(
            json.loads(self._audit("o2c_close_window_days")[0].data)["old"], 5
        )
        # read back in a new settings record
        settings = self._settings(self.o2c_sysadmin)
        self.assertEqual(settings.o2c_alert_user_ids, self.o2c_manager)
        self.assertEqual(settings.o2c_close_window_days, 3)

    # --- status figures

    def test_key_status_counts_secrets_under_an_older_key(self):
        self.connection.with_user(self.o2c_admin).write({"password": "pw-1"})
        settings = self._settings(self.o2c_sysadmin)
        self.assertTrue(settings.o2c_key_configured)
        self.assertEqual(settings.o2c_key_count, 1)
        self.assertEqual(settings.o2c_primary_key_id, key_fingerprint(TEST_KEY))
        self.assertEqual(settings.o2c_secrets_total, 2)  # password + webhook secret
        self.assertEqual(settings.o2c_secrets_old_key, 0)
        new_key = SecretCipher.generate_key()
        keys = {"O2C_ENCRYPTION_KEYS": f"{new_key},{TEST_KEY}"}
        with patch.dict(os.environ, keys):
            settings = self._settings(self.o2c_sysadmin)
            self.assertEqual(settings.o2c_key_count, 2)
            self.assertEqual(settings.o2c_primary_key_id, key_fingerprint(new_key))
            self.assertEqual(settings.o2c_secrets_old_key, 2)
            settings.action_o2c_reencrypt_secrets()
            settings = self._settings(self.o2c_sysadmin)
            self.assertEqual(settings.o2c_secrets_old_key, 0)
        self.assertNotIn(TEST_KEY, str(settings.read()[0]))

    def test_no_key_warning(self):
        with patch.dict(os.environ, {"O2C_ENCRYPTION_KEYS": ""}):
            settings = self._settings(self.o2c_sysadmin)
            self.assertFalse(settings.o2c_key_configured)
            self.assertEqual(settings.o2c_key_count, 0)

    def test_purge_preview_counts_what_the_purge_removes(self):
        old = fields.Datetime.now() - timedelta(days=40)
        done = self.store_event("test.ping", "old-1", {"a": 1})[0]
        failed = self.store_event("test.ping", "old-2", {"a": 2})[0]
        recent = self.store_event("test.ping", "new-1", {"a": 3})[0]
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE o2c_event SET received_at = %s, state = 'done' WHERE id = %s",
            [old, done.id],
        )
        self.env.cr.execute(
            "UPDATE o2c_event SET received_at = %s, state = 'failed' WHERE id = %s",
            [old, failed.id],
        )
        self.env.cr.execute(
            "UPDATE o2c_event SET state = 'done' WHERE id = %s", [recent.id]
        )
        self.env.invalidate_all()
        settings = self._settings(self.o2c_sysadmin, o2c_payload_retention_days=30)
        self.assertEqual(settings.o2c_purge_preview, 1)
        self.env["ir.config_parameter"].sudo().set_param(RETENTION, 30)
        self.assertEqual(self.env["o2c.event"]._cron_purge_payloads(), 1)
        settings = self._settings(self.o2c_sysadmin, o2c_payload_retention_days=0)
        self.assertEqual(settings.o2c_purge_preview, 0)

    def _job(self, started):
        self.env.flush_all()
        self.env.cr.execute("DELETE FROM queue_job")
        if started:
            self.env.cr.execute(
                """INSERT INTO queue_job (uuid, name, model_name, method_name,
                                          state, date_created, date_started, channel)
                   VALUES ('o2c-test-job', 'test', 'o2c.event', '_job_process',
                           'done', %s, %s, 'root.o2c')""",
                [started, started],
            )

    def test_runner_warning_after_the_threshold(self):
        now = fields.Datetime.now()
        self._job(None)
        settings = self._settings(self.o2c_sysadmin)
        self.assertTrue(settings.o2c_runner_stale, "no job ever ran")
        self._job(now - timedelta(minutes=90))
        settings = self._settings(self.o2c_sysadmin, o2c_runner_alert_minutes=60)
        self.assertTrue(settings.o2c_runner_stale)
        self.assertGreaterEqual(settings.o2c_runner_age_minutes, 90)
        settings = self._settings(self.o2c_sysadmin, o2c_runner_alert_minutes=120)
        self.assertFalse(settings.o2c_runner_stale)
        self._job(now - timedelta(minutes=2))
        settings = self._settings(self.o2c_sysadmin, o2c_runner_alert_minutes=60)
        self.assertFalse(settings.o2c_runner_stale)
        self.assertTrue(settings.o2c_channels)

    def test_backlog_counts_and_links(self):
        event = self.store_event("test.ping", "dead-1", {"a": 1})[0]
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE o2c_event SET state = 'dead' WHERE id = %s", [event.id]
        )
        self.env.invalidate_all()
        settings = self._settings(self.o2c_sysadmin)
        self.assertEqual(settings.o2c_events_dead, 1)
        action = settings.action_o2c_open_dead()
        self.assertEqual(self.env["o2c.event"].search(action["domain"]), event)

    def test_neutralized_flag(self):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("database.is_neutralized", False)
        self.assertFalse(self._settings(self.o2c_sysadmin).o2c_neutralized)
        params.set_param("database.is_neutralized", True)
        self.assertTrue(self._settings(self.o2c_sysadmin).o2c_neutralized)
