"""Request references DEM-<year>-<number>: unique, and sequential within each year.

The number comes from one counter row per year (`reference_counter`), incremented by one UPDATE …
RETURNING, so two concurrent starts never get the same number.

- On SQLite the UPDATE runs inside the transaction that creates the instance (SQLite has one writer at
  a time anyway): a rolled-back start gives its number back with its transaction.
- On PostgreSQL it runs in its own short transaction, on another connection of the pool in
  autocommit (the UPDATE … RETURNING is its own transaction, one round trip): the counter row is
  locked for that UPDATE only, not until the start's commit, so the starts of a busy town do not
  wait for each other (they did: every « Commencer » of every family queued behind the one in
  progress). A start that fails after taking its number leaves a gap, as a discarded draft
  always did. Inside a savepoint (the studio's scenarios, rolled back) it stays in the transaction.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, Integer, bindparam, func, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from .models import ReferenceCounter

PREFIX = "DEM"
_COUNTERS = ReferenceCounter.__table__
_BUMP = (
    update(_COUNTERS)
    .where(_COUNTERS.c.year == bindparam("b_year"))
    .values(last_number=_COUNTERS.c.last_number + 1)
)
_TOUCH = (
    update(_COUNTERS)
    .where(_COUNTERS.c.year == bindparam("b_year"))
    .values(last_number=_COUNTERS.c.last_number)
)
#: One statement per start once the year's row exists (SQLite ≥ 3.35 and PostgreSQL have RETURNING).
_BUMP_RETURNING = _BUMP.returning(_COUNTERS.c.last_number)
#: pg_advisory_xact_lock(namespace, family id): the namespace keeps these locks apart from any other
#: advisory lock of the database (0x47434831, « GCH1 »).
_FAMILY_STARTS_LOCK = select(
    func.pg_advisory_xact_lock(literal(0x47434831, Integer), bindparam("b_requester", type_=Integer))
)
_ENSURE = {
    dialect: insert(_COUNTERS)
    .values(year=bindparam("b_year"), last_number=0)
    .on_conflict_do_nothing(index_elements=["year"])
    for dialect, insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}


def format_reference(year: int, number: int) -> str:
    """DEM-2026-000123 (six digits at least; a year past a million requests just gets longer)."""
    return f"{PREFIX}-{year}-{number:06d}"


def next_reference(session: Session, year: int) -> str:
    """Take the next number of `year` and return its reference (see the module's docstring for the
    transaction it is taken in). The year's row is made (then bumped again) only when it does not
    exist yet, at the first start of a year."""
    bind = session.get_bind()
    # Inside a savepoint (the studio's scenarios, rolled back) the number must go with it: in the
    # caller's transaction, as on SQLite.
    if bind.dialect.name == "postgresql" and isinstance(bind, Engine) and not session.in_nested_transaction():
        # In autocommit: each statement is its own transaction, without BEGIN and COMMIT round trips.
        with bind.connect().execution_options(isolation_level="AUTOCOMMIT") as apart:
            number = _bump(apart, year)
    else:
        number = _bump(session.connection(), year)
    return format_reference(year, number)


def _bump(connection: Connection, year: int) -> int:
    number = connection.execute(_BUMP_RETURNING, {"b_year": year}).scalar_one_or_none()
    if number is None:
        connection.execute(_ENSURE[connection.dialect.name], {"b_year": year})
        number = connection.execute(_BUMP_RETURNING, {"b_year": year}).scalar_one()
    return int(number)


def serialise_starts(session: Session, requester_id: int | None, year: int) -> None:
    """Serialise the starts of one family (a double click: the second start must find the draft the
    first one created), until the end of the transaction.

    PostgreSQL: a transaction-level advisory lock on the family's id, so other families do not wait
    (a visitor without an account has no draft to find: nothing to lock). SQLite: the database's write
    lock, taken now rather than at the first write (the year's counter row, touched by one UPDATE).
    """
    if session.get_bind().dialect.name == "postgresql":
        if requester_id is not None:
            session.execute(_FAMILY_STARTS_LOCK, {"b_requester": requester_id})
        return
    if session.execute(_TOUCH, {"b_year": year}).rowcount == 0:  # type: ignore[attr-defined]
        session.execute(_ENSURE["sqlite"], {"b_year": year})
