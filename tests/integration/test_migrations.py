"""Migrations run on a database that already holds data (what `make run` does after an update)."""

from __future__ import annotations

from sqlalchemy import text

from web import migrate
from web.extensions import make_engine

FIRST = "ab6862b12fbe"


def test_upgrade_keeps_existing_rows_on_sqlite(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    migrate.upgrade(engine, FIRST)
    when = "2026-01-01 00:00:00"
    rows = {
        "user_account": dict(
            id=1,
            username="camille",
            email="c@example.test",
            password_hash="x",
            role="famille",
            is_enabled=1,
            session_nonce="n",
            nom="M",
            prenom="C",
            created_at=when,
        ),
        "process_definition": dict(
            id=1,
            key="d",
            version=1,
            title="D",
            description="",
            bpmn_xml="<x/>",
            sha256="h",
            author="a",
            created_at=when,
            is_published=1,
        ),
        "process_instance": dict(
            id=1,
            reference="DEM-1",
            definition_id=1,
            requester_id=1,
            status="running",
            status_label="En cours",
            serialization="{}",
            data_summary="{}",
            created_at=when,
            updated_at=when,
            lock_version=1,
        ),
        "human_task": dict(
            id=1,
            instance_id=1,
            spiff_task_id="u",
            task_name="t",
            title="T",
            form_key="f",
            lane="Famille",
            status_label="",
            state="open",
            requester_id=1,
            created_at=when,
        ),
    }
    with engine.begin() as connection:
        for table, row in rows.items():
            columns = ", ".join(row)
            values = ", ".join(f":{name}" for name in row)
            connection.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({values})"), row)  # noqa: S608
    migrate.upgrade(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM human_task")).scalar_one() == 1
        assert connection.execute(text("SELECT reference FROM process_instance")).scalar_one() == "DEM-1"
        activated = connection.execute(text("SELECT activated_at, contact_prefere FROM user_account")).one()
        assert activated[0] is not None  # accounts that existed stay usable
        assert activated[1] == "courriel"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
    migrate.check(engine)


def test_a_failing_migration_leaves_the_sqlite_file_as_it_was(tmp_path):
    import shutil

    import pytest

    scripts = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    from alembic.script import ScriptDirectory

    current_head = ScriptDirectory(str(scripts)).get_current_head()
    (scripts / "versions" / "zz_failing.py").write_text(
        f"""
from alembic import op
import sqlalchemy as sa

revision = "zz_failing"
down_revision = {current_head!r}
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("half_done", sa.Column("id", sa.Integer, primary_key=True))
    with op.batch_alter_table("user_account") as batch_op:
        batch_op.add_column(sa.Column("extra", sa.String(10)))
    raise RuntimeError("the migration fails halfway")


def downgrade():
    pass
"""
    )
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    migrate.upgrade(engine)
    with pytest.raises(RuntimeError, match="halfway"):
        migrate.upgrade(engine, script_location=scripts)
    with engine.connect() as connection:
        tables = {
            row[0] for row in connection.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))
        }
        assert "half_done" not in tables
        columns = {row[1] for row in connection.execute(text("PRAGMA table_info(user_account)"))}
        assert "extra" not in columns
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        assert version == current_head
    migrate.check(engine)
