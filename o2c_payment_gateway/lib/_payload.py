# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Strict, path-reporting accessors for untrusted JSON payloads.

Every accessor raises :class:`~.events.MalformedPayload` naming the field
path, so a parser never leaks ``KeyError``/``TypeError`` to the controller:
webhook bodies are attacker-controlled until the signature is checked, and
even a signed body may come from an API version we do not know.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime
from typing import Any

from .events import MalformedPayload

_logger = logging.getLogger(__name__)

#: Webhook bodies larger than this are refused before parsing (Stripe and
#: Adyen bodies are a few KiB; Adyen batches hold at most a few items).
MAX_PAYLOAD_BYTES = 2 * 1024 * 1024

_MISSING = object()


def load_json(payload: bytes, root: str = "$") -> Any:
    """Decode a UTF-8 JSON body; any decoding problem is MalformedPayload."""
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    if not isinstance(payload, bytes | bytearray | memoryview):
        raise MalformedPayload(root, "payload must be bytes")
    payload = bytes(payload)
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise MalformedPayload(root, "payload too large")
    try:
        return json.loads(payload.decode("utf-8"), parse_constant=_refuse_constant)
    except MalformedPayload:
        raise
    except (ValueError, RecursionError) as error:
        # ValueError covers JSONDecodeError, UnicodeDecodeError and the
        # int-digits limit; RecursionError a deeply nested document.
        raise MalformedPayload(root, f"invalid JSON ({type(error).__name__})") from None


def _refuse_constant(name: str) -> Any:
    raise MalformedPayload("$", f"non-standard JSON constant {name}")


def join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def get_dict(obj: Any, key: str, path: str, required: bool = True) -> dict | None:
    value = _get(obj, key, path, required)
    if value is None:
        if required:
            raise MalformedPayload(join(path, key), "missing object")
        return None
    if not isinstance(value, dict):
        raise MalformedPayload(join(path, key), "expected an object")
    return value


def get_list(obj: Any, key: str, path: str, required: bool = True) -> list | None:
    value = _get(obj, key, path, required)
    if value is None:
        if required:
            raise MalformedPayload(join(path, key), "missing list")
        return None
    if not isinstance(value, list):
        raise MalformedPayload(join(path, key), "expected a list")
    return value


def get_str(obj: Any, key: str, path: str, required: bool = True) -> str | None:
    value = _get(obj, key, path, required)
    if value is None or value == "":
        if required:
            raise MalformedPayload(join(path, key), "missing value")
        return None
    if not isinstance(value, str):
        raise MalformedPayload(join(path, key), "expected a string")
    return value


def get_int(obj: Any, key: str, path: str, required: bool = True) -> int | None:
    value = _get(obj, key, path, required)
    if value is None:
        if required:
            raise MalformedPayload(join(path, key), "missing integer")
        return None
    # bool is an int subclass: ``true`` is never a valid amount/timestamp.
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedPayload(join(path, key), "expected an integer")
    return value


def get_bool(obj: Any, key: str, path: str, default: bool = False) -> bool:
    value = _get(obj, key, path, False)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise MalformedPayload(join(path, key), "expected a boolean")
    return value


def get_ref(obj: Any, key: str, path: str, required: bool = False) -> str | None:
    """An "expandable" Stripe field: an id string or an object with ``id``."""
    value = _get(obj, key, path, required)
    if value is None or value == "":
        if required:
            raise MalformedPayload(join(path, key), "missing reference")
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return get_str(value, "id", join(path, key))
    raise MalformedPayload(join(path, key), "expected an id or an object")


def get_metadata(obj: Any, key: str, path: str) -> dict[str, Any]:
    value = _get(obj, key, path, False)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MalformedPayload(join(path, key), "expected an object")
    return dict(value)


def timestamp_to_datetime(value: int, path: str) -> datetime:
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise MalformedPayload(path, f"timestamp out of range: {value}") from None


def timestamp_to_date(value: int, path: str) -> date:
    return timestamp_to_datetime(value, path).date()


def parse_iso_datetime(value: str, path: str) -> datetime:
    """ISO 8601 with offset (``2023-01-10T13:40:54+01:00``, ``...Z``) to UTC."""
    if not isinstance(value, str) or not value.strip():
        raise MalformedPayload(path, "missing date")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise MalformedPayload(path, f"invalid ISO 8601 date {value!r}") from None
    if parsed.tzinfo is None:
        # Adyen always sends an offset; a naive value is taken as UTC rather
        # than as the server's local time, which would be arbitrary.
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        raise MalformedPayload(path, f"date out of range {value!r}") from None


def _get(obj: Any, key: str, path: str, required: bool) -> Any:
    if not isinstance(obj, dict):
        raise MalformedPayload(path or "$", "expected an object")
    value = obj.get(key, _MISSING)
    if value is _MISSING:
        if required:
            raise MalformedPayload(join(path, key), "missing field")
        return None
    return value
