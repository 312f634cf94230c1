"""Migrations run on a database that already holds data (what `make run` does after an update)."""

from __future__ import annotations

from sqlalchemy import text

from web import migrate
from web.extensions import make_engine

FIRST = "ab6862b12fbe"


def test_upgrade_keeps_existing_rows_on_sqlite(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    migrate.upgrade(engine, FIRST)
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO user_account (id, username, email, password_hash, role, is_enabled, session_nonce, nom,"
            " prenom, created_at) VALUES (1, 'camille', 'c@example.test', 'x', 'famille', 1, 'n', 'M', 'C',"
            " '2026-01-01 00:00:00')"
        ))
        connection.execute(text(
            "INSERT INTO process_definition (id, key, version, title, description, bpmn_xml, sha256, author,"
            " created_at, is_published) VALUES (1, 'd', 1, 'D', '', '<x/>', 'h', 'a', '2026-01-01 00:00:00', 1)"
        ))
        connection.execute(text(
            "INSERT INTO process_instance (id, reference, definition_id, requester_id, status, status_label,"
            " serialization, data_summary, created_at, updated_at, lock_version) VALUES (1, 'DEM-1', 1, 1,"
            " 'running', 'En cours', '{}', '{}', '2026-01-01 00:00:00', '2026-01-01 00:00:00', 1)"
        ))
        connection.execute(text(
            "INSERT INTO human_task (id, instance_id, spiff_task_id, task_name, title, form_key, lane,"
            " status_label, state, requester_id, created_at) VALUES (1, 1, 'u', 't', 'T', 'f', 'Famille', '',"
            " 'open', 1, '2026-01-01 00:00:00')"
        ))
    migrate.upgrade(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM human_task")).scalar_one() == 1
        assert connection.execute(text("SELECT reference FROM process_instance")).scalar_one() == "DEM-1"
        activated = connection.execute(text("SELECT activated_at, contact_prefere FROM user_account")).one()
        assert activated[0] is not None  # accounts that existed stay usable
        assert activated[1] == "courriel"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
    migrate.check(engine)
