# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import psycopg2

from odoo.exceptions import UserError

from .common import O2cCommon


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
        self.assertEqual(self.env["o2c.audit.log"]._verify_chain(), second)
        action = self.env["o2c.audit.log"].action_verify_chain()
        self.assertEqual(action["params"]["type"], "danger")

    def test_rehashed_entry_breaks_next_link(self):
        first, second, third = self._entries()
        # a forger who recomputes the edited entry's own hash still breaks the chain
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
        self.assertEqual(Audit._verify_chain(), third)

    def test_deleted_entry_is_detected(self):
        _first, second, third = self._entries()
        self._tamper("DELETE FROM o2c_audit_log WHERE id = %s", [second.id])
        self.assertEqual(self.env["o2c.audit.log"]._verify_chain(), third)
