# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Upload an Adyen settlement detail report (CSV) to book its payouts.

The file is stored as an inbound ``o2c.event`` (type ``settlement_report``, keyed by
the file's SHA-256, so uploading the same file twice books nothing twice) and
processed by the queue like any webhook: the same checks, waits and retries apply.
"""

import base64
import hashlib

from odoo import fields, models
from odoo.exceptions import UserError

from odoo.addons.o2c_integration.models.o2c_access import MANAGER_GROUP, o2c_require

from ..lib import adyen as adyen_lib
from ..lib.events import GatewayError
from ..models.o2c_gateway_processor import SETTLEMENT_REPORT
from ..models.o2c_gateway_settlement import ADYEN_BATCH_RE


class O2cAdyenReportImport(models.TransientModel):
    _name = "o2c.gateway.adyen.report.import"
    _description = "Import an Adyen Settlement Detail Report"

    connection_id = fields.Many2one(
        "o2c.connection",
        required=True,
        domain="[('connection_type', '=', 'adyen')]",
    )
    report_file = fields.Binary(string="Report (CSV)", required=True)
    filename = fields.Char()

    def action_import(self):
        self.ensure_one()
        # the event is stored under sudo on this connection: a manager of its company
        o2c_require(self.connection_id, MANAGER_GROUP, "gateway.report.import")
        raw = base64.b64decode(self.report_file or b"")
        match = ADYEN_BATCH_RE.search(self.filename or "")
        try:
            text = raw.decode("utf-8-sig")
            # Checked now for immediate feedback; the job parses it again.
            batches = adyen_lib.parse_settlement_report(
                raw, batch_number=match.group(1) if match else None
            )
        except (UnicodeDecodeError, GatewayError) as exc:
            raise UserError(
                self.env._(
                    "This is not a readable settlement detail report: %(e)s", e=str(exc)
                )
            ) from exc
        if not batches:
            raise UserError(self.env._("The report contains no settlement batch."))
        conn = self.connection_id.sudo()
        event, created = (
            self.env["o2c.event"]
            .sudo()
            ._store_inbound(
                conn,
                SETTLEMENT_REPORT,
                f"report:{hashlib.sha256(raw).hexdigest()}",
                text,
                headers={"X-O2C-Filename": self.filename or ""},
            )
        )
        self.env["o2c.audit.log"]._log(
            "gateway.report.import",
            f"Adyen report {self.filename or '?'} "
            f"{'queued' if created else 'already imported'}",
            records=conn,
            event=event,
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": "o2c.event",
            "res_id": event.id,
            "view_mode": "form",
            "target": "current",
        }
