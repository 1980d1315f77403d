# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Tamper-evident, append-only audit log.

Every entry stores the hash of the previous entry and a SHA-256 over its own canonical
content (see ``lib/audit_chain.py``). The ORM refuses ``write`` and ``unlink`` for
everyone, including the superuser, and a PostgreSQL trigger refuses ``UPDATE`` and
``DELETE`` on the table so that raw SQL cannot edit history either. Whoever bypasses
both (a database owner disabling the trigger) is caught by :meth:`action_verify_chain`.

Appending is two-phase so that audited work never serialises on the chain:

1. :meth:`_log` inserts the entry's content in the caller's transaction (it commits or
   rolls back with the change it describes) without any lock;
2. :meth:`_seal_pending` gives committed entries their chain position, previous hash
   and hash, in id order, under an advisory lock, in a short READ COMMITTED
   transaction of its own run right after the caller commits (and by a cron for
   whatever a crash left unsealed). Sealing inside the caller's REPEATABLE READ
   transaction would be wrong: its snapshot predates the lock wait, so two workers
   would both extend the same "last" entry.

The trigger lets an UPDATE through only when it seals an unsealed entry without
touching its content.
"""

import json
import logging

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import UserError
from odoo.modules.registry import Registry
from odoo.sql_db import Cursor

from ..lib.audit_chain import GENESIS, canonical_json, compute_hash, verify_chain

_logger = logging.getLogger(__name__)

# Serialises appends: the chain needs "read last hash, insert next" to be atomic
# across concurrent transactions. Transaction-scoped, released at commit/rollback.
_CHAIN_LOCK_KEY = 0x02C_A0D1


class O2cAuditLog(models.Model):
    _name = "o2c.audit.log"
    _description = "O2C Audit Log Entry"
    _order = "sequence desc, id desc"
    _rec_name = "summary"

    sequence = fields.Integer(
        readonly=True,
        index=True,
        copy=False,
        help="Position in the hash chain; empty until the entry is sealed (seconds "
        "after its transaction commits).",
    )
    date = fields.Datetime(required=True, readonly=True)
    user_id = fields.Many2one("res.users", readonly=True, ondelete="restrict")
    company_id = fields.Many2one("res.company", readonly=True, ondelete="restrict")
    action = fields.Char(required=True, readonly=True, index=True)
    res_model = fields.Char(string="Model", readonly=True, index=True)
    res_id = fields.Integer(string="Record ID", readonly=True, index=True)
    event_id = fields.Many2one(
        "o2c.event", string="Source Event", readonly=True, ondelete="restrict"
    )
    summary = fields.Char(required=True, readonly=True)
    data = fields.Text(readonly=True, help="Canonical JSON of the details")
    prev_hash = fields.Char(readonly=True)
    hash = fields.Char(readonly=True, index=True)
    sealed = fields.Boolean(compute="_compute_sealed", search="_search_sealed")

    _sequence_uniq = models.Constraint(
        "UNIQUE(sequence)", "Audit log sequence numbers are unique."
    )

    # --- INIT: database-level immutability

    def init(self):
        cr = self.env.cr
        cr.execute(
            """
            CREATE OR REPLACE FUNCTION o2c_audit_log_refuse_change()
            RETURNS trigger AS $$
            BEGIN
                -- sealing: an unsealed entry gets its chain fields, content untouched
                IF TG_OP = 'UPDATE' AND OLD.hash IS NULL AND OLD.sequence IS NULL
                   AND NEW.hash IS NOT NULL AND NEW.sequence IS NOT NULL
                   AND (NEW.id, NEW.date, NEW.user_id, NEW.company_id, NEW.action,
                        NEW.res_model, NEW.res_id, NEW.event_id, NEW.summary, NEW.data)
                       IS NOT DISTINCT FROM
                       (OLD.id, OLD.date, OLD.user_id, OLD.company_id, OLD.action,
                        OLD.res_model, OLD.res_id, OLD.event_id, OLD.summary, OLD.data)
                THEN
                    RETURN NEW;
                END IF;
                RAISE EXCEPTION 'o2c_audit_log is append-only: % refused', TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END
            $$ LANGUAGE plpgsql;
            DROP TRIGGER IF EXISTS o2c_audit_log_append_only ON o2c_audit_log;
            CREATE TRIGGER o2c_audit_log_append_only
                BEFORE UPDATE OR DELETE ON o2c_audit_log
                FOR EACH ROW EXECUTE FUNCTION o2c_audit_log_refuse_change();
            CREATE INDEX IF NOT EXISTS o2c_audit_log_unsealed_idx
                ON o2c_audit_log (id) WHERE sequence IS NULL;
            """
        )

    # --- COMPUTE

    @api.depends("hash")
    def _compute_sealed(self):
        for entry in self:
            entry.sealed = bool(entry.hash)

    def _search_sealed(self, operator, value):
        if operator not in ("=", "!="):
            return NotImplemented
        positive = (operator == "=") == bool(value)
        return [("hash", "!=" if positive else "=", False)]

    # --- CRUD

    @api.model_create_multi
    def create(self, vals_list):
        # Entries are only created through _log(), which computes the chain.
        if not self.env.context.get("o2c_audit_append"):
            raise UserError(
                self.env._("Audit entries can only be appended by the system.")
            )
        return super().create(vals_list)

    def write(self, vals):
        raise UserError(
            self.env._("The audit log is append-only: entries cannot be changed.")
        )

    def unlink(self):
        raise UserError(
            self.env._("The audit log is append-only: entries cannot be deleted.")
        )

    # --- BUSINESS METHODS

    def _hash_content(self, vals):
        """The exact content covered by an entry's hash (stable field order)."""
        return {
            "sequence": vals["sequence"],
            "date": fields.Datetime.to_string(vals["date"]),
            "user_id": vals.get("user_id") or 0,
            "company_id": vals.get("company_id") or 0,
            "action": vals["action"],
            "res_model": vals.get("res_model") or "",
            "res_id": vals.get("res_id") or 0,
            "event_id": vals.get("event_id") or 0,
            "summary": vals["summary"],
            "data": vals.get("data") or "",
        }

    @api.model
    def _log(self, action, summary, records=None, event=None, data=None):
        """Append one entry to the chain and return it.

        :param action: short machine name, e.g. ``"event.replay"``,
            ``"credential.change"``
        :param summary: one human sentence
        :param records: the business record(s) concerned (first one is referenced)
        :param event: the ``o2c.event`` at the origin, if any
        :param data: JSON-serialisable details (never secrets)

        Example::

            self.env["o2c.audit.log"]._log(
                "exception.resolve", "Resolved after manual match", records=exc,
                data={"note": exc.resolution_note})
        """
        records = records[:1] if records else None
        company = (
            records.company_id
            if records is not None and "company_id" in records._fields
            else self.env.company
        )
        vals = {
            "date": fields.Datetime.now(),
            "user_id": self.env.uid,
            "company_id": company.id or False,
            "action": action,
            "res_model": records._name if records is not None else False,
            "res_id": records.id if records is not None else False,
            "event_id": event.id if event else False,
            "summary": summary,
            "data": canonical_json(data).decode() if data is not None else False,
        }
        entry = self.sudo().with_context(o2c_audit_append=True).create(vals)
        self._schedule_seal()
        return entry

    def _schedule_seal(self):
        """Seal this transaction's entries right after it commits (once per commit)."""
        cr = self.env.cr
        if cr.postcommit.data.get("o2c_audit_seal"):
            return
        cr.postcommit.data["o2c_audit_seal"] = True
        dbname = cr.dbname

        @cr.postcommit.add
        def _seal():
            try:
                self._seal_in_new_transaction(dbname)
            except Exception:  # the cron seals what this missed
                _logger.exception(
                    "O2C audit: sealing after commit failed; the cron will retry"
                )

    @api.model
    def _seal_in_new_transaction(self, dbname=None):
        """Seal committed entries in a short READ COMMITTED transaction of its own."""
        registry = Registry(dbname or self.env.cr.dbname)
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            if not isinstance(cr, Cursor):
                # HttpCase: every cursor is the test's own transaction, alone
                return env["o2c.audit.log"]._seal_pending()
            # must be the first statement: reads after the lock must see every
            # entry committed before it was granted
            cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
            return env["o2c.audit.log"]._seal_pending()

    @api.model
    def _seal_pending(self, limit=10000):
        """Chain the unsealed entries visible to this transaction, in id order.

        Safe in a transaction that takes no snapshot before the lock (READ COMMITTED,
        see :meth:`_seal_in_new_transaction`) or that is alone (tests, the cron).
        Returns the number of entries sealed.
        """
        cr = self.env.cr
        self.env.flush_all()
        cr.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
        cr.execute(
            "SELECT id, date, user_id, company_id, action, res_model, res_id, "
            "event_id, summary, data FROM o2c_audit_log WHERE sequence IS NULL "
            "ORDER BY id LIMIT %s",
            [limit],
        )
        pending = cr.dictfetchall()
        if not pending:
            return 0
        cr.execute(
            "SELECT sequence, hash FROM o2c_audit_log WHERE sequence IS NOT NULL "
            "ORDER BY sequence DESC LIMIT 1"
        )
        row = cr.fetchone()
        last_seq, prev_hash = row if row else (0, GENESIS)
        updates = []
        for row in pending:
            last_seq += 1
            row["sequence"] = last_seq
            entry_hash = compute_hash(prev_hash, self._hash_content(row))
            updates.append((row["id"], last_seq, prev_hash, entry_hash))
            prev_hash = entry_hash
        cr.execute(
            "UPDATE o2c_audit_log AS a "
            "SET sequence = v.seq, prev_hash = v.prev, hash = v.h FROM (VALUES "
            + ", ".join(["(%s, %s, %s, %s)"] * len(updates))
            + ") "
            "AS v(id, seq, prev, h) WHERE a.id = v.id",
            [value for update in updates for value in update],
        )
        self.invalidate_model()
        return len(updates)

    @api.model
    def _cron_seal_pending(self):
        """Seal what a crash between commit and sealing left behind."""
        while self._seal_in_new_transaction() >= 10000:
            pass

    def _iter_chain(self, batch=5000):
        """Stream (id, prev_hash, hash, content) in chain order without an ORM cache."""
        cr = self.env.cr
        self.env.flush_all()
        last = 0
        cols = (
            "id, sequence, date, user_id, company_id, action, res_model, res_id, "
            "event_id, summary, data, prev_hash, hash"
        )
        while True:
            cr.execute(
                f"SELECT {cols} FROM o2c_audit_log WHERE sequence > %s "
                "ORDER BY sequence LIMIT %s",
                [last, batch],
            )
            rows = cr.dictfetchall()
            if not rows:
                return
            for r in rows:
                last = r["sequence"]
                yield r["id"], r["prev_hash"], r["hash"], self._hash_content(r)

    @api.model
    def _verify_chain(self):
        """Return the first broken entry (a record) or an empty recordset."""
        broken_id = verify_chain(self._iter_chain())
        return self.browse(broken_id) if broken_id else self.browse()

    # --- PUBLIC ACTIONS

    @api.model
    def action_verify_chain(self):
        broken = self.sudo()._verify_chain()
        if broken:
            message = self.env._(
                "The audit chain is BROKEN at entry #%(seq)s (%(summary)s): it or the "
                "entry before it was altered or removed.",
                seq=broken.sequence,
                summary=broken.summary,
            )
            kind = "danger"
            _logger.error("O2C audit chain broken at entry id=%s", broken.id)
        else:
            count = self.sudo().search_count([("sealed", "=", True)])
            pending = self.sudo().search_count([("sealed", "=", False)])
            message = self.env._(
                "The audit chain is intact (%(count)s entries verified).", count=count
            )
            if pending:
                message += " " + self.env._(
                    "%(pending)s newer entries are not sealed yet (sealed right after "
                    "their transaction commits, else by the sealing cron).",
                    pending=pending,
                )
            kind = "success"
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Audit chain"),
                "message": message,
                "type": kind,
                "sticky": kind == "danger",
            },
        }

    def _data_dict(self):
        self.ensure_one()
        return json.loads(self.data) if self.data else {}
