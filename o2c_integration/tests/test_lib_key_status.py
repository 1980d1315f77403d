# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Key status shown in Settings: counts and ids, never the keys."""

import hashlib

from cryptography.fernet import Fernet

from odoo.addons.o2c_integration.lib.key_status import key_fingerprint, key_status


def test_no_key():
    status = key_status([], ["tok"])
    assert not status.configured
    assert status.count == 0
    assert status.secrets_total == 1
    assert status.primary_id == ""


def test_counts_secrets_under_older_keys():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    under_old = [Fernet(old).encrypt(b"a").decode(), Fernet(old).encrypt(b"b").decode()]
    under_new = [Fernet(new).encrypt(b"c").decode()]
    status = key_status([new, old], under_old + under_new + [None, ""])
    assert status.configured
    assert status.count == 2
    assert status.secrets_total == 3
    assert status.secrets_old_key == 2
    assert status.primary_id == hashlib.sha256(new.encode()).hexdigest()[:8]


def test_fingerprint_reveals_no_key_material():
    key = Fernet.generate_key().decode()
    fingerprint = key_fingerprint(key)
    assert len(fingerprint) == 8
    assert fingerprint not in key
    assert key_fingerprint(" " + key + "\n") == fingerprint


def test_invalid_primary_key_is_reported_without_the_key():
    status = key_status(["not-a-fernet-key"], [])
    assert not status.configured
    assert status.count == 1
    assert "not-a-fernet-key" not in status.error
    assert "not a valid Fernet key" in status.error
