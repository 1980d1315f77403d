# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Encrypted, write-only secret fields.

A secret ``foo`` is stored as Fernet ciphertext in ``foo_enc`` (readable only by O2C
administrators at the ORM level) and exposed in forms through ``foo``, a non-stored
field that shows a mask and encrypts whatever is typed into it. The key(s) come from
the server configuration option ``o2c_encryption_keys`` or the environment variable
``O2C_ENCRYPTION_KEYS``, never from the database.
"""

import logging
import os

from odoo import models
from odoo.exceptions import AccessError, UserError
from odoo.tools import config

from ..lib.crypto import SecretCipher, keys_from_config_file, keys_from_sources
from ..lib.exceptions import InvalidSecretToken, NoKeyConfigured

_logger = logging.getLogger(__name__)

ADMIN_GROUP = "o2c_integration.group_o2c_admin"
MASK_PREFIX = "••••"
MASK = "••••••••"


def configured_keys():
    """The configured encryption keys, primary first (server option, then environment)."""
    return keys_from_sources(
        config.get("o2c_encryption_keys")
        or keys_from_config_file(config.get("config")),
        os.environ.get("O2C_ENCRYPTION_KEYS"),
    )


def get_cipher():
    """Build the cipher from server config / environment (raises NoKeyConfigured)."""
    return SecretCipher(configured_keys())


class O2cSecretMixin(models.AbstractModel):
    _name = "o2c.secret.mixin"
    _description = "O2C Encrypted Secret Fields"

    # Names of the secret fields of the inheriting model: ["api_key", ...]
    _o2c_secret_fields = []

    def _compute_o2c_masked_secrets(self):
        for rec in self:
            for name in rec._o2c_secret_fields:
                token = rec.sudo()[f"{name}_enc"]
                rec[name] = MASK if token else False

    def _inverse_o2c_secrets(self):
        for rec in self:
            for name in rec._o2c_secret_fields:
                value = rec[name]
                if value and value.startswith(MASK_PREFIX):
                    continue  # the mask was written back unchanged
                if not value and not rec.sudo()[f"{name}_enc"]:
                    continue  # nothing stored, nothing typed
                rec._o2c_set_secret(name, value or False)
        # never keep the clear value in the cache: the next read shows the mask
        self.invalidate_recordset(self._o2c_secret_fields)

    def _o2c_set_secret(self, name, value):
        """Encrypt and store ``value`` (False clears it). Audited, never logged."""
        self.ensure_one()
        if not self.env.su and not self.env.user.has_group(ADMIN_GROUP):
            raise AccessError(
                self.env._("Only O2C administrators can change credentials.")
            )
        token = False
        if value:
            try:
                token = get_cipher().encrypt(value)
            except NoKeyConfigured as exc:
                raise UserError(
                    self.env._(
                        "Cannot save the secret: no encryption key is configured. %(reason)s",
                        reason=str(exc),
                    )
                ) from exc
        self.sudo().write({f"{name}_enc": token})
        self.env["o2c.audit.log"]._log(
            "credential.change",
            f"Credential '{name}' {'set' if value else 'cleared'} on {self.display_name}",
            records=self,
            data={"field": name, "model": self._name},
        )

    def _o2c_get_secret(self, name):
        """Return the clear secret, for administrators and sudo only."""
        self.ensure_one()
        if not self.env.su and not self.env.user.has_group(ADMIN_GROUP):
            raise AccessError(
                self.env._("Only O2C administrators can read credentials.")
            )
        token = self.sudo()[f"{name}_enc"]
        if not token:
            return None
        try:
            return get_cipher().decrypt(token)
        except (NoKeyConfigured, InvalidSecretToken) as exc:
            raise UserError(
                self.env._(
                    "Cannot decrypt the credential '%(name)s' of %(rec)s: %(reason)s",
                    name=name,
                    rec=self.display_name,
                    reason=str(exc),
                )
            ) from exc

    def _o2c_reencrypt(self, cipher):
        """Re-encrypt every stored secret of these records under the primary key."""
        count = 0
        for rec in self.sudo():
            vals = {}
            for name in rec._o2c_secret_fields:
                token = rec[f"{name}_enc"]
                if token:
                    vals[f"{name}_enc"] = cipher.rotate(token)
            if vals:
                rec.write(vals)
                count += len(vals)
        return count
