"""Alembic environment: Guichet's one metadata, batch mode so migrations run on SQLite too."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import create_engine

import engine.api  # noqa: F401  (registers the engine tables)
import web.models  # noqa: F401  (registers the web tables)
from engine.db import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as conn:
        _run(conn)


#: Indexes with « NULLS FIRST » on PostgreSQL (`postgresql_ops`), by name.
_NULLS_ORDERED = {
    index.name
    for table in target_metadata.tables.values()
    for index in table.indexes
    if any("NULLS" in op for op in (index.dialect_options["postgresql"].get("ops") or {}).values())
}


def _run(connection: Any) -> None:
    dialect = connection.dialect.name

    def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        """An index of one database only (`Index(...).ddl_if(dialect="postgresql")`, created by its
        migration there only) is compared on that database only. An index « due_at NULLS FIRST »
        (`postgresql_ops`) reads back from PostgreSQL as an expression Alembic does not match to the
        column: it is checked by its query plans instead (tests/integration/test_queue_plans.py)."""
        condition = getattr(obj, "_ddl_if", None) or getattr(compare_to, "_ddl_if", None)
        if condition is not None and condition.dialect not in (None, dialect):
            return False
        return not (dialect == "postgresql" and type_ == "index" and name in _NULLS_ORDERED)

    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
