"""Password hashing with Argon2id (OWASP minimum: m=19 MiB, t=2, p=1; we use the library defaults)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

PRODUCTION_HASHER = PasswordHasher()  # argon2-cffi's defaults (RFC 9106 low-memory profile)
_hasher = PRODUCTION_HASHER
# Verified against when the user name is unknown, so both answers take the same time.
_DUMMY_HASH = _hasher.hash("guichet-dummy-password-for-timing")


def use_hasher(hasher: PasswordHasher) -> None:
    """Hash with other parameters from now on (the tests' cheap ones); production never calls it."""
    global _hasher, _DUMMY_HASH
    _hasher = hasher
    _DUMMY_HASH = hasher.hash("guichet-dummy-password-for-timing")


def hash_password(password: str) -> str:
    """Hash a password exactly as typed."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; with no hash, spend the same time and return False."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
