# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Tamper-evident, append-only audit log.

Every entry stores the hash of the previous entry and a SHA-256 over its own canonical
content (see ``lib/audit_chain.py``). The ORM refuses ``write`` and ``unlink`` for
everyone, including the superuser, and a PostgreSQL trigger refuses ``UPDATE`` and
``DELETE`` on the table so that raw SQL cannot edit history either. Whoever bypasses
both (a database owner disabling the trigger) is caught by :meth:`action_verify_chain`.
"""

import json
import logging

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..lib.audit_chain import GENESIS, canonical_json, compute_hash, verify_chain

_logger = logging.getLogger(__name__)

# Serialises appends: the chain needs "read last hash, insert next" to be atomic
# across concurrent transactions. Transaction-scoped, released at commit/rollback.
_CHAIN_LOCK_KEY = 0x02C_A0D1


class O2cAuditLog(models.Model):
    _name = "o2c.audit.log"
    _description = "O2C Audit Log Entry"
    _order = "sequence desc"
    _rec_name = "summary"

    sequence = fields.Integer(required=True, readonly=True, index=True)
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
    prev_hash = fields.Char(readonly=True, required=True)
    hash = fields.Char(readonly=True, required=True, index=True)

    _sequence_uniq = models.Constraint(
        "UNIQUE(sequence)", "Audit log sequence numbers are unique."
    )

    # --- INIT: database-level immutability

    def init(self):
        cr = self.env.cr
        cr.execute(
            """
            CREATE OR REPLACE FUNCTION o2c_audit_log_refuse_change() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'o2c_audit_log is append-only: % refused', TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END
            $$ LANGUAGE plpgsql;
            DROP TRIGGER IF EXISTS o2c_audit_log_append_only ON o2c_audit_log;
            CREATE TRIGGER o2c_audit_log_append_only
                BEFORE UPDATE OR DELETE ON o2c_audit_log
                FOR EACH ROW EXECUTE FUNCTION o2c_audit_log_refuse_change();
            """
        )

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
        raise UserError(self.env._("The audit log is append-only: entries cannot be changed."))

    def unlink(self):
        raise UserError(self.env._("The audit log is append-only: entries cannot be deleted."))

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

        :param action: short machine name, e.g. ``"event.replay"``, ``"credential.change"``
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
        cr = self.env.cr
        self.env.flush_all()
        cr.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
        cr.execute(
            "SELECT sequence, hash FROM o2c_audit_log ORDER BY sequence DESC LIMIT 1"
        )
        row = cr.fetchone()
        last_seq, prev_hash = row if row else (0, GENESIS)
        company = (
            records.company_id
            if records is not None and "company_id" in records._fields
            else self.env.company
        )
        vals = {
            "sequence": last_seq + 1,
            "date": fields.Datetime.now(),
            "user_id": self.env.uid,
            "company_id": company.id or False,
            "action": action,
            "res_model": records._name if records is not None else False,
            "res_id": records.id if records is not None else False,
            "event_id": event.id if event else False,
            "summary": summary,
            "data": canonical_json(data).decode() if data is not None else False,
            "prev_hash": prev_hash,
        }
        vals["hash"] = compute_hash(prev_hash, self._hash_content(vals))
        entry = self.sudo().with_context(o2c_audit_append=True).create(vals)
        entry.flush_recordset()
        return entry

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
                f"SELECT {cols} FROM o2c_audit_log WHERE sequence > %s "  # noqa: S608
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
            count = self.sudo().search_count([])
            message = self.env._(
                "The audit chain is intact (%(count)s entries verified).", count=count
            )
            kind = "success"
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"title": self.env._("Audit chain"), "message": message,
                       "type": kind, "sticky": kind == "danger"},
        }

    def _data_dict(self):
        self.ensure_one()
        return json.loads(self.data) if self.data else {}
