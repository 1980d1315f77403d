# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Signed digests of the audit chain head, kept inside AND outside the database.

A digest says "the chain had ``last_sequence`` entries and its head hash was
``head_hash`` at ``timestamp``", signed with the audit sealing key (HMAC-SHA256,
``lib/audit_chain.build_digest``) and linked to the previous digest's signature, like
CloudTrail digest files. Each digest is stored three times:

* a row of this model (append-only: ORM, row and TRUNCATE triggers refuse changes);
* an append-only file ``<dir>/<dbname>/<timestamp>-<sequence>.json`` where ``<dir>`` is
  the server option ``o2c_audit_digest_dir`` (env ``O2C_AUDIT_DIGEST_DIR``), by default
  ``<data_dir>/o2c_audit_digests``: point it at storage the database owner cannot
  rewrite (another host, a WORM or append-only mount);
* optionally a mail to the address in the system parameter
  ``o2c_integration.audit_digest_email`` (an outside mailbox keeps a copy).

:meth:`O2cAuditLog._verify_chain` takes the head of every valid digest as a checkpoint,
so deleting entries (the tail, or all of them with TRUNCATE) or rewriting history is
detected as soon as a digest covered the entries.
"""

import json
import logging
import os
from datetime import UTC, datetime

from markupsafe import Markup, escape

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import UserError
from odoo.modules.registry import Registry
from odoo.sql_db import Cursor
from odoo.tools import config

from ..lib.audit_chain import (
    GENESIS,
    build_digest,
    canonical_json,
    digest_problem,
    verify_digest_sequence,
    verify_sealed_chain,
)
from .o2c_audit_log import _CHAIN_LOCK_KEY, get_audit_keyring

_logger = logging.getLogger(__name__)

DIR_OPTION = "o2c_audit_digest_dir"
DIR_ENV_VAR = "O2C_AUDIT_DIGEST_DIR"
INTERVAL_PARAM = "o2c_integration.audit_digest_interval_minutes"
EMAIL_PARAM = "o2c_integration.audit_digest_email"
DEFAULT_INTERVAL_MINUTES = 60


def write_digest_file(path, data):
    """Create ``path`` with ``data``; never overwrites (append-only folder).

    Returns True when written. A failure is logged, not raised: the digest row
    (and the mailed copy) exist, and verification warns about the missing file.
    """
    try:
        os.makedirs(os.path.dirname(path), mode=0o750, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o440)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        return True
    except OSError:
        _logger.exception("O2C audit: cannot write the digest file %s", path)
        return False


class O2cAuditDigest(models.Model):
    _name = "o2c.audit.digest"
    _description = "O2C Audit Chain Digest"
    _order = "id desc"
    _rec_name = "last_sequence"

    date = fields.Datetime(required=True, readonly=True)
    last_sequence = fields.Integer(string="Head Entry", required=True, readonly=True)
    head_hash = fields.Char(required=True, readonly=True)
    entry_count = fields.Integer(required=True, readonly=True)
    key_id = fields.Char(string="Signing Key", readonly=True)
    prev_signature = fields.Char(required=True, readonly=True)
    signature = fields.Char(required=True, readonly=True, index=True)
    payload = fields.Text(
        required=True, readonly=True, help="Canonical JSON of the signed payload"
    )
    file_name = fields.Char(readonly=True, help="Copy written outside the database")
    mail_id = fields.Many2one("mail.mail", string="Mailed Copy", readonly=True)

    _signature_uniq = models.Constraint(
        "UNIQUE(signature)", "Audit digest signatures are unique."
    )
    # two digests following the same one would fork the digest chain
    _prev_signature_uniq = models.Constraint(
        "UNIQUE(prev_signature)", "An audit digest has one successor."
    )

    # --- INIT: database-level immutability

    def init(self):
        self.env.cr.execute(
            """
            CREATE OR REPLACE FUNCTION o2c_audit_refuse_truncate()
            RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '% is append-only: TRUNCATE refused', TG_TABLE_NAME
                    USING ERRCODE = 'insufficient_privilege';
            END
            $$ LANGUAGE plpgsql;
            CREATE OR REPLACE FUNCTION o2c_audit_digest_refuse_change()
            RETURNS trigger AS $$
            BEGIN
                -- the only change: linking the mailed copy once
                IF TG_OP = 'UPDATE' AND OLD.mail_id IS NULL
                   AND (to_jsonb(NEW) - 'mail_id' - 'write_date' - 'write_uid')
                       = (to_jsonb(OLD) - 'mail_id' - 'write_date' - 'write_uid')
                THEN
                    RETURN NEW;
                END IF;
                RAISE EXCEPTION 'o2c_audit_digest is append-only: % refused', TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END
            $$ LANGUAGE plpgsql;
            DROP TRIGGER IF EXISTS o2c_audit_digest_append_only ON o2c_audit_digest;
            CREATE TRIGGER o2c_audit_digest_append_only
                BEFORE UPDATE OR DELETE ON o2c_audit_digest
                FOR EACH ROW EXECUTE FUNCTION o2c_audit_digest_refuse_change();
            DROP TRIGGER IF EXISTS o2c_audit_digest_no_truncate ON o2c_audit_digest;
            CREATE TRIGGER o2c_audit_digest_no_truncate
                BEFORE TRUNCATE ON o2c_audit_digest
                FOR EACH STATEMENT EXECUTE FUNCTION o2c_audit_refuse_truncate();
            """
        )

    # --- CRUD

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.context.get("o2c_audit_append"):
            raise UserError(
                self.env._("Audit digests can only be created by the system.")
            )
        return super().create(vals_list)

    def write(self, vals):
        if set(vals) == {"mail_id"} and self.env.context.get("o2c_audit_append"):
            return super().write(vals)
        raise UserError(
            self.env._("Audit digests are append-only: they cannot be changed.")
        )

    def unlink(self):
        raise UserError(
            self.env._("Audit digests are append-only: they cannot be deleted.")
        )

    # --- BUSINESS METHODS

    @api.model
    def _digest_directory(self):
        """``<o2c_audit_digest_dir or data_dir/o2c_audit_digests>/<dbname>``."""
        base = (
            config.get(DIR_OPTION)
            or os.environ.get(DIR_ENV_VAR)
            or os.path.join(config["data_dir"], "o2c_audit_digests")
        )
        return os.path.join(base, self.env.cr.dbname)

    @api.model
    def _database_uuid(self):
        return self.env["ir.config_parameter"].sudo().get_param("database.uuid", "")

    def _as_signed(self):
        self.ensure_one()
        return {"payload": json.loads(self.payload), "signature": self.signature}

    @api.model
    def _create_digest_if_due(self):
        """Sign a digest when the last one is older than the digest interval."""
        interval = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param(INTERVAL_PARAM, DEFAULT_INTERVAL_MINUTES)
        )
        last = self.sudo().search([], limit=1)
        if last and interval > 0:
            age = (fields.Datetime.now() - last.date).total_seconds()
            if age < interval * 60:
                return last
        return self._create_digest()

    @api.model
    def _cron_create_digest(self):
        """Seal what is pending, then sign the head (each in its own transaction)."""
        self.env["o2c.audit.log"]._cron_seal_pending()
        registry = Registry(self.env.cr.dbname)
        with registry.cursor() as cr:
            if isinstance(cr, Cursor):
                # first statement: the last digest must be read after the lock
                cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
            api.Environment(cr, SUPERUSER_ID, {})["o2c.audit.digest"]._create_digest()

    @api.model
    def _create_digest(self):
        """Sign the current chain head; write the file and the mail copy.

        Refuses (returns an empty recordset, logs an error) when the entries added
        since the last digest do not verify, or the chain is shorter than the last
        digest: a digest must never endorse a tampered chain. Returns the last
        digest unchanged when no entry was sealed since.
        """
        cr = self.env.cr
        self.env.flush_all()
        # same lock as sealing: the head cannot move while it is being signed
        cr.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
        keyring = get_audit_keyring()
        last = self.sudo().search([], limit=1)
        start_seq, start_hash = (
            (last.last_sequence, last.head_hash) if last else (0, GENESIS)
        )
        report = verify_sealed_chain(
            self.env["o2c.audit.log"]._iter_chain(after_sequence=start_seq),
            keyring,
            start_sequence=start_seq,
            start_hash=start_hash,
        )
        cr.execute("SELECT max(sequence) FROM o2c_audit_log")
        head_seq = cr.fetchone()[0] or 0
        if not report.ok or head_seq < start_seq:
            _logger.error(
                "O2C audit: digest refused, the chain after the last digest (entry "
                "#%s) does not verify: %s",
                start_seq,
                report.reason or "the chain is shorter than the last digest",
            )
            return self.browse()
        if last and report.last_sequence == last.last_sequence:
            return last
        now = datetime.now(UTC).replace(tzinfo=None)
        signed = build_digest(
            keyring,
            database_uuid=self._database_uuid(),
            last_sequence=report.last_sequence,
            head_hash=report.last_hash,
            count=report.last_sequence,
            timestamp=now.isoformat(timespec="microseconds") + "Z",
            prev_signature=last.signature if last else GENESIS,
        )
        file_name = os.path.join(
            self._digest_directory(),
            "{}-{:010d}.json".format(
                now.strftime("%Y%m%dT%H%M%S%fZ"), report.last_sequence
            ),
        )
        digest = (
            self.sudo()
            .with_context(o2c_audit_append=True)
            .create(
                {
                    "date": now.replace(microsecond=0),
                    "last_sequence": report.last_sequence,
                    "head_hash": report.last_hash,
                    "entry_count": report.last_sequence,
                    "key_id": keyring.primary_id or False,
                    "prev_signature": signed["payload"]["prev_signature"],
                    "signature": signed["signature"],
                    "payload": canonical_json(signed["payload"]).decode(),
                    "file_name": file_name,
                }
            )
        )
        data = digest._file_content()
        # the file is written once the digest row is committed: a file must never
        # sign a head whose sealing could still roll back
        cr.postcommit.add(lambda: write_digest_file(file_name, data))
        digest._send_to_mail_sink(signed)
        return digest

    def _file_content(self):
        self.ensure_one()
        return canonical_json(self._as_signed()) + b"\n"

    def _write_file(self):
        """Write this digest's file now (normally done right after commit)."""
        self.ensure_one()
        return write_digest_file(self.file_name, self._file_content())

    def _send_to_mail_sink(self, signed):
        self.ensure_one()
        email = self.env["ir.config_parameter"].sudo().get_param(EMAIL_PARAM)
        if not email:
            return
        body = canonical_json(signed).decode()
        mail = (
            self.env["mail.mail"]
            .sudo()
            .create(
                {
                    "subject": f"O2C audit digest {self.env.cr.dbname} "
                    f"#{signed['payload']['last_sequence']}",
                    "email_to": email,
                    "email_from": self.env.company.email_formatted
                    or self.env.user.email_formatted,
                    "body_html": Markup(
                        "<p>Signed digest of the O2C audit chain. Keep this mail: "
                        "it proves the chain length and head at this time.</p>"
                        "<pre>%s</pre>"
                    )
                    % escape(body),
                    "auto_delete": False,
                }
            )
        )
        self.with_context(o2c_audit_append=True).write({"mail_id": mail.id})

    @api.model
    def _read_digest_files(self):
        """Yield ``(path, digest dict or None)`` for every file of this database."""
        directory = self._digest_directory()
        if not os.path.isdir(directory):
            return
        for name in sorted(os.listdir(directory)):
            if not name.endswith(".json"):
                continue
            path = os.path.join(directory, name)
            try:
                with open(path, "rb") as handle:
                    yield path, json.loads(handle.read())
            except (OSError, ValueError):
                yield path, None

    @api.model
    def _checkpoints(self, keyring):
        """Heads of all valid digests, and what is wrong with the digests.

        Returns ``(checkpoints {sequence: head_hash}, info)`` with ``info`` keys
        ``problem`` (a failure: forged/altered digest, conflicting heads, digest
        of another database), ``warnings``, ``last`` (payload of the longest
        digest) and ``count``.
        """
        info = {"problem": "", "warnings": [], "last": None, "count": 0}
        db_uuid = self._database_uuid()
        db_digests = [d._as_signed() for d in self.sudo().search([], order="id")]
        problem = verify_digest_sequence(keyring, db_digests)
        if problem:
            info["problem"] = f"digest table: {problem}"
            return {}, info
        file_digests = []
        for path, digest in self._read_digest_files():
            problem = (
                digest_problem(keyring, digest) if digest else "unreadable digest file"
            )
            if problem:
                info["problem"] = f"digest file {path}: {problem}"
                return {}, info
            file_digests.append(digest)
        checkpoints = {}
        for digest in db_digests + file_digests:
            payload = digest["payload"]
            if payload["database_uuid"] != db_uuid:
                info["problem"] = (
                    f"a digest of entry #{payload['last_sequence']} belongs to database "
                    f"{payload['database_uuid']}, not this one ({db_uuid}): either this "
                    "database was recreated under the same name (archive the old "
                    f"digest folder {self._digest_directory()}) or its identity was "
                    "changed to hide its digests"
                )
                return {}, info
            seq = payload["last_sequence"]
            if (
                checkpoints.setdefault(seq, payload["head_hash"])
                != payload["head_hash"]
            ):
                info["problem"] = f"two signed digests disagree on entry #{seq}"
                return {}, info
            if not info["last"] or seq > info["last"]["last_sequence"]:
                info["last"] = payload
        info["count"] = len(db_digests) + len(file_digests)
        db_signatures = {d["signature"] for d in db_digests}
        file_signatures = {d["signature"] for d in file_digests}
        if db_signatures - file_signatures:
            info["warnings"].append(
                f"{len(db_signatures - file_signatures)} digests of the table have no "
                f"file in {self._digest_directory()} (files removed, or written "
                "elsewhere): the table copy alone does not survive the database owner"
            )
        if file_signatures - db_signatures:
            info["warnings"].append(
                f"{len(file_signatures - db_signatures)} digest files are missing from "
                "the digest table (rows deleted, or their transaction rolled back)"
            )
        if not checkpoints:
            info["warnings"].append(
                "no signed digest exists yet: removing entries at the end of the "
                "chain is not detectable before the first digest"
            )
        return checkpoints, info
