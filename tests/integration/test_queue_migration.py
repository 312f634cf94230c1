"""Revision 5b7e3c1a9f20 on a database holding open tasks: the queue columns are filled."""

from __future__ import annotations

from sqlalchemy import text

from web import migrate
from web.extensions import make_engine

BEFORE = "d19fb6b8d935"
WHEN = "2026-01-01 00:00:00"


def test_existing_tasks_get_their_queue_columns(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    migrate.upgrade(engine, BEFORE)
    statements = [
        "INSERT INTO user_account (id, username, email, password_hash, role, is_enabled, session_nonce, nom,"
        " prenom, created_at, contact_prefere) VALUES (1, 'helene', 'h@example.test', 'x', 'famille', 1, 'n',"
        " 'Zola', 'Hélène', :when, 'courriel'), (2, 'agent', 'a@example.test', 'x', 'agent', 1, 'n', '', '',"
        " :when, 'courriel')",
        "INSERT INTO process_definition (id, key, version, title, description, bpmn_xml, sha256, author,"
        " created_at, is_published) VALUES (1, 'changement_adresse', 1, 'Changement', '', '<x/>', 'h', 'a',"
        " :when, 1)",
        "INSERT INTO process_instance (id, reference, definition_id, requester_id, status, status_label,"
        " serialization, data_summary, created_at, updated_at, lock_version) VALUES (1, 'DEM-2026-000001', 1,"
        " 1, 'running', 'En cours', '{}', '{}', :when, :when, 1)",
        "INSERT INTO human_task (id, instance_id, spiff_task_id, task_name, title, form_key, lane,"
        " status_label, state, requester_id, assignee_id, created_at)"
        " VALUES (1, 1, 'u', 't', 'T', 'f', 'Accueil', 'En cours', 'open', 1, 2, :when)",
    ]
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement), {"when": WHEN})
    migrate.upgrade(engine)
    with engine.connect() as connection:
        task = connection.execute(
            text("SELECT demarche_key, requester_name, search_text, assignee_name FROM human_task")
        ).one()
        assert tuple(task) == ("changement_adresse", "Hélène Zola", "dem-2026-000001 helene zola", "agent")
        name = connection.execute(text("SELECT requester_name FROM process_instance")).scalar_one()
        assert name == "Hélène Zola"
        assert connection.execute(text("SELECT count(*) FROM saved_filter")).scalar_one() == 0
    migrate.check(engine)
