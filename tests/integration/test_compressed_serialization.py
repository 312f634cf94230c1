"""An instance's SpiffWorkflow document is stored compressed in SQLite, plain in PostgreSQL (TOAST).

engine.db.CompressedText: the reader always gets the JSON text; rows written before the change (plain
text in the same TEXT column) are still read, and the next save compresses them.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text

from engine.models import HumanTask, HumanTaskState, ProcessInstance
from tests.fixtures.integration import decide, post_form, start_demarche
from tests.fixtures.integration import text as page_text
from web.extensions import db

pytestmark = pytest.mark.usefixtures("clock")  # the day of the démarches' deadlines and plans is fixed


def _stored(instance_id: int) -> tuple[str, int]:
    row = db.session.execute(
        text("SELECT typeof(serialization), length(serialization) FROM process_instance WHERE id = :i"),
        {"i": instance_id},
    ).one()
    return row[0], row[1]


def _started(app, famille) -> tuple[int, int, str]:  # type: ignore[no-untyped-def]
    """A telephone change started by the family: its task, its instance and the instance's document."""
    task_id = start_demarche(famille, "changement_telephone")
    with app.app_context():
        instance_id = db.session.get(HumanTask, task_id).instance_id
        return task_id, instance_id, db.session.get(ProcessInstance, instance_id).serialization


def test_a_started_demarche_is_stored_compressed_and_read_back_as_json(app, people, client_for):
    _, instance_id, document = _started(app, client_for(people["famille"]))
    with app.app_context():
        assert json.loads(document)["typename"] == "BpmnWorkflow"
        if db.engine.dialect.name == "sqlite":
            kind, size = _stored(instance_id)
            assert kind == "blob"
            assert size * 3 < len(document.encode("utf-8"))  # ≈ 5 × smaller for this document
        else:  # PostgreSQL compresses long text itself
            stored = db.session.execute(
                text("SELECT serialization FROM process_instance WHERE id = :i"), {"i": instance_id}
            ).scalar_one()
            assert stored == document


def test_a_row_written_as_plain_text_before_is_read_and_recompressed(app, people, client_for):
    famille = client_for(people["famille"])
    task_id, instance_id, document = _started(app, famille)
    with app.app_context():
        # As a row written by an earlier Guichet: the JSON as plain text.
        db.session.execute(
            text("UPDATE process_instance SET serialization = :doc WHERE id = :i"),
            {"doc": document, "i": instance_id},
        )
        db.session.commit()
        db.session.expire_all()
        assert db.session.get(ProcessInstance, instance_id).serialization == document
    sent = post_form(famille, f"/taches/{task_id}", {"telephone": "01 23 45 67 89", "mobile": ""})
    assert sent.status_code == 302, page_text(sent)
    with app.app_context():
        agent_task_id = db.session.execute(
            select(HumanTask.id).where(
                HumanTask.instance_id == instance_id, HumanTask.state == HumanTaskState.OPEN
            )
        ).scalar_one()
    assert decide(client_for(people["accueil"]), agent_task_id, "acceptee").status_code == 302
    with app.app_context():
        instance = db.session.execute(
            select(ProcessInstance).where(ProcessInstance.id == instance_id)
        ).scalar_one()
        assert instance.status_label == "Acceptée"
        if db.engine.dialect.name == "sqlite":
            assert _stored(instance_id)[0] == "blob"
