# Copyright 2026 O2C Integration Suite contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from ..lib import exceptions as exc


def test_hierarchy_retryable_vs_permanent():
    for cls in (exc.TransientHTTPError, exc.ConnectionFailed, exc.CircuitOpen):
        assert issubclass(cls, exc.RetryableError)
        assert not issubclass(cls, exc.PermanentError)
    for cls in (exc.ValidationError, exc.PermanentHTTPError):
        assert issubclass(cls, exc.PermanentError)
        assert not issubclass(cls, exc.RetryableError)
    for cls in (
        exc.RetryableError,
        exc.PermanentError,
        exc.SignatureError,
        exc.NoKeyConfigured,
        exc.InvalidSecretToken,
    ):
        assert issubclass(cls, exc.O2CError)
    for cls in (exc.MissingSignature, exc.StaleTimestamp, exc.BadSignature):
        assert issubclass(cls, exc.SignatureError)


def test_retry_after_and_http_attributes():
    err = exc.TransientHTTPError(status=503, retry_after=12.5, body=b"x" * 2000)
    assert err.status == 503
    assert err.retry_after == 12.5
    assert len(err.body_excerpt) <= exc.BODY_EXCERPT_LENGTH + 1
    assert "503" in str(err)
    perm = exc.PermanentHTTPError(status=404, body="not found")
    assert perm.status == 404 and perm.body_excerpt == "not found"
    assert exc.ConnectionFailed("down").retry_after is None
    assert exc.CircuitOpen("open", retry_after=3).retry_after == 3


def test_validation_error_violations_message():
    err = exc.ValidationError(violations=[("lines/0/qty", "must be > 0")])
    assert err.violations == [("lines/0/qty", "must be > 0")]
    assert "lines/0/qty: must be > 0" in str(err)
    assert exc.ValidationError("bad").violations == []


def test_signature_error_reason():
    assert exc.BadSignature().reason == "signature mismatch"
    assert exc.MissingSignature("no secret configured").reason == "no secret configured"
    assert str(exc.StaleTimestamp("too old")) == "too old"
