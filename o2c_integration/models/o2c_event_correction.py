# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Edit and Retry: an administrator corrects the payload of a failed inbound event.

A stored event is immutable evidence (see ``o2c_event.py``), so a correction never
edits it: it creates a new inbound event that references the original
(``corrected_from_id``), carries the edited payload with its own hash and the key
``<original key>:correction:<n>``, and is processed like any delivery. The original
is marked ``superseded``; the change, with a masked diff, goes to the audit log.
"""

import psycopg2

from odoo import models
from odoo.exceptions import AccessError, LockError, UserError

from ..lib.masking import mask_json_text
from ..lib.payload_diff import is_json, payload_diff
from .o2c_event import ADMIN_GROUP, CORRECTABLE_STATES


class O2cEvent(models.Model):
    _inherit = "o2c.event"

    # --- PUBLIC ACTIONS

    def action_edit_and_retry(self):
        """Open the correction wizard (administrators): edit a copy, diff, retry."""
        self.ensure_one()
        self._check_correction_allowed()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Edit and Retry"),
            "res_model": "o2c.event.correction.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_event_id": self.id},
        }

    # --- BUSINESS METHODS

    def _check_correction_allowed(self):
        self.ensure_one()
        if not self.env.user.has_group(ADMIN_GROUP):
            raise AccessError(
                self.env._("Only O2C administrators can correct an event's payload.")
            )
        event = self.sudo()
        if event.direction != "in" or event.state not in CORRECTABLE_STATES:
            raise UserError(
                self.env._(
                    "Only failed or dead-lettered inbound events can be corrected; "
                    "%(e)s is %(s)s.",
                    e=event.name,
                    s=event.state,
                )
            )
        if event.payload_purged:
            raise UserError(
                self.env._(
                    "The payload of %(e)s was purged: there is nothing to correct.",
                    e=event.name,
                )
            )

    def _correction_key(self, number):
        return f"{self.idempotency_key}:correction:{number}"

    def _o2c_correct(self, new_payload, reason):
        """Supersede this failed event by a corrected copy; return the new event.

        The original stays as received (immutable) and is marked ``superseded``
        with a link to its correction; the correction is a new inbound event with
        its own hash and the idempotency key ``<original key>:correction:<n>``, so
        creating it twice (two clicks, two administrators) stores it once. The
        change, with a masked diff, goes to the audit log.
        """
        self.ensure_one()
        self._check_correction_allowed()
        if not (reason or "").strip():
            raise UserError(self.env._("Say why the payload is corrected."))
        original = self.sudo()
        try:
            original.lock_for_update(allow_referencing=True)
        except (LockError, psycopg2.OperationalError) as exc:
            raise UserError(
                self.env._("%(e)s is being processed: try again.", e=original.name)
            ) from exc
        original.invalidate_recordset()
        original._check_correction_allowed()
        old_payload = original.payload or ""
        if new_payload == old_payload:
            raise UserError(self.env._("The corrected payload is the same."))
        if is_json(old_payload) and not is_json(new_payload):
            raise UserError(
                self.env._("The corrected payload is not valid JSON any more.")
            )
        number = len(original.correction_ids) + 1
        vals = self._prepare_inbound_vals(
            original.connection_id,
            original.event_type,
            original.external_id,
            original._correction_key(number),
            new_payload,
            {"X-O2C-Correction-Of": original.idempotency_key},
        )
        vals.update(
            corrected_from_id=original.id,
            correlation_id=original.correlation_id or original.idempotency_key,
        )
        correction = self.sudo()._insert_if_absent(vals)
        if not correction:
            raise UserError(
                self.env._("%(e)s was corrected meanwhile.", e=original.name)
            )
        note = self.env._(
            "Superseded by correction %(c)s: %(r)s", c=correction.id, r=reason
        )
        original.write(
            {"state": "superseded", "ignore_reason": note, "next_retry_at": False}
        )
        self.env["o2c.exception"]._close_by_key(original._exception_key(), note)
        self.env["o2c.audit.log"]._log(
            "event.correct",
            f"Corrected {original.name} as event {correction.id}",
            records=correction,
            event=original,
            data={
                "original_id": original.id,
                "correction_id": correction.id,
                "original_hash": original.payload_hash,
                "correction_hash": correction.payload_hash,
                "reason": reason,
                "diff": payload_diff(
                    mask_json_text(old_payload), mask_json_text(new_payload)
                )[:8000],
            },
        )
        correction._enqueue()
        return correction.with_env(self.env)
