# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Tamper-evident, append-only audit log with a keyed chain and signed digests.

What protects the history (details and the detected / not detected table: ``docs/audit.md``):

* every entry is sealed with ``HMAC-SHA256(key, prev_hash, content)`` (``lib/audit_chain.py``);
  the key comes from the server option ``o2c_audit_keys`` or the environment variable
  ``O2C_AUDIT_KEYS``, never from the database, and the entry names it by ``key_id`` so
  keys can be rotated. Whoever edits an entry and recomputes the later hashes without the
  key produces a chain that fails verification;
* an entry also gets, at insert time, a ``stamp`` (an HMAC of its content and a random
  nonce): sealing chains only entries whose stamp verifies, so a row INSERTed with raw SQL
  (a forged or back-dated entry) is refused and reported, never sealed;
* the chain head is signed at intervals into ``o2c.audit.digest`` records, which are also
  written as append-only files outside the database (``<data_dir>/o2c_audit_digests/<db>/``)
  and optionally mailed to an outside address: a truncated or shortened chain no longer
  reaches the last digest's head;
* the ORM refuses ``write`` and ``unlink`` for everyone, a row trigger refuses ``UPDATE``
  and ``DELETE``, a statement trigger refuses ``TRUNCATE``.

Without a configured key the chain falls back to the plain SHA-256 chain, which anyone
with table access can recompute: verification then says so in every result.
The database owner can still disable the triggers; what is then detected, and what not,
is exactly the table in ``docs/audit.md`` (an attacker with the key AND the database AND
the digest files is not detected).

Appending is two-phase so that audited work never serialises on the chain:

1. :meth:`_log` inserts the entry's content (and its stamp) in the caller's transaction
   (it commits or rolls back with the change it describes) without any lock;
2. :meth:`_seal_pending` gives committed entries their chain position, previous hash
   and hash, in id order, under an advisory lock, in a short READ COMMITTED
   transaction of its own run right after the caller commits (and by a cron for
   whatever a crash left unsealed). Sealing inside the caller's REPEATABLE READ
   transaction would be wrong: its snapshot predates the lock wait, so two workers
   would both extend the same "last" entry.

The trigger lets an UPDATE through only when it seals an unsealed entry without
touching its content, key id, nonce or stamp.
"""

import json
import logging
import os
import secrets
from dataclasses import dataclass, field

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import UserError
from odoo.modules.registry import Registry
from odoo.sql_db import Cursor
from odoo.tools import config

from ..lib.audit_chain import (
    CONFIG_OPTION,
    ENV_VAR,
    GENESIS,
    UNKEYED,
    AuditKeyring,
    ChainReport,
    SealedEntry,
    canonical_json,
    entry_hash,
    stamp,
    stamp_valid,
    verify_sealed_chain,
)

_logger = logging.getLogger(__name__)

# Serialises appends: the chain needs "read last hash, insert next" to be atomic
# across concurrent transactions. Transaction-scoped, released at commit/rollback.
_CHAIN_LOCK_KEY = 0x02C_A0D1

#: Labels of the actions the O2C addons log; other codes are shown humanised.
ACTION_LABELS = {
    "bank.import": "Bank statement imported",
    "bank.reconcile.accept": "Reconciliation accepted",
    "bank.reconcile.auto": "Automatic reconciliation",
    "config.change": "Configuration changed",
    "credential.change": "Credential changed",
    "credential.rotate": "Credentials re-encrypted",
    "event.done": "Event processed",
    "event.dead": "Event dead-lettered",
    "event.ignore": "Event ignored",
    "event.process": "Event processed",
    "event.purge": "Event payloads purged",
    "event.replay": "Event replayed",
    "event.retry": "Event retried",
    "exception.resolve": "Exception resolved",
    "gateway.dispute.lost": "Dispute lost",
    "gateway.dispute.won": "Dispute won",
    "gateway.payout": "Gateway payout",
    "gateway.report.import": "Gateway report imported",
    "invoice.post": "Invoice posted",
    "order.credit_hold": "Order put on credit hold",
    "order.credit_release": "Order released from credit hold",
    "partner.credit_hold": "Customer put on credit hold",
    "partner.credit_release": "Customer released from credit hold",
}


def get_audit_keyring():
    """Sealing keys from the server option, else the environment (never the database)."""
    return AuditKeyring.from_sources(config.get(CONFIG_OPTION), os.environ.get(ENV_VAR))


def humanize_action(code):
    if not code:
        return ""
    if code in ACTION_LABELS:
        return ACTION_LABELS[code]
    words = code.replace("_", " ").split(".")
    return ": ".join(w.capitalize() for w in words if w)


@dataclass
class AuditVerification:
    """What :meth:`O2cAuditLog._verify_chain` found. Falsy when everything verified.

    ``broken`` is the first failing entry (empty when the failure is not one entry,
    e.g. a chain shorter than its last digest); ``reason`` says precisely what failed.
    """

    report: ChainReport
    broken: models.BaseModel
    reason: str = ""
    last_digest: dict | None = None
    digests_checked: int = 0
    pending: int = 0
    refused_ids: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    @property
    def ok(self):
        return not self.reason

    def __bool__(self):
        return not self.ok


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
    action_label = fields.Char(string="Action Label", compute="_compute_action_label")
    res_model = fields.Char(string="Model", readonly=True, index=True)
    res_id = fields.Integer(string="Record ID", readonly=True, index=True)
    event_id = fields.Many2one(
        "o2c.event", string="Source Event", readonly=True, ondelete="restrict"
    )
    summary = fields.Char(required=True, readonly=True)
    data = fields.Text(readonly=True, help="Canonical JSON of the details")
    prev_hash = fields.Char(readonly=True)
    hash = fields.Char(readonly=True, index=True)
    key_id = fields.Char(
        string="Sealing Key",
        readonly=True,
        help="Id of the sealing key (first 8 hex digits of its SHA-256); empty when "
        "sealed with the plain, unkeyed hash chain.",
    )
    nonce = fields.Char(readonly=True, copy=False)
    stamp = fields.Char(
        readonly=True,
        copy=False,
        help="MAC of the content given at insert time; sealing refuses entries "
        "whose stamp does not verify (rows inserted behind the application's back).",
    )
    sealed = fields.Boolean(compute="_compute_sealed", search="_search_sealed")

    _sequence_uniq = models.Constraint(
        "UNIQUE(sequence)", "Audit log sequence numbers are unique."
    )
    _nonce_uniq = models.Constraint("UNIQUE(nonce)", "Audit log nonces are unique.")

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
                        NEW.res_model, NEW.res_id, NEW.event_id, NEW.summary, NEW.data,
                        NEW.key_id, NEW.nonce, NEW.stamp)
                       IS NOT DISTINCT FROM
                       (OLD.id, OLD.date, OLD.user_id, OLD.company_id, OLD.action,
                        OLD.res_model, OLD.res_id, OLD.event_id, OLD.summary, OLD.data,
                        OLD.key_id, OLD.nonce, OLD.stamp)
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
            CREATE OR REPLACE FUNCTION o2c_audit_refuse_truncate()
            RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '% is append-only: TRUNCATE refused', TG_TABLE_NAME
                    USING ERRCODE = 'insufficient_privilege';
            END
            $$ LANGUAGE plpgsql;
            DROP TRIGGER IF EXISTS o2c_audit_log_no_truncate ON o2c_audit_log;
            CREATE TRIGGER o2c_audit_log_no_truncate
                BEFORE TRUNCATE ON o2c_audit_log
                FOR EACH STATEMENT EXECUTE FUNCTION o2c_audit_refuse_truncate();
            CREATE INDEX IF NOT EXISTS o2c_audit_log_unsealed_idx
                ON o2c_audit_log (id) WHERE sequence IS NULL;
            """
        )

    # --- COMPUTE

    @api.depends("action")
    def _compute_action_label(self):
        for entry in self:
            entry.action_label = humanize_action(entry.action)

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

    def _stamp_content(self, vals):
        """What an entry's insert-time stamp covers: its content and nonce."""
        content = self._hash_content(dict(vals, sequence=0))
        del content["sequence"]
        content["nonce"] = vals["nonce"]
        return content

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
            "nonce": secrets.token_hex(16),
        }
        keyring = get_audit_keyring()
        vals["key_id"] = keyring.primary_id or False
        vals["stamp"] = stamp(keyring, keyring.primary_id, self._stamp_content(vals))
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
        """Seal committed entries in a short READ COMMITTED transaction of its own.

        Then signs a digest of the new head when the last one is older than the
        digest interval (see ``o2c.audit.digest``).
        """
        registry = Registry(dbname or self.env.cr.dbname)
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            if isinstance(cr, Cursor):
                # must be the first statement: reads after the lock must see every
                # entry committed before it was granted
                cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
            # else HttpCase: every cursor is the test's own transaction, alone
            sealed = env["o2c.audit.log"]._seal_pending()
            if sealed:
                if isinstance(cr, Cursor):
                    # a digest (and its file) must only sign a committed head, and
                    # read the last digest after the lock (see _create_digest)
                    cr.commit()  # pylint: disable=invalid-commit
                    cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
                env["o2c.audit.digest"]._create_digest_if_due()
            return sealed

    def _pending_rows(self, after_id, limit):
        cr = self.env.cr
        cr.execute(
            "SELECT a.id, a.date, a.user_id, a.company_id, a.action, a.res_model, "
            "a.res_id, a.event_id, a.summary, a.data, a.key_id, a.nonce, a.stamp, "
            "EXISTS (SELECT 1 FROM o2c_audit_log d WHERE d.nonce = a.nonce "
            "AND d.id <> a.id) AS replayed "
            "FROM o2c_audit_log a WHERE a.sequence IS NULL AND a.id > %s "
            "ORDER BY a.id LIMIT %s",
            [after_id, limit],
        )
        return cr.dictfetchall()

    def _refusal_reason(self, row, keyring):
        """Why an unsealed row must not be chained (None if it may be)."""
        kid = row["key_id"] or UNKEYED
        if keyring and kid == UNKEYED:
            return "no sealing key id although a key is configured"
        if not row["nonce"] or row["replayed"]:
            return "missing or reused nonce (copied row)"
        if not stamp_valid(keyring, kid, self._stamp_content(row), row["stamp"]):
            return "stamp does not verify (inserted without the key, or altered)"
        return None

    @api.model
    def _seal_pending(self, limit=10000):
        """Chain the unsealed entries visible to this transaction, in id order.

        Safe in a transaction that takes no snapshot before the lock (READ COMMITTED,
        see :meth:`_seal_in_new_transaction`) or that is alone (tests, the cron).
        Entries whose stamp does not verify are refused: left unsealed, logged, and
        reported by :meth:`_verify_chain`. Returns the number of entries sealed.
        """
        cr = self.env.cr
        self.env.flush_all()
        cr.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
        keyring = get_audit_keyring()
        cr.execute(
            "SELECT sequence, hash FROM o2c_audit_log WHERE sequence IS NOT NULL "
            "ORDER BY sequence DESC LIMIT 1"
        )
        row = cr.fetchone()
        last_seq, prev_hash = row if row else (0, GENESIS)
        updates, refused = [], []
        after_id = 0
        while len(updates) < limit:
            pending = self._pending_rows(after_id, limit - len(updates))
            if not pending:
                break
            for row in pending:
                after_id = row["id"]
                reason = self._refusal_reason(row, keyring)
                if reason:
                    refused.append((row["id"], reason))
                    continue
                last_seq += 1
                row["sequence"] = last_seq
                kid = row["key_id"] or UNKEYED
                digest = entry_hash(keyring, kid, prev_hash, self._hash_content(row))
                updates.append((row["id"], last_seq, prev_hash, digest))
                prev_hash = digest
        for entry_id, reason in refused:
            _logger.error(
                "O2C audit: refused to seal entry id=%s: %s", entry_id, reason
            )
        if not updates:
            return 0
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

    def _iter_chain(self, batch=5000, after_sequence=0):
        """Stream the sealed entries (:class:`SealedEntry`) in chain order, no ORM cache."""
        cr = self.env.cr
        self.env.flush_all()
        last = after_sequence
        cols = (
            "id, sequence, date, user_id, company_id, action, res_model, res_id, "
            "event_id, summary, data, prev_hash, hash, key_id"
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
                yield SealedEntry(
                    id=r["id"],
                    sequence=r["sequence"],
                    prev_hash=r["prev_hash"],
                    hash=r["hash"],
                    key_id=r["key_id"] or UNKEYED,
                    content=self._hash_content(r),
                )

    def _refused_pending(self, keyring):
        """Ids and reasons of unsealed rows that sealing refuses."""
        refused, after_id = [], 0
        while rows := self._pending_rows(after_id, 5000):
            for row in rows:
                after_id = row["id"]
                reason = self._refusal_reason(row, keyring)
                if reason:
                    refused.append((row["id"], reason))
        return refused

    @api.model
    def _verify_chain(self):
        """Verify the whole chain against the signed digests; return an AuditVerification.

        Checks every sealed entry (sequence, link, HMAC with its key id), that the
        chain reaches and matches every signed digest (DB table and digest files),
        the digests' own signatures and links, and that no unsealed row was refused
        by sealing (forged insert). The result is falsy when everything verified;
        ``result.broken`` is the first failing entry, ``result.reason`` says what
        failed, ``result.warnings`` what weakens the guarantee (no key, missing
        digest files, ...).
        """
        keyring = get_audit_keyring()
        Digest = self.env["o2c.audit.digest"].sudo()
        checkpoints, digest_info = Digest._checkpoints(keyring)
        report = verify_sealed_chain(self._iter_chain(), keyring, checkpoints)
        refused = self._refused_pending(keyring)
        self.env.cr.execute("SELECT count(*) FROM o2c_audit_log WHERE sequence IS NULL")
        pending = self.env.cr.fetchone()[0] - len(refused)
        result = AuditVerification(
            report=report,
            broken=self.browse(report.broken_id or []),
            last_digest=digest_info["last"],
            digests_checked=digest_info["count"],
            pending=pending,
            refused_ids=[entry_id for entry_id, _reason in refused],
            warnings=list(digest_info["warnings"]) + list(report.warnings),
        )
        if not keyring:
            result.warnings.insert(
                0,
                f"No audit sealing key is configured ('{CONFIG_OPTION}' / '{ENV_VAR}'): "
                "the chain is a plain SHA-256 chain that anyone with database access "
                "can recompute.",
            )
        if digest_info["problem"]:
            result.reason = digest_info["problem"]
        elif not report.ok:
            result.reason = report.reason
        elif refused:
            entry_id, reason = refused[0]
            result.reason = (
                f"{len(refused)} unsealed entries are refused by sealing (forged or "
                f"back-dated inserts), first id={entry_id}: {reason}"
            )
            result.broken = self.browse(entry_id)
        if result.reason:
            _logger.error("O2C audit chain verification FAILED: %s", result.reason)
        for warning in result.warnings:
            _logger.warning("O2C audit chain: %s", warning)
        return result

    # --- PUBLIC ACTIONS

    def action_verify_chain(self):
        """List header button: verify the WHOLE chain, whatever rows are selected.

        Not ``@api.model``: a list header button with ``display="always"`` calls it on
        the selected records, or on an empty recordset when none is selected.
        """
        result = self.sudo()._verify_chain()
        report = result.report
        digest = result.last_digest
        if digest:
            digest_text = self.env._(
                "last digest: entry #%(seq)s signed %(date)s",
                seq=digest["last_sequence"],
                date=digest["timestamp"],
            )
        else:
            digest_text = self.env._("no signed digest yet")
        if result.ok:
            message = self.env._(
                "The audit chain is intact: %(count)s entries verified (%(keyed)s "
                "sealed with a key), %(digests)s digests checked, %(digest)s.",
                count=report.count,
                keyed=report.keyed,
                digests=result.digests_checked,
                digest=digest_text,
            )
            # without a key "intact" proves little: never show that as a plain success
            kind = "success" if get_audit_keyring() else "warning"
        else:
            message = self.env._(
                "The audit chain FAILED verification%(at)s: %(reason)s. Verified "
                "before the failure: %(count)s entries; %(digest)s.",
                at=(
                    self.env._(" at entry #%(seq)s", seq=result.broken.sequence)
                    if result.broken.sequence
                    else ""
                ),
                reason=result.reason,
                count=report.count,
                digest=digest_text,
            )
            kind = "danger"
        if result.pending:
            message += " " + self.env._(
                "%(pending)s newer entries are not sealed yet (sealed right after "
                "their transaction commits, else by the sealing cron).",
                pending=result.pending,
            )
        if result.warnings:
            message += " " + self.env._("Warning: %s", " ".join(result.warnings))
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Audit chain"),
                "message": message,
                "type": kind,
                "sticky": kind != "success" or bool(result.warnings),
            },
        }

    def _data_dict(self):
        self.ensure_one()
        return json.loads(self.data) if self.data else {}
