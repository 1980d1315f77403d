# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import pytest
from cryptography.fernet import Fernet

from ..lib.crypto import SecretCipher, keys_from_sources, mask_secret
from ..lib.exceptions import InvalidSecretToken, NoKeyConfigured


@pytest.fixture
def key1():
    return SecretCipher.generate_key()


@pytest.fixture
def key2():
    return SecretCipher.generate_key()


def test_generate_key_is_valid_text_fernet_key(key1, key2):
    assert isinstance(key1, str)
    assert key1 != key2
    Fernet(key1)  # does not raise


def test_round_trip_unicode(key1):
    cipher = SecretCipher([key1])
    token = cipher.encrypt("sk_live_ünïcødé_42")
    assert isinstance(token, str)
    assert "sk_live" not in token
    assert cipher.decrypt(token) == "sk_live_ünïcødé_42"
    # Fernet is randomised: same plaintext, different tokens.
    assert cipher.encrypt("x") != cipher.encrypt("x")


def test_wrong_key_raises_invalid_secret_token(key1, key2):
    token = SecretCipher([key1]).encrypt("secret")
    with pytest.raises(InvalidSecretToken):
        SecretCipher([key2]).decrypt(token)


@pytest.mark.parametrize("garbage", ["", "not-a-token", "gAAAAA" + "A" * 80])
def test_garbage_token_raises(key1, garbage):
    with pytest.raises(InvalidSecretToken):
        SecretCipher([key1]).decrypt(garbage)


def test_rotation_with_multifernet(key1, key2):
    old = SecretCipher([key1])
    token_old = old.encrypt("api-key-123")
    rotated_cipher = SecretCipher([key2, key1])  # new primary first
    # The old token still decrypts once a new primary key is added.
    assert rotated_cipher.decrypt(token_old) == "api-key-123"
    assert not rotated_cipher.is_primary(token_old)
    token_new = rotated_cipher.rotate(token_old)
    assert token_new != token_old
    assert rotated_cipher.is_primary(token_new)
    # Re-encrypted under the new key only: decrypts without the old key...
    assert SecretCipher([key2]).decrypt(token_new) == "api-key-123"
    # ...and no longer with the old key alone.
    with pytest.raises(InvalidSecretToken):
        old.decrypt(token_new)


def test_encrypt_uses_primary_key(key1, key2):
    token = SecretCipher([key2, key1]).encrypt("v")
    assert SecretCipher([key2]).decrypt(token) == "v"
    with pytest.raises(InvalidSecretToken):
        SecretCipher([key1]).decrypt(token)


def test_rotate_unknown_token_raises(key1, key2):
    token = SecretCipher([key1]).encrypt("v")
    with pytest.raises(InvalidSecretToken):
        SecretCipher([key2]).rotate(token)


@pytest.mark.parametrize("keys", [[], [""], ["  "], None])
def test_no_key_message_names_both_sources(keys):
    with pytest.raises(NoKeyConfigured) as info:
        SecretCipher(keys or [])
    message = str(info.value)
    assert "o2c_encryption_keys" in message
    assert "O2C_ENCRYPTION_KEYS" in message


def test_invalid_key_names_position_without_leaking(key1):
    bad = "this-is-not-a-valid-fernet-key"
    with pytest.raises(NoKeyConfigured) as info:
        SecretCipher([key1, bad])
    message = str(info.value)
    assert "#2" in message
    assert bad not in message
    assert key1 not in message


def test_single_string_is_split_not_iterated(key1, key2):
    cipher = SecretCipher(f"{key1},{key2}")
    assert cipher.key_count == 2
    assert SecretCipher([key1]).decrypt(cipher.encrypt("z")) == "z"


@pytest.mark.parametrize(
    "config, env, expected",
    [
        ("a,b", None, ["a", "b"]),
        ("a b\n c", None, ["a", "b", "c"]),
        (" a , b ,, ", None, ["a", "b"]),
        (None, "x,y", ["x", "y"]),
        ("", "x", ["x"]),
        ("   ", "x", ["x"]),
        ("a", "x", ["a"]),  # config wins
        (None, None, []),
        ("", "", []),
    ],
)
def test_keys_from_sources(config, env, expected):
    assert keys_from_sources(config, env) == expected


def test_keys_from_sources_feeds_cipher(key1, key2):
    keys = keys_from_sources(f"{key1}, {key2}", "ignored")
    assert SecretCipher(keys).key_count == 2


@pytest.mark.parametrize(
    "value, visible, expected",
    [
        (None, 4, ""),
        ("", 4, ""),
        ("abc", 4, "••••••••"),
        ("abcdefghijkl", 4, "••••••••"),  # 4 is exactly a third: hidden
        ("abcdefghijklm", 4, "••••jklm"),  # 13 chars: shows the tail
        ("sk_live_1234567890abcd", 4, "••••abcd"),
        ("sk_live_1234567890abcd", 0, "••••••••"),
        ("abcdefg", 2, "••••fg"),
    ],
)
def test_mask_secret(value, visible, expected):
    assert mask_secret(value, visible) == expected


def test_mask_secret_never_reveals_a_third():
    for length in range(1, 40):
        value = "x" * (length - 1) + "Z"
        masked = mask_secret(value).replace("•", "")
        assert len(masked) * 3 < length or masked == ""
