"""Password hashing with Argon2id at OWASP's and SECURITY.md's floor: m=19 MiB, t=2, p=1.

Not argon2-cffi's defaults (RFC 9106 low-memory profile, m=64 MiB, t=3, p=4): on the 2-core
reference machine one verification costs 139 ms of CPU with them against 18.5 ms with these, and a
login rush (2,500 families within 5 minutes when enrolments open: docs/performance.md) is mostly
password checks. Hashes made with other parameters are upgraded at the next login (`needs_rehash`).
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

PRODUCTION_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
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
