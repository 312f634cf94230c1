"""Request references DEM-<year>-<number>: unique, and sequential within each year.

The number comes from one counter row per year (`reference_counter`), incremented inside the
transaction that creates the instance. The UPDATE takes the row lock on PostgreSQL and the database
write lock on SQLite, so two concurrent starts are serialised and never get the same number; a
rolled-back start gives its number back with its transaction. A discarded draft leaves a gap.
"""

from __future__ import annotations

from sqlalchemy import bindparam, select, update
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
_READ = select(_COUNTERS.c.last_number).where(_COUNTERS.c.year == bindparam("b_year"))


def format_reference(year: int, number: int) -> str:
    """DEM-2026-000123 (six digits at least; a year past a million requests just gets longer)."""
    return f"{PREFIX}-{year}-{number:06d}"


def _ensure_counter(session: Session, year: int) -> None:
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        insert(_COUNTERS).values(year=year, last_number=0).on_conflict_do_nothing(index_elements=["year"])
    )


def next_reference(session: Session, year: int) -> str:
    """Take the next number of `year` in the caller's transaction and return its reference."""
    _ensure_counter(session, year)
    session.execute(_BUMP, {"b_year": year})
    return format_reference(year, session.execute(_READ, {"b_year": year}).scalar_one())


def lock_year(session: Session, year: int) -> None:
    """Lock the year's counter row without taking a number (serialises starts, see drafts.py)."""
    _ensure_counter(session, year)
    session.execute(_TOUCH, {"b_year": year})
