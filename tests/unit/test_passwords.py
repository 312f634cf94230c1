"""The production Argon2id parameters (the other tests hash with cheap ones: tests/fixtures/plugin.py)."""

from __future__ import annotations

from argon2 import PasswordHasher, Type, extract_parameters

from tests.fixtures.plugin import TEST_HASHER
from web.accounts import passwords


def test_production_parameters_are_at_least_owasp_minimum() -> None:
    hasher = passwords.PRODUCTION_HASHER
    assert hasher.type is Type.ID
    # OWASP: m=19 MiB, t=2, p=1 at least (argon2-cffi's defaults, m=64 MiB, t=3, p=4, cost 7× more CPU).
    assert hasher.memory_cost >= 19 * 1024
    assert hasher.time_cost >= 2
    assert hasher.memory_cost * hasher.time_cost >= 19 * 1024 * 2
    assert (hasher.time_cost, hasher.memory_cost, hasher.parallelism) == (2, 19456, 1)


def test_a_production_hash_carries_the_production_parameters() -> None:
    produced = extract_parameters(passwords.PRODUCTION_HASHER.hash("Lune bleue sur le lavoir"))
    assert (produced.type, produced.time_cost, produced.memory_cost, produced.parallelism) == (
        Type.ID,
        2,
        19456,
        1,
    )


def test_the_tests_hash_cheaply_and_a_cheap_hash_is_rehashed_in_production() -> None:
    cheap = passwords.hash_password("Lune bleue sur le lavoir")
    assert extract_parameters(cheap).memory_cost == TEST_HASHER.memory_cost
    assert passwords.verify_password(cheap, "Lune bleue sur le lavoir")
    assert passwords.PRODUCTION_HASHER.check_needs_rehash(cheap)  # a login in production would upgrade it
    assert passwords.PRODUCTION_HASHER.check_needs_rehash(PasswordHasher().hash("x"))  # the old profile too
