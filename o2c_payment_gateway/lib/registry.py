# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Gateway adapter registry: the pure side of a gateway is one adapter.

The Odoo models do not dispatch through this registry yet (they branch on
``connection_type``): readme/DESCRIPTION.md lists what adding a gateway takes today.

A generic webhook controller only needs::

    adapter = get_adapter(code)
    adapter.verify(body, request.headers, secrets, **options)  # raises
    events = adapter.parse(body, **options)
    status, content_type, body = adapter.ack_body()

``headers`` is any mapping; lookups are case-insensitive (HTTP header names
are). ``options`` carry gateway-specific settings the controller reads from
the provider configuration (Stripe: ``tolerance``/``now``; Adyen:
``basic_auth=(username, password)``, ``capture_is_payment``); adapters
ignore options they do not know, so the controller can pass the same dict
to both calls.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from . import adyen, stripe
from .events import NeutralEvent, UnknownGateway

_logger = logging.getLogger(__name__)

__all__ = [
    "AdyenAdapter",
    "GatewayAdapter",
    "StripeAdapter",
    "available_gateways",
    "get_adapter",
    "header_value",
    "register",
]


@runtime_checkable
class GatewayAdapter(Protocol):
    """What the Odoo side needs from a gateway."""

    code: str

    def verify(
        self,
        payload: bytes,
        headers: Mapping[str, str],
        secrets: Sequence[str],
        **options: Any,
    ) -> None:
        """Authenticate the request or raise a SignatureError subclass."""

    def parse(self, payload: bytes, **options: Any) -> list[NeutralEvent]:
        """Map the (verified) body to neutral events."""

    def ack_body(self) -> tuple[int, str, str]:
        """``(HTTP status, content type, body)`` acknowledging the delivery."""


def header_value(headers: Mapping[str, str] | None, name: str) -> str | None:
    """Case-insensitive header lookup on any mapping (dict, werkzeug Headers)."""
    if not headers:
        return None
    value = headers.get(name)
    if value is not None:
        return value
    wanted = name.lower()
    for key, candidate in headers.items():
        if isinstance(key, str) and key.lower() == wanted:
            return candidate
    return None


class StripeAdapter:
    code = stripe.GATEWAY

    def verify(self, payload, headers, secrets, **options) -> None:
        stripe.verify_webhook(
            payload,
            header_value(headers, stripe.SIGNATURE_HEADER),
            secrets,
            tolerance=options.get("tolerance", stripe.DEFAULT_TOLERANCE),
            now=options.get("now"),
        )

    def parse(self, payload, **options) -> list[NeutralEvent]:
        return [stripe.parse_event(payload)]

    def ack_body(self) -> tuple[int, str, str]:
        return 200, "application/json", '{"received": true}'


class AdyenAdapter:
    code = adyen.GATEWAY

    def verify(self, payload, headers, secrets, **options) -> None:
        basic_auth = options.get("basic_auth")
        if basic_auth:
            username, password = basic_auth
            header = header_value(headers, "Authorization")
            if not adyen.verify_basic_auth(header, username, password):
                raise adyen.AdyenBasicAuthError("basic authentication failed")
        adyen.verify_notification(payload, secrets)

    def parse(self, payload, **options) -> list[NeutralEvent]:
        return adyen.parse_items(
            payload, capture_is_payment=bool(options.get("capture_is_payment"))
        )

    def ack_body(self) -> tuple[int, str, str]:
        return 200, "text/plain", adyen.ACK_BODY


_REGISTRY: dict[str, GatewayAdapter] = {}


def register(adapter: GatewayAdapter) -> GatewayAdapter:
    """Register (or replace) the adapter for ``adapter.code``; returns it."""
    code = getattr(adapter, "code", None)
    if not isinstance(code, str) or not code:
        raise UnknownGateway("an adapter needs a non-empty string 'code'")
    if not isinstance(adapter, GatewayAdapter):
        raise UnknownGateway(f"adapter {code!r} does not implement GatewayAdapter")
    if code in _REGISTRY and _REGISTRY[code] is not adapter:
        _logger.info("Replacing payment gateway adapter %s", code)
    _REGISTRY[code] = adapter
    return adapter


def get_adapter(code: str) -> GatewayAdapter:
    try:
        return _REGISTRY[code]
    except (KeyError, TypeError):
        raise UnknownGateway(f"no payment gateway adapter {code!r}") from None


def available_gateways() -> list[str]:
    return sorted(_REGISTRY)


register(StripeAdapter())
register(AdyenAdapter())
