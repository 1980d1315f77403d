# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Stripe and Adyen connections: webhook authentication, parsing, accounting setup.

The gateway-specific work (signatures, payload mapping) lives in the pure ``lib``
package; this model only adapts it to the backbone hooks:

* gateway signature errors become backbone ``SignatureError`` subclasses, the only
  errors the webhook controller turns into a 401;
* gateway parse errors become ``ValueError`` (stored as a failed event, answered 400);
* an Adyen batch becomes one stored event per NotificationRequestItem, stored as a
  one-item batch so the handler parses it with the same library function.

Accounting model of a gateway (see readme/DESCRIPTION.md)::

    payment   Dr clearing            Cr receivable      (account.payment, inbound)
    refund    Dr receivable          Cr clearing        (account.payment, outbound)
    payout    Dr fees + Dr transit   Cr clearing (+/- adjustments)   (settlement)
    lost      Dr dispute losses      Cr clearing        (dispute)

The clearing account is the default account of the clearing journal (a bank-type
journal standing for the balance held at the gateway); the transit account holds
the payouts on their way to the bank, one open item per payout, named after the
payout id so the bank feed matches the bank line to it.
"""

import json
import logging

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from odoo.addons.o2c_integration.lib import json_depth
from odoo.addons.o2c_integration.lib.exceptions import (
    BadSignature,
    MissingSignature,
    PermanentError,
    StaleTimestamp,
)
from odoo.addons.o2c_integration.models.o2c_access import (
    ADMIN_GROUP,
    o2c_require,
)

from ..lib import adyen as adyen_lib
from ..lib import stripe as stripe_lib
from ..lib.events import GatewayError, MalformedPayload, UnsupportedEvent
from ..lib.registry import header_value

_logger = logging.getLogger(__name__)

GATEWAY_TYPES = ("stripe", "adyen")
STRIPE_API_URL = "https://api.stripe.com"
#: Page size of Stripe list calls (the API maximum).
STRIPE_PAGE_SIZE = 100

# Stripe reasons (lib.stripe.StripeSignatureError) -> backbone refusal classes.
_STRIPE_MISSING = {"missing header", "no secret configured"}
_STRIPE_STALE = {"timestamp outside tolerance"}
# Adyen reasons (lib.adyen.AdyenSignatureError) meaning "nothing to check against".
_ADYEN_MISSING = {"no hmac key configured", "missing hmacSignature"}


def gateway_error(message, category="validation", **attrs):
    """A backbone ``PermanentError`` carrying the exception-queue attributes."""
    exc = PermanentError(message)
    exc.o2c_category = category
    for key in ("amount", "currency", "partner", "record"):
        setattr(exc, f"o2c_{key}", attrs.get(key))
    return exc


class O2cConnection(models.Model):
    _inherit = "o2c.connection"

    connection_type = fields.Selection(
        selection_add=[("stripe", "Stripe"), ("adyen", "Adyen")],
        ondelete={"stripe": "cascade", "adyen": "cascade"},
    )
    pg_journal_id = fields.Many2one(
        "account.journal",
        string="Clearing Journal",
        domain="[('type', '=', 'bank'), ('company_id', '=', company_id)]",
        check_company=True,
        tracking=True,
        help="Bank-type journal standing for the balance held at the gateway: "
        "gateway payments and refunds are registered on it, payouts are booked "
        "out of it.",
    )
    pg_clearing_account_id = fields.Many2one(
        related="pg_journal_id.default_account_id", string="Clearing Account"
    )
    pg_transit_account_id = fields.Many2one(
        "account.account",
        string="Payouts in Transit Account",
        tracking=True,
        help="Reconcilable account holding each payout until its bank line is "
        "matched (one open item per payout, labelled with the payout id).",
    )
    pg_fee_account_id = fields.Many2one(
        "account.account", string="Gateway Fees Account", tracking=True
    )
    pg_adjustment_account_id = fields.Many2one(
        "account.account",
        string="Adjustments Account",
        tracking=True,
        help="Gateway adjustments found in payouts (balance transfers, "
        "corrections). Empty: the fees account.",
    )
    pg_dispute_loss_account_id = fields.Many2one(
        "account.account",
        string="Lost Disputes Account",
        tracking=True,
        help="Expense booked when a dispute (chargeback) is lost.",
    )
    pg_refund_credit_note = fields.Boolean(
        string="Credit Note on Refund",
        tracking=True,
        help="Issue a credit note for every gateway refund and reconcile it with "
        "the refund payment. Without it the refund re-opens the customer's "
        "receivable (a debit left for finance to settle).",
    )
    pg_allow_partial = fields.Boolean(
        string="Accept Partial Payments",
        help="Register a gateway payment smaller than the invoice's amount due as "
        "a partial payment instead of opening an amount-mismatch exception.",
    )
    pg_capture_is_payment = fields.Boolean(
        string="Manual Capture (Adyen)",
        help="The merchant account captures manually: the payment is booked at "
        "CAPTURE instead of AUTHORISATION.",
    )
    pg_basic_auth = fields.Boolean(
        string="Require Basic Authentication",
        help="Adyen: also require the Basic authentication username / password "
        "configured in the Customer Area (Authentication tab).",
    )
    pg_transaction_count = fields.Integer(compute="_compute_pg_counts")
    pg_settlement_count = fields.Integer(compute="_compute_pg_counts")
    pg_open_dispute_count = fields.Integer(compute="_compute_pg_counts")

    # --- CONSTRAINT METHODS

    @api.constrains("pg_transit_account_id")
    def _check_pg_transit_account(self):
        for rec in self:
            if rec.pg_transit_account_id and not rec.pg_transit_account_id.reconcile:
                raise ValidationError(
                    self.env._(
                        "The payouts in transit account %(a)s must allow "
                        "reconciliation.",
                        a=rec.pg_transit_account_id.display_name,
                    )
                )

    # --- COMPUTE METHODS

    def _compute_pg_counts(self):
        def counts(model, domain=()):
            groups = self.env[model]._read_group(
                [("connection_id", "in", self.ids), *domain],
                ["connection_id"],
                ["__count"],
            )
            return dict(groups)

        transactions = counts("o2c.gateway.transaction")
        settlements = counts("o2c.gateway.settlement")
        disputes = counts("o2c.gateway.dispute", [("state", "=", "open")])
        for rec in self:
            rec.pg_transaction_count = transactions.get(rec, 0)
            rec.pg_settlement_count = settlements.get(rec, 0)
            rec.pg_open_dispute_count = disputes.get(rec, 0)

    # --- CRUD

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            vals.update(
                {
                    key: value
                    for key, value in self._pg_type_defaults(
                        vals.get("connection_type")
                    ).items()
                    if key not in vals
                }
            )
        records = super().create(vals_list)
        records.filtered("pg_journal_id")._pg_sync_journal()
        return records

    def write(self, vals):
        res = super().write(vals)
        if "pg_journal_id" in vals:
            self.filtered("pg_journal_id")._pg_sync_journal()
        return res

    @api.model
    def _pg_type_defaults(self, connection_type):
        if connection_type == "stripe":
            return {
                "base_url": STRIPE_API_URL,
                "auth_method": "api_key",
                "api_key_header": "Authorization",
                "api_key_prefix": "Bearer",
            }
        return {}

    @api.onchange("connection_type")
    def _onchange_pg_connection_type(self):
        for key, value in self._pg_type_defaults(self.connection_type).items():
            if not self[key] or key == "auth_method":
                self[key] = value

    def _pg_sync_journal(self):
        """Point the clearing journal's payment methods at its default account.

        Without a payment account on the method line, Odoo books gateway payments
        on the company-wide "Outstanding Receipts" account shared with every other
        journal, and the clearing balance could not be followed per gateway.
        """
        for rec in self.sudo():
            journal = rec.pg_journal_id
            account = journal.default_account_id
            lines = journal.inbound_payment_method_line_ids | (
                journal.outbound_payment_method_line_ids
            )
            lines.filtered(
                lambda line, account=account: line.payment_account_id != account
            ).write({"payment_account_id": account.id})

    # --- WEBHOOK HOOKS

    def _pg_is_gateway(self):
        return self.connection_type in GATEWAY_TYPES

    def _o2c_verify_webhook(self, body, headers):
        if not self._pg_is_gateway():
            return super()._o2c_verify_webhook(body, headers)
        self.ensure_one()
        secrets = self._o2c_webhook_secrets()
        if self.connection_type == "stripe":
            return self._pg_verify_stripe(body, headers, secrets)
        return self._pg_verify_adyen(body, headers, secrets)

    def _pg_verify_stripe(self, body, headers, secrets):
        try:
            stripe_lib.verify_webhook(
                body,
                header_value(headers, stripe_lib.SIGNATURE_HEADER),
                secrets,
                tolerance=self.webhook_tolerance or stripe_lib.DEFAULT_TOLERANCE,
            )
        except stripe_lib.StripeSignatureError as exc:
            if exc.reason in _STRIPE_MISSING:
                raise MissingSignature(f"stripe: {exc.reason}") from exc
            if exc.reason in _STRIPE_STALE:
                raise StaleTimestamp(f"stripe: {exc.reason}") from exc
            raise BadSignature(f"stripe: {exc.reason}") from exc

    def _pg_verify_adyen(self, body, headers, secrets):
        if self.pg_basic_auth:
            conn = self.sudo()
            authorization = header_value(headers, "Authorization")
            if not authorization:
                raise MissingSignature("adyen: missing basic authentication")
            if not adyen_lib.verify_basic_auth(
                authorization, conn.username or "", conn._o2c_get_secret("password")
            ):
                raise BadSignature("adyen: basic authentication failed")
        try:
            adyen_lib.verify_notification(body, secrets)
        except adyen_lib.AdyenSignatureError as exc:
            if exc.reason in _ADYEN_MISSING:
                raise MissingSignature(f"adyen: {exc}") from exc
            raise BadSignature(f"adyen: {exc}") from exc
        except GatewayError as exc:
            # Not a notification batch: nothing in it could be authenticated.
            raise BadSignature(f"adyen: unreadable notification ({exc})") from exc

    def _o2c_parse_webhook(self, body, headers):
        if not self._pg_is_gateway():
            return super()._o2c_parse_webhook(body, headers)
        self.ensure_one()
        if self.connection_type == "stripe":
            return self._pg_split_stripe(body)
        return self._pg_split_adyen(body)

    def _pg_split_stripe(self, body):
        """One Stripe delivery is one event: keep its raw text, keyed by ``evt_`` id.

        Only the envelope is checked here; the full mapping runs in the job, where a
        problem becomes a failed event with an exception rather than a 400 that
        Stripe would retry for three days.
        """
        try:
            data = json_depth.loads(body)
        except json_depth.JSONTooDeep as exc:
            raise ValueError(f"stripe: {exc}") from exc
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"stripe: invalid JSON ({exc})") from exc
        if not isinstance(data, dict):
            raise ValueError("stripe: the body must be a JSON object")
        event_id, event_type = data.get("id"), data.get("type")
        if not isinstance(event_id, str) or not event_id:
            raise ValueError("stripe: the event has no id")
        if not isinstance(event_type, str) or not event_type:
            raise ValueError("stripe: the event has no type")
        return [
            {
                "event_type": event_type,
                "external_id": event_id,
                "payload": body.decode("utf-8"),
            }
        ]

    def _pg_split_adyen(self, body):
        """One stored event per NotificationRequestItem, stored as a one-item batch.

        The external id is the neutral ``event_id`` (``psp:eventCode:success``):
        stable across Adyen's redeliveries, so a re-sent batch is deduplicated item
        by item.
        """
        try:
            document = json_depth.loads(body)
            events = adyen_lib.parse_items(
                body, capture_is_payment=self.pg_capture_is_payment
            )
            items = adyen_lib.notification_items(document)
        except (ValueError, GatewayError) as exc:
            # ValueError: bad UTF-8 / JSON, or nested too deep (json_depth)
            raise ValueError(f"adyen: {exc}") from exc
        live = document.get("live", "false")
        return [
            {
                "event_type": neutral.raw_type,
                "external_id": neutral.event_id,
                "payload": json.dumps(
                    {
                        "live": live,
                        "notificationItems": [{"NotificationRequestItem": item}],
                    }
                ),
            }
            for neutral, (_path, item) in zip(events, items, strict=True)
        ]

    def _o2c_webhook_ack(self, events, duplicates):
        if self.connection_type == "adyen":
            # Adyen treats anything but "[accepted]" as a failed delivery.
            return 200, "text/plain", adyen_lib.ACK_BODY
        return super()._o2c_webhook_ack(events, duplicates)

    # --- GATEWAY HELPERS

    def _pg_parse_payload(self, payload):
        """Map a stored payload to neutral events (PermanentError when unreadable)."""
        self.ensure_one()
        raw = payload.encode("utf-8") if isinstance(payload, str) else payload
        try:
            if self.connection_type == "stripe":
                return [stripe_lib.parse_event(raw)]
            return adyen_lib.parse_items(
                raw, capture_is_payment=self.pg_capture_is_payment
            )
        except (MalformedPayload, UnsupportedEvent) as exc:
            raise gateway_error(f"{self.connection_type}: {exc}") from exc
        except GatewayError as exc:
            raise gateway_error(f"{self.connection_type}: {exc}") from exc

    def _pg_check_accounting(self, *needed):
        """Raise a PermanentError naming the missing accounting settings."""
        self.ensure_one()
        labels = {
            "pg_journal_id": self.env._("clearing journal"),
            "pg_transit_account_id": self.env._("payouts in transit account"),
            "pg_fee_account_id": self.env._("gateway fees account"),
            "pg_dispute_loss_account_id": self.env._("lost disputes account"),
        }
        missing = [labels[name] for name in needed if not self[name]]
        if self.pg_journal_id and not self.pg_journal_id.default_account_id:
            missing.append(self.env._("default account of the clearing journal"))
        if missing:
            raise gateway_error(
                self.env._(
                    "Connection %(c)s is not configured: set the %(m)s.",
                    c=self.name,
                    m=", ".join(missing),
                ),
                record=self,
            )

    def _pg_payment_method_line(self, payment_type):
        self.ensure_one()
        journal = self.pg_journal_id
        lines = (
            journal.inbound_payment_method_line_ids
            if payment_type == "inbound"
            else journal.outbound_payment_method_line_ids
        )
        clearing = journal.default_account_id
        line = lines.filtered(lambda pml: pml.payment_account_id == clearing)[:1]
        if not line:
            raise gateway_error(
                self.env._(
                    "The %(t)s payment methods of journal %(j)s do not post to its "
                    "clearing account %(a)s: save the connection again to fix them.",
                    t=payment_type,
                    j=journal.display_name,
                    a=clearing.display_name,
                ),
                record=self,
            )
        return line

    def _pg_stripe_list(self, path, params, correlation_id=None):
        """Every item of a Stripe list endpoint, page after page (cursor based)."""
        self.ensure_one()

        def fetch(starting_after):
            page_params = dict(params, limit=STRIPE_PAGE_SIZE)
            if starting_after:
                page_params["starting_after"] = starting_after
            response = self._o2c_request(
                "GET",
                path,
                params=page_params,
                event_type=f"stripe {path}",
                correlation_id=correlation_id,
            )
            try:
                return response.json()
            except ValueError as exc:
                raise gateway_error(f"stripe {path}: the answer is not JSON") from exc

        return list(stripe_lib.paginate(fetch))

    # --- PUBLIC ACTIONS

    def action_pg_setup_accounting(self):
        """Create what is missing: clearing journal, transit, fees, losses accounts.

        O2C administrators only: it creates a journal and accounts (under sudo) in
        the connection's company.
        """
        o2c_require(self, ADMIN_GROUP, "connection.pg_setup_accounting")
        for rec in self:
            if not rec._pg_is_gateway():
                raise UserError(
                    self.env._("%(c)s is not a payment gateway connection.", c=rec.name)
                )
            company = rec.company_id
            Account = self.env["account.account"].sudo().with_company(company)
            vals = {}
            if not rec.pg_journal_id:
                vals["pg_journal_id"] = (
                    self.env["account.journal"]
                    .sudo()
                    .create(
                        {
                            "name": self.env._("%(c)s Clearing", c=rec.name),
                            "type": "bank",
                            "code": rec._pg_free_journal_code(),
                            "company_id": company.id,
                        }
                    )
                    .id
                )
            accounts = {
                "pg_transit_account_id": (
                    "109900",
                    "asset_current",
                    True,
                    self.env._("%(c)s Payouts in Transit"),
                ),
                "pg_fee_account_id": (
                    "627100",
                    "expense",
                    False,
                    self.env._("%(c)s Fees"),
                ),
                "pg_dispute_loss_account_id": (
                    "627200",
                    "expense",
                    False,
                    self.env._("%(c)s Lost Disputes"),
                ),
            }
            for field_name, (prefix, account_type, reconcile, name) in accounts.items():
                if rec[field_name]:
                    continue
                vals[field_name] = Account.create(
                    {
                        "code": rec._pg_free_account_code(prefix),
                        "name": name,
                        "account_type": account_type,
                        "reconcile": reconcile,
                    }
                ).id
            if vals:
                rec.write(vals)
                self.env["o2c.audit.log"]._log(
                    "config.change",
                    f"Accounting set up for gateway {rec.name}",
                    records=rec,
                    data={k: v for k, v in vals.items()},
                )
        return True

    def _pg_free_account_code(self, prefix):
        Account = self.env["account.account"].sudo().with_company(self.company_id)
        domain = Account._check_company_domain(self.company_id)
        for offset in range(1000):
            code = str(int(prefix) + offset)
            if not Account.search_count([*domain, ("code", "=", code)], limit=1):
                return code
        raise UserError(self.env._("No free account code after %(p)s.", p=prefix))

    def _pg_free_journal_code(self):
        Journal = self.env["account.journal"].sudo()
        base = {"stripe": "STRP", "adyen": "ADYN"}.get(self.connection_type, "PGW")
        for index in range(1, 100):
            code = base if index == 1 else f"{base[:3]}{index}"
            if not Journal.search_count(
                [("code", "=", code), ("company_id", "=", self.company_id.id)], limit=1
            ):
                return code
        raise UserError(self.env._("No free journal code for %(b)s.", b=base))

    def _pg_action(self, model, name, extra_domain=()):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": model,
            "name": name,
            "view_mode": "list,form",
            "domain": [("connection_id", "=", self.id), *extra_domain],
            "context": {"default_connection_id": self.id},
        }

    def action_pg_open_transactions(self):
        return self._pg_action("o2c.gateway.transaction", self.env._("Transactions"))

    def action_pg_open_settlements(self):
        return self._pg_action("o2c.gateway.settlement", self.env._("Settlements"))

    def action_pg_open_disputes(self):
        return self._pg_action("o2c.gateway.dispute", self.env._("Disputes"))
