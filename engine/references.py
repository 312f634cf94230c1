"""Request references DEM-<year>-<number>: unique, and sequential within each year.

The number comes from one counter row per year (`reference_counter`), incremented inside the
transaction that creates the instance. The UPDATE takes the row lock on PostgreSQL and the database
write lock on SQLite, so two concurrent starts are serialised and never get the same number; a
rolled-back start gives its number back with its transaction. A discarded draft leaves a gap.
"""

from __future__ import annotations

from sqlalchemy import bindparam, update
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
_ENSURE = {
    dialect: insert(_COUNTERS)
    .values(year=bindparam("b_year"), last_number=0)
    .on_conflict_do_nothing(index_elements=["year"])
    for dialect, insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}


def format_reference(year: int, number: int) -> str:
    """DEM-2026-000123 (six digits at least; a year past a million requests just gets longer)."""
    return f"{PREFIX}-{year}-{number:06d}"


def _ensure_counter(session: Session, year: int) -> None:
    dialect = session.get_bind().dialect.name
    session.execute(_ENSURE["postgresql" if dialect == "postgresql" else "sqlite"], {"b_year": year})


def next_reference(session: Session, year: int) -> str:
    """Take the next number of `year` in the caller's transaction and return its reference.

    The UPDATE both takes the lock and reads the new number; the year's row is made (then bumped
    again) only when it does not exist yet, at the first start of a year.
    """
    number = session.execute(_BUMP_RETURNING, {"b_year": year}).scalar_one_or_none()
    if number is None:
        _ensure_counter(session, year)
        number = session.execute(_BUMP_RETURNING, {"b_year": year}).scalar_one()
    return format_reference(year, number)


def lock_year(session: Session, year: int) -> None:
    """Lock the year's counter row without taking a number (serialises starts, see drafts.py); the
    row is made only at the first start of a year, as in `next_reference`."""
    if session.execute(_TOUCH, {"b_year": year}).rowcount == 0:  # type: ignore[attr-defined]
        _ensure_counter(session, year)
        session.execute(_TOUCH, {"b_year": year})
