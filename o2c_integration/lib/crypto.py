# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Encryption of integration secrets at rest (API keys, webhook secrets).

Keys come from the Odoo configuration file's own section ``[o2c_integration]``
(option ``encryption_keys``), the server option ``o2c_encryption_keys`` of
``[options]`` (still read; Odoo 19 warns about any option of ``[options]`` it
does not know, an addon's section it ignores silently) or, failing that, the
``O2C_ENCRYPTION_KEYS`` environment variable: never from the database, so a
database dump alone does not reveal the secrets.

Several keys may be configured to rotate them: the first one encrypts, all of
them decrypt (:class:`cryptography.fernet.MultiFernet`). To rotate, prepend a
new key, run :meth:`SecretCipher.rotate` over the stored tokens, then drop the
old key.
"""

from __future__ import annotations

import configparser
import functools
import logging
import os
import re
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from .exceptions import InvalidSecretToken, NoKeyConfigured

_logger = logging.getLogger(__name__)

__all__ = [
    "CONFIG_OPTION",
    "CONFIG_SECTION",
    "ENV_VAR",
    "MASK",
    "SecretCipher",
    "keys_from_config_file",
    "keys_from_sources",
    "mask_secret",
]

CONFIG_OPTION = "o2c_encryption_keys"
#: section and option of the configuration file that Odoo does not warn about
CONFIG_SECTION = ("o2c_integration", "encryption_keys")
ENV_VAR = "O2C_ENCRYPTION_KEYS"
MASK = "••••••••"
_SHORT_MASK = "••••"
_KEY_SEPARATORS = re.compile(r"[\s,]+")


def keys_from_sources(config_value: str | None, env_value: str | None) -> list[str]:
    """Return the configured keys, primary first.

    The server option wins over the environment variable when both are set
    (non-blank): the configuration file is the explicit, deployment-reviewed
    source, the environment may be inherited by accident.
    Keys are separated by commas and/or whitespace.
    """
    for source in (config_value, env_value):
        if source and source.strip():
            return [key for key in _KEY_SEPARATORS.split(source.strip()) if key]
    return []


def keys_from_config_file(path: str | None) -> str | None:
    """The ``encryption_keys`` of the ``[o2c_integration]`` section of ``path``.

    Returns the raw value (``None`` when the file, section or option is missing),
    to be given to :func:`keys_from_sources` as the configuration value.
    """
    if not path:
        return None
    try:
        mtime = os.stat(path).st_mtime_ns
    except OSError:
        return None
    return _read_config_section(path, mtime)


@functools.lru_cache(maxsize=8)
def _read_config_section(path: str, _mtime: int) -> str | None:
    """Read once per version of the file (the cipher is built for every secret)."""
    parser = configparser.RawConfigParser()
    try:
        parser.read([path], encoding="utf-8")
    except (OSError, configparser.Error):
        return None
    section, option = CONFIG_SECTION
    return parser.get(section, option, fallback=None)


class SecretCipher:
    """Fernet encryption with key rotation; the first key is the primary one."""

    def __init__(self, keys: Sequence[str]):
        if isinstance(keys, str):
            # A single string is a common mistake: iterating it would treat
            # every character as a key.
            keys = keys_from_sources(keys, None)
        keys = [key.strip() for key in keys if key and key.strip()]
        if not keys:
            raise NoKeyConfigured(
                "No encryption key configured for O2C secrets: set the "
                f"'{CONFIG_OPTION}' server option (odoo.conf) or the "
                f"'{ENV_VAR}' environment variable to one or more Fernet keys "
                "(comma separated, primary first). Generate one with "
                "SecretCipher.generate_key()."
            )
        fernets = []
        for position, key in enumerate(keys, start=1):
            try:
                fernets.append(Fernet(key))
            except (ValueError, TypeError):
                # Never include the key itself in the message: it ends up in
                # logs and tracebacks.
                raise NoKeyConfigured(
                    f"O2C encryption key #{position} of {len(keys)} (from "
                    f"'{CONFIG_OPTION}' / '{ENV_VAR}') is not a valid Fernet "
                    "key: expected 32 url-safe base64-encoded bytes."
                ) from None
        self._fernet = MultiFernet(fernets)
        self._primary = fernets[0]
        self.key_count = len(fernets)

    @staticmethod
    def generate_key() -> str:
        """Return a fresh random Fernet key as text."""
        return Fernet.generate_key().decode("ascii")

    def encrypt(self, plaintext: str) -> str:
        """Encrypt ``plaintext`` with the primary key; returns a text token."""
        if not isinstance(plaintext, str):
            raise TypeError("plaintext must be a str")
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        """Decrypt a token produced with any of the configured keys."""
        try:
            data = token.encode("ascii") if isinstance(token, str) else token
            return self._fernet.decrypt(data).decode("utf-8")
        except (InvalidToken, UnicodeError, TypeError, AttributeError):
            raise InvalidSecretToken(
                "Cannot decrypt the stored secret with any configured O2C "
                "encryption key (wrong or removed key, or corrupted value)."
            ) from None

    def rotate(self, token: str) -> str:
        """Re-encrypt ``token`` under the primary key (keeps the plaintext)."""
        try:
            data = token.encode("ascii") if isinstance(token, str) else token
            return self._fernet.rotate(data).decode("ascii")
        except (InvalidToken, UnicodeError, TypeError, AttributeError):
            raise InvalidSecretToken(
                "Cannot rotate the stored secret: no configured O2C encryption "
                "key decrypts it."
            ) from None

    def is_primary(self, token: str) -> bool:
        """Tell whether ``token`` is already encrypted with the primary key."""
        try:
            self._primary.decrypt(token.encode("ascii"))
        except (InvalidToken, UnicodeError, AttributeError):
            return False
        return True


def mask_secret(value: str | None, visible: int = 4) -> str:
    """Mask a secret for display, e.g. ``••••abcd``.

    The last ``visible`` characters are shown only when they are less than a
    third of the value: showing the tail of a short secret would give away a
    large part of it.
    """
    if not value:
        return ""
    if visible > 0 and visible * 3 < len(value):
        return _SHORT_MASK + value[-visible:]
    return MASK
