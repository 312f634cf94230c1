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
