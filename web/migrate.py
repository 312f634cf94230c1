"""Run Alembic programmatically against the app's database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine, script_location: Path = MIGRATIONS) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.set_main_option(
        "file_template", "%%(year)d%%(month).2d%%(day).2d_%%(hour).2d%%(minute).2d_%%(rev)s_%%(slug)s"
    )
    config.set_main_option(
        "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
    )
    return config


def _sqlite_migration_engine(engine: Engine) -> Engine:
    """A private engine on the same SQLite file whose transactions really hold the DDL.

    pysqlite runs DDL outside any transaction by default, so a migration failing halfway would leave
    a half-migrated file. Here the driver's own transaction handling is off and SQLAlchemy emits
    BEGIN itself (the recipe of SQLAlchemy's SQLite documentation). Foreign keys are off while batch
    mode rebuilds tables by copy, drop and rename, as SQLite's documentation prescribes; they are
    checked after the migration.
    """
    private = create_engine(engine.url, poolclass=NullPool)

    @event.listens_for(private, "connect")
    def _connect(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA foreign_keys=OFF")

    @event.listens_for(private, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")

    return private


def upgrade(engine: Engine, revision: str = "head", script_location: Path = MIGRATIONS) -> None:
    """Migrate the database to `revision`, all or nothing (on SQLite too)."""
    config = alembic_config(engine, script_location)
    file_sqlite = engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:")
    target = _sqlite_migration_engine(engine) if file_sqlite else engine
    try:
        with target.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            if file_sqlite:
                problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if problems:
                    raise RuntimeError(f"foreign key violations after migration: {problems[:5]}")
    finally:
        if target is not engine:
            target.dispose()


def revision(engine: Engine, message: str) -> None:
    """Autogenerate a new migration from the models."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)


def check(engine: Engine) -> None:
    """Raise if the models and the migrations disagree."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.check(config)
