"""The one SQLAlchemy metadata shared by the engine and the web areas."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime

from sqlalchemy import DateTime, MetaData, Text, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Store aware UTC datetimes; SQLite drops the offset, so it is put back on load."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class CompressedText(TypeDecorator[str]):
    """A long document (an instance's SpiffWorkflow JSON): zlib-compressed in SQLite, plain in PostgreSQL.

    SQLite stores text as written: the JSON of a closed démarche is ≈ 9.8 kB, 1.7 kB compressed
    (docs/performance.md « Database bytes »), for ≈ 50 µs per write and 15 µs per read. PostgreSQL
    already compresses long values itself (TOAST), so it keeps plain text. The column stays TEXT in
    both: SQLite keeps a BLOB in a TEXT column as it is, so rows written before (plain text) are read
    as they are, and no migration rewrites them.
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | bytes | None:
        if value is None or dialect.name != "sqlite":
            return value
        return zlib.compress(value.encode("utf-8"), 6)

    def process_result_value(self, value: str | bytes | None, dialect: Dialect) -> str | None:
        if isinstance(value, bytes):
            return zlib.decompress(value).decode("utf-8")
        return value


def utcnow() -> datetime:
    """Return the current aware UTC time (time-machine can move it in tests)."""
    return datetime.now(UTC)
