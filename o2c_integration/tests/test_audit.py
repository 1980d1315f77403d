# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import json
import os
import shutil
import tempfile
import uuid
from datetime import datetime
from unittest.mock import patch

import psycopg2

from odoo import SUPERUSER_ID, api
from odoo.exceptions import UserError
from odoo.tests import TransactionCase
from odoo.tools import config

from ..lib.audit_chain import UNKEYED, AuditKeyring, compute_hash, stamp
from ..models.o2c_audit_log import get_audit_keyring
from .common import TEST_AUDIT_KEY, O2cCommon, O2cTestMixin


class TestAuditLog(O2cCommon):
    def _entries(self, n=3):
        Audit = self.env["o2c.audit.log"]
        entries = [
            Audit._log(
                "test.action",
                f"entry {i}",
                records=self.connection,
                data={"i": i, "amount": "10.00"},
            )
            for i in range(n)
        ]
        Audit._seal_pending()
        return entries

    def test_entries_are_sealed_in_id_order(self):
        Audit = self.env["o2c.audit.log"]
        entry = Audit._log("test.action", "pending", records=self.connection)
        # appended without a chain position: no lock held by the audited transaction
        self.assertFalse(entry.sequence)
        self.assertFalse(entry.sealed)
        self.assertIn(entry, Audit.search([("sealed", "=", False)]))
        self.assertGreaterEqual(Audit._seal_pending(), 1)
        self.assertTrue(entry.sealed)
        self.assertTrue(entry.sequence and entry.prev_hash and entry.hash)
        self.assertEqual(Audit._seal_pending(), 0)
        self.assertFalse(Audit._verify_chain())

    def test_trigger_refuses_content_change_while_unsealed(self):
        entry = self.env["o2c.audit.log"]._log("test.action", "pending")
        self.env.flush_all()
        with self.assertRaises(psycopg2.Error), self.cr.savepoint():
            self.cr.execute(
                "UPDATE o2c_audit_log SET summary = 'x', sequence = 999999, hash = 'h', "
                "prev_hash = 'p' WHERE id = %s",
                [entry.id],
            )

    def test_chain_links_and_verifies(self):
        first, second, third = self._entries()
        self.assertEqual(second.prev_hash, first.hash)
        self.assertEqual(third.prev_hash, second.hash)
        self.assertFalse(self.env["o2c.audit.log"]._verify_chain())
        action = self.env["o2c.audit.log"].action_verify_chain()
        self.assertEqual(action["params"]["type"], "success")

    def test_orm_refuses_write_unlink_create(self):
        entry = self._entries(1)[0]
        with self.assertRaises(UserError):
            entry.write({"summary": "changed"})
        with self.assertRaises(UserError):
            entry.sudo().unlink()
        with self.assertRaises(UserError):
            self.env["o2c.audit.log"].sudo().create({"summary": "forged"})

    def test_database_trigger_refuses_update_and_delete(self):
        entry = self._entries(1)[0]
        self.env.flush_all()
        for sql in (
            "UPDATE o2c_audit_log SET summary = 'x' WHERE id = %s",
            "DELETE FROM o2c_audit_log WHERE id = %s",
        ):
            with self.assertRaises(psycopg2.Error), self.env.cr.savepoint():
                self.env.cr.execute(sql, [entry.id])

    def _tamper(self, sql, params):
        """Edit history the way only a database owner could (trigger disabled)."""
        self.env.flush_all()
        cr = self.env.cr
        cr.execute(
            "ALTER TABLE o2c_audit_log DISABLE TRIGGER o2c_audit_log_append_only"
        )
        cr.execute(sql, params)
        cr.execute("ALTER TABLE o2c_audit_log ENABLE TRIGGER o2c_audit_log_append_only")
        self.env["o2c.audit.log"].invalidate_model()

    def test_tampered_content_is_detected(self):
        _first, second, _third = self._entries()
        self._tamper(
            "UPDATE o2c_audit_log SET data = %s WHERE id = %s",
            ['{"amount":"99.00","i":1}', second.id],
        )
        self.assertEqual(self.env["o2c.audit.log"]._verify_chain().broken, second)
        action = self.env["o2c.audit.log"].action_verify_chain()
        self.assertEqual(action["params"]["type"], "danger")

    def test_rehashed_entry_breaks_next_link(self):
        first, second, third = self._entries()
        # a forger who recomputes the edited entry's own hash still breaks the chain;
        # with the keyed chain the forger's (public) hash is already caught at the
        # edited entry itself, before the link to the next one
        Audit = self.env["o2c.audit.log"]
        from ..lib.audit_chain import compute_hash

        content = Audit._hash_content(
            {
                "sequence": second.sequence,
                "date": second.date,
                "user_id": second.user_id.id,
                "company_id": second.company_id.id,
                "action": second.action,
                "res_model": second.res_model,
                "res_id": second.res_id,
                "event_id": second.event_id.id,
                "summary": "forged",
                "data": second.data,
            }
        )
        self._tamper(
            "UPDATE o2c_audit_log SET summary = 'forged', hash = %s WHERE id = %s",
            [compute_hash(second.prev_hash, content), second.id],
        )
        self.assertEqual(Audit._verify_chain().broken, second)

    def test_deleted_entry_is_detected(self):
        _first, second, third = self._entries()
        self._tamper("DELETE FROM o2c_audit_log WHERE id = %s", [second.id])
        self.assertEqual(self.env["o2c.audit.log"]._verify_chain().broken, third)


class TestAuditAgainstDatabaseOwner(O2cCommon):
    """The database owner (raw SQL, triggers disabled) against the keyed chain.

    The sealing key lives in the environment (``O2C_AUDIT_KEYS``, set by the test
    mixin), never in the database; the digest files go to a folder of this test.
    """

    def setUp(self):
        super().setUp()
        self.digest_dir = tempfile.mkdtemp(prefix="o2c_audit_test_")
        self.addCleanup(shutil.rmtree, self.digest_dir, True)
        env_patch = patch.dict(os.environ, {"O2C_AUDIT_DIGEST_DIR": self.digest_dir})
        env_patch.start()
        self.addCleanup(env_patch.stop)
        self.Audit = self.env["o2c.audit.log"]
        self.Digest = self.env["o2c.audit.digest"]

    def _entries(self, n):
        entries = [
            self.Audit._log("test.action", f"owner {i}", data={"i": i})
            for i in range(n)
        ]
        self.Audit._seal_pending()
        return entries

    def _digest(self):
        """Sign the head and write its file, as the cron does after its commit."""
        digest = self.Digest._create_digest()
        self.assertTrue(digest)
        self.assertTrue(digest._write_file())
        return digest

    def _as_owner(self, *statements):
        """Run SQL the way a database owner would: every user trigger disabled."""
        self.env.flush_all()
        cr = self.env.cr
        for table in ("o2c_audit_log", "o2c_audit_digest"):
            cr.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        for sql, params in statements:
            cr.execute(sql, params)
        for table in ("o2c_audit_log", "o2c_audit_digest"):
            cr.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        self.env.invalidate_all()

    def _head(self):
        self.env.cr.execute("SELECT max(sequence) FROM o2c_audit_log")
        return self.env.cr.fetchone()[0] or 0

    def test_intact_chain_with_digest_verifies(self):
        entries = self._entries(3)
        self.assertTrue(all(e.key_id for e in entries))
        digest = self._digest()
        result = self.Audit._verify_chain()
        self.assertTrue(result.ok, result.reason)
        self.assertFalse(result)
        self.assertEqual(result.last_digest["last_sequence"], entries[-1].sequence)
        self.assertGreaterEqual(result.report.checkpoints_checked, 1)
        # the digest file is the signed record, byte for byte
        with open(digest.file_name, "rb") as handle:
            on_disk = json.loads(handle.read())
        self.assertEqual(on_disk["signature"], digest.signature)
        self.assertEqual(on_disk["payload"]["head_hash"], entries[-1].hash)
        self.assertEqual(
            os.path.dirname(digest.file_name),
            os.path.join(self.digest_dir, self.env.cr.dbname),
        )
        # nothing new: no second digest
        self.assertEqual(self.Digest._create_digest(), digest)

    def test_default_digest_folder_is_under_data_dir(self):
        with patch.dict(os.environ, {"O2C_AUDIT_DIGEST_DIR": ""}):
            self.assertEqual(
                self.Digest._digest_directory(),
                os.path.join(
                    config["data_dir"], "o2c_audit_digests", self.env.cr.dbname
                ),
            )

    def test_truncate_is_refused(self):
        self._entries(1)
        self._digest()
        self.env.flush_all()
        for table in ("o2c_audit_log", "o2c_audit_digest"):
            with self.assertRaises(psycopg2.Error) as err, self.env.cr.savepoint():
                self.env.cr.execute(f"TRUNCATE {table}")
            self.assertIn("TRUNCATE refused", str(err.exception))
            with self.assertRaises(psycopg2.Error), self.env.cr.savepoint():
                self.env.cr.execute(f"DELETE FROM {table}")

    def test_truncate_by_owner_detected_by_digest_file(self):
        """The owner bypasses the triggers and empties both tables: the file remains."""
        self._entries(3)
        self._digest()
        self._as_owner(
            ("TRUNCATE o2c_audit_log", []), ("TRUNCATE o2c_audit_digest", [])
        )
        self.assertEqual(self.Audit.search_count([]), 0)
        result = self.Audit._verify_chain()
        self.assertFalse(result.ok)
        self.assertIn("removed", result.reason)
        self.assertEqual(result.report.count, 0)
        action = self.Audit.action_verify_chain()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("FAILED", action["params"]["message"])

    def test_tail_deletion_detected(self):
        """Delete the last 50 entries (and the digest rows): the chain still links."""
        self._entries(60)
        head = self._head()
        self._digest()
        self._as_owner(
            ("DELETE FROM o2c_audit_log WHERE sequence > %s", [head - 50]),
            ("DELETE FROM o2c_audit_digest", []),
        )
        result = self.Audit._verify_chain()
        self.assertFalse(result.ok)
        self.assertIn(f"#{head}", result.reason)
        self.assertIn("removed", result.reason)
        self.assertEqual(result.report.last_sequence, head - 50)

    def test_tail_deletion_detected_by_digest_table_alone(self):
        self._entries(60)
        head = self._head()
        digest = self._digest()
        os.remove(digest.file_name)  # filestore lost, the table copy remains
        self._as_owner(("DELETE FROM o2c_audit_log WHERE sequence > %s", [head - 50]))
        result = self.Audit._verify_chain()
        self.assertIn("removed", result.reason)
        self.assertTrue(any("no file" in w for w in result.warnings), result.warnings)
        # and a new digest is refused on the shortened chain
        self.assertFalse(self.Digest._create_digest())

    def test_recomputed_hashes_with_public_algorithm_fail(self):
        """Edit an entry and recompute every later hash WITHOUT the key."""
        entries = self._entries(5)
        target = entries[1]
        self.env.cr.execute(
            "SELECT id, sequence, date, user_id, company_id, action, res_model, res_id,"
            " event_id, summary, data FROM o2c_audit_log WHERE sequence >= %s "
            "ORDER BY sequence",
            [target.sequence],
        )
        rows = self.env.cr.dictfetchall()
        prev = target.prev_hash
        statements = []
        for row in rows:
            if row["id"] == target.id:
                row["summary"] = "forged"
            digest = compute_hash(prev, self.Audit._hash_content(row))
            statements.append(
                (
                    "UPDATE o2c_audit_log SET summary = %s, prev_hash = %s, hash = %s "
                    "WHERE id = %s",
                    [row["summary"], prev, digest, row["id"]],
                )
            )
            prev = digest
        self._as_owner(*statements)
        result = self.Audit._verify_chain()
        self.assertFalse(result.ok)
        self.assertEqual(result.broken, target)
        self.assertIn("HMAC", result.reason)
        # claiming "unkeyed" for the rewritten tail does not help either
        self._as_owner(
            (
                "UPDATE o2c_audit_log SET key_id = NULL WHERE sequence >= %s",
                [target.sequence],
            )
        )
        result = self.Audit._verify_chain()
        self.assertEqual(result.broken, target)

    def _forge_insert(self, date, stamp_value, nonce="forged-nonce-1", kid=None):
        self.env.cr.execute(
            "INSERT INTO o2c_audit_log (date, action, summary, key_id, nonce, stamp,"
            " create_date, write_date) VALUES (%s, 'invoice.post', 'back-dated', %s, "
            "%s, %s, now(), now()) RETURNING id",
            [
                date,
                get_audit_keyring().primary_id if kid is None else kid,
                nonce,
                stamp_value,
            ],
        )
        return self.Audit.browse(self.env.cr.fetchone()[0])

    def test_backdated_insert_is_never_sealed(self):
        """A row INSERTed behind the application's back is refused by normal sealing."""
        self._entries(3)
        self._digest()
        # a forger without the key signs with a key of their own
        wrong = AuditKeyring(["not-the-key-" * 4])
        keyed_guess = stamp(wrong, wrong.primary_id, {"summary": "back-dated"})
        forged = self._forge_insert(datetime(2026, 1, 2, 3, 4, 5), keyed_guess)
        # the public algorithm does not produce a valid stamp either
        content = self.Audit._stamp_content(
            {
                "date": datetime(2026, 1, 2),
                "action": "invoice.post",
                "summary": "plain",
                "nonce": "forged-nonce-2",
            }
        )
        plain = self._forge_insert(
            datetime(2026, 1, 2),
            stamp(AuditKeyring(), UNKEYED, content),
            nonce="forged-nonce-2",
            kid=UNKEYED,
        )
        head = self._head()
        with self.assertLogs(
            "odoo.addons.o2c_integration.models.o2c_audit_log", "ERROR"
        ) as logs:
            self.Audit._seal_pending()
        self.assertEqual(self._head(), head)
        self.assertFalse(forged.sequence or plain.sequence)
        self.assertIn("refused to seal", logs.output[0])
        # later genuine entries are sealed past the refused ones
        genuine = self._entries(1)[0]
        self.assertEqual(genuine.sequence, head + 1)
        result = self.Audit._verify_chain()
        self.assertFalse(result.ok)
        self.assertEqual(result.broken, forged)
        self.assertEqual(set(result.refused_ids), {forged.id, plain.id})
        self.assertIn("forged or back-dated", result.reason)

    def test_forged_sealed_insert_fails(self):
        """A row inserted already sealed, chained with the public algorithm."""
        entries = self._entries(2)
        content = self.Audit._hash_content(
            {
                "sequence": entries[-1].sequence + 1,
                "date": datetime(2026, 1, 2),
                "action": "invoice.post",
                "summary": "forged",
            }
        )
        self.env.cr.execute(
            "INSERT INTO o2c_audit_log (sequence, date, action, summary, key_id, "
            "prev_hash, hash) VALUES (%s, %s, 'invoice.post', 'forged', %s, %s, %s) "
            "RETURNING id",
            [
                entries[-1].sequence + 1,
                datetime(2026, 1, 2),
                entries[-1].key_id,
                entries[-1].hash,
                compute_hash(entries[-1].hash, content),
            ],
        )
        forged_id = self.env.cr.fetchone()[0]
        result = self.Audit._verify_chain()
        self.assertEqual(result.broken.id, forged_id)
        # and no digest will endorse it
        self.assertFalse(self.Digest._create_digest())

    def test_copied_row_is_refused(self):
        entry = self._entries(1)[0]
        self.env.cr.execute(
            "ALTER TABLE o2c_audit_log DROP CONSTRAINT o2c_audit_log_nonce_uniq"
        )
        self.env.cr.execute(
            "INSERT INTO o2c_audit_log (date, action, summary, key_id, nonce, stamp) "
            "SELECT date, action, summary, key_id, nonce, stamp FROM o2c_audit_log "
            "WHERE id = %s RETURNING id",
            [entry.id],
        )
        copy_id = self.env.cr.fetchone()[0]
        with self.assertLogs(
            "odoo.addons.o2c_integration.models.o2c_audit_log", "ERROR"
        ):
            self.Audit._seal_pending()
        self.assertFalse(self.Audit.browse(copy_id).sequence)
        self.assertIn(copy_id, self.Audit._verify_chain().refused_ids)

    def test_forged_digest_file_detected(self):
        self._entries(2)
        digest = self._digest()
        signed = json.loads(digest._file_content())
        signed["payload"]["last_sequence"] += 10
        signed["payload"]["count"] += 10
        path = os.path.join(os.path.dirname(digest.file_name), "forged.json")
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(signed, handle)
        result = self.Audit._verify_chain()
        self.assertIn("forged.json", result.reason)
        self.assertIn("signature", result.reason)

    def test_digest_of_another_database_fails(self):
        self._entries(1)
        self._digest()
        self.env["ir.config_parameter"].sudo().set_param("database.uuid", "other")
        self.assertIn("belongs to database", self.Audit._verify_chain().reason)

    def test_digest_refused_on_tampered_chain(self):
        entries = self._entries(3)
        self._as_owner(
            (
                "UPDATE o2c_audit_log SET summary = 'x' WHERE id = %s",
                [entries[-1].id],
            )
        )
        with self.assertLogs(
            "odoo.addons.o2c_integration.models.o2c_audit_digest", "ERROR"
        ):
            self.assertFalse(self.Digest._create_digest())

    def test_digest_table_is_append_only(self):
        self._entries(1)
        digest = self._digest()
        with self.assertRaises(UserError):
            digest.write({"head_hash": "x"})
        with self.assertRaises(UserError):
            digest.unlink()
        self.env.flush_all()
        for sql in (
            "UPDATE o2c_audit_digest SET head_hash = 'x' WHERE id = %s",
            "DELETE FROM o2c_audit_digest WHERE id = %s",
        ):
            with self.assertRaises(psycopg2.Error), self.env.cr.savepoint():
                self.env.cr.execute(sql, [digest.id])

    def test_digests_chain_and_mail_sink(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "o2c_integration.audit_digest_email", "auditor@example.com"
        )
        self._entries(2)
        first = self._digest()
        self._entries(2)
        second = self._digest()
        self.assertEqual(second.prev_signature, first.signature)
        self.assertEqual(second.mail_id.email_to, "auditor@example.com")
        self.assertIn(second.signature, second.mail_id.body_html)
        self.assertEqual(second.key_id, get_audit_keyring().primary_id)
        result = self.Audit._verify_chain()
        self.assertTrue(result.ok, result.reason)

    def test_digest_if_due_respects_interval(self):
        self._entries(1)
        first = self.Digest._create_digest_if_due()
        self._entries(1)
        self.assertEqual(self.Digest._create_digest_if_due(), first)
        self.env["ir.config_parameter"].sudo().set_param(
            "o2c_integration.audit_digest_interval_minutes", "0"
        )
        self.assertNotEqual(self.Digest._create_digest_if_due(), first)

    def test_without_key_plain_chain_with_loud_warning(self):
        """No key configured: the plain chain works, every result says it is weak."""
        self._as_owner(
            ("DELETE FROM o2c_audit_log", []), ("DELETE FROM o2c_audit_digest", [])
        )
        with patch.dict(os.environ, {"O2C_AUDIT_KEYS": ""}):
            entries = self._entries(2)
            self.assertFalse(entries[0].key_id)
            self._digest()
            result = self.Audit._verify_chain()
            self.assertTrue(result.ok, result.reason)
            self.assertIn("No audit sealing key", result.warnings[0])
            action = self.Audit.action_verify_chain()
            self.assertEqual(action["params"]["type"], "warning")
            self.assertIn("No audit sealing key", action["params"]["message"])
        # the key comes back: unkeyed rows logged meanwhile are not sealed with it
        with patch.dict(os.environ, {"O2C_AUDIT_KEYS": ""}):
            pending = self.Audit._log("test.action", "logged without key")
        with self.assertLogs(
            "odoo.addons.o2c_integration.models.o2c_audit_log", "ERROR"
        ):
            self.Audit._seal_pending()
        self.assertFalse(pending.sequence)

    def test_rotation_keeps_old_entries_verifiable(self):
        old_entries = self._entries(2)
        self._digest()
        new_key = "rotated-audit-key-" + "9" * 30
        with patch.dict(os.environ, {"O2C_AUDIT_KEYS": f"{new_key},{TEST_AUDIT_KEY}"}):
            new_entries = self._entries(2)
            self.assertNotEqual(new_entries[0].key_id, old_entries[0].key_id)
            self._digest()
            self.assertTrue(self.Audit._verify_chain().ok)
        with patch.dict(os.environ, {"O2C_AUDIT_KEYS": new_key}):
            result = self.Audit._verify_chain()
            self.assertFalse(result.ok)
            self.assertIn("not configured", result.reason)

    def test_verify_button_with_and_without_selection(self):
        """The list header button calls the method on the selection or on nothing."""
        entries = self._entries(2)
        for records in (self.Audit, entries[0], entries[0] | entries[1]):
            action = records.with_user(self.o2c_user).action_verify_chain()
            self.assertEqual(action["tag"], "display_notification")
            self.assertIn("entries verified", action["params"]["message"])

    def test_action_label(self):
        entry = self.Audit._log("credential.change", "x")
        other = self.Audit._log("my_addon.thing_done", "y")
        self.assertEqual(entry.action_label, "Credential changed")
        self.assertEqual(other.action_label, "My addon: Thing done")


class TestAuditDigestCron(O2cTestMixin, TransactionCase):
    """The cron, as it runs: its own committed transactions (leaves rows behind)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._o2c_setup_keys()

    def test_cron_seals_and_signs_committed_head(self):
        marker = f"cron-digest-{uuid.uuid4().hex[:10]}"
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            # logged without the post-commit sealing: what a crash leaves behind
            env["o2c.audit.log"]._log("test.cron", marker)
            cr.postcommit.clear()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env.ref("o2c_integration.cron_audit_digest").method_direct_trigger()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            entry = env["o2c.audit.log"].search([("summary", "=", marker)])
            self.assertTrue(entry.sequence and entry.key_id)
            digest = env["o2c.audit.digest"].search([], limit=1)
            self.assertGreaterEqual(digest.last_sequence, entry.sequence)
            self.assertTrue(os.path.isfile(digest.file_name), digest.file_name)
            self.assertTrue(env["o2c.audit.log"]._verify_chain().ok)
