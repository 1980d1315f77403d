# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Inbound webhooks: authenticate, store first, then acknowledge.

The only public route of the suite. Order of operations (see docs/design.md):
0. a neutralized copy of the database accepts nothing (503, nothing read or stored);
1. find the connection by its unguessable key (unknown -> 404, nothing stored), and
   refuse a connection in the neutralized test mode (503);
2. refuse bodies over the connection's size limit (413) before reading them whole;
3. verify the signature over the raw bytes (bad/missing -> 401, nothing stored);
4. store every event in its own transaction and COMMIT, with the job enqueued in the
   same transaction; duplicates are acknowledged and not queued again;
5. only then answer 2xx. A body that passed authentication but cannot be parsed is
   stored as a failed event with an exception, and answered 400.
"""

import logging
import uuid

from werkzeug.exceptions import RequestEntityTooLarge

from odoo import http
from odoo.http import request

from ..lib.exceptions import SignatureError
from ..lib.masking import mask_headers
from ..lib.signature import content_hash
from ..models.o2c_connection import o2c_new_env

_logger = logging.getLogger(__name__)


def _json_response(status, payload):
    return request.make_json_response(payload, status=status)


def _neutralized_response(scope, connection_id=None):
    # never log the webhook key itself: it is the URL's secret part
    _logger.warning(
        "O2C webhook refused (connection %s): %s neutralized", connection_id, scope
    )
    return _json_response(
        503,
        {
            "error": "neutralized",
            "detail": f"this {scope} is neutralized (a test copy): webhooks are "
            "refused and nothing was stored",
        },
    )


class O2cWebhookController(http.Controller):
    @http.route(
        "/o2c/webhook/<string:webhook_key>",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def o2c_webhook(self, webhook_key, **_kwargs):
        httpreq = request.httprequest
        env = request.env
        Connection = env["o2c.connection"].sudo()
        # A neutralized copy accepts no webhook at all, whatever the key: 503 so that
        # a sender pointed here by mistake keeps the delivery and retries later.
        if Connection._o2c_database_neutralized():
            return _neutralized_response("database")
        connection = Connection.search(
            [("webhook_key", "=", webhook_key), ("active", "=", True)], limit=1
        )
        if not connection:
            return _json_response(404, {"error": "unknown webhook"})
        if connection.neutralized:
            return _neutralized_response("connection", connection.id)
        limit = connection.max_body_bytes or 1024 * 1024
        declared = httpreq.content_length
        if declared is not None and declared > limit:
            _logger.warning(
                "O2C webhook %s: body of %s bytes refused (limit %s)",
                connection.id,
                declared,
                limit,
            )
            return _json_response(413, {"error": f"body larger than {limit} bytes"})
        try:
            # werkzeug enforces it while reading a body sent without Content-Length
            httpreq.max_content_length = limit
            body = httpreq.get_data(cache=False)
        except RequestEntityTooLarge:
            body = None
        if body is None or len(body) > limit:
            _logger.warning(
                "O2C webhook %s: streamed body over %s bytes refused",
                connection.id,
                limit,
            )
            return _json_response(413, {"error": f"body larger than {limit} bytes"})
        headers = {k: v for k, v in httpreq.headers.items()}
        try:
            connection._o2c_verify_webhook(body, headers)
        except SignatureError as exc:
            _logger.warning(
                "O2C webhook %s refused: %s (from %s)",
                connection.id,
                exc,
                httpreq.remote_addr,
            )
            return _json_response(
                401, {"error": "invalid signature", "reason": str(exc)}
            )
        correlation_id = (
            headers.get("X-Request-Id")
            or headers.get("X-Correlation-Id")
            or uuid.uuid4().hex
        )
        masked = mask_headers(headers)
        with o2c_new_env(env) as store_env:
            conn = connection.with_env(store_env).sudo()
            Event = store_env["o2c.event"].sudo()
            try:
                items = conn._o2c_parse_webhook(body, headers)
            except (ValueError, KeyError, TypeError) as exc:
                # Authenticated but unreadable: keep it (nothing lost) and tell the
                # sender precisely what is wrong.
                event, _created = Event._store_inbound(
                    conn,
                    "malformed",
                    f"malformed:{content_hash(body)}",
                    body.decode("utf-8", errors="replace"),
                    masked,
                    correlation_id,
                    enqueue=False,
                )
                if event and event.state != "failed":
                    event.write(
                        {
                            "state": "failed",
                            "error_kind": "permanent",
                            "last_error": f"Malformed payload: {exc}",
                        }
                    )
                    event._raise_exception_for(exc, "failed")
                return _json_response(
                    400, {"error": "malformed payload", "detail": str(exc)}
                )
            stored, duplicates = [], 0
            for item in items:
                event, created = Event._store_inbound(
                    conn,
                    item["event_type"],
                    item["external_id"],
                    item["payload"],
                    masked,
                    correlation_id,
                )
                if created:
                    stored.append(event)
                else:
                    duplicates += 1
            status, content_type, text = conn._o2c_webhook_ack(stored, duplicates)
        # the store transaction is committed here, before the sender hears 2xx
        return request.make_response(
            text, headers=[("Content-Type", content_type)], status=status
        )
