"""A family's submission and an agent's decision each deserialise the workflow once (issue 9, point 5).

The count is of `engine.runtime.load_workflow` calls during one HTTP request, through the real
views, the real SQLite database and the real serializer; the task page reads the workflow and the
submission runs the same object instead of deserialising the stored document a second time.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

import engine.execution
from engine.models import HumanTask, HumanTaskState
from tests.fixtures.app import csrf_token
from tests.fixtures.integration import start_demarche
from web.extensions import db


@contextmanager
def counted_loads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The deserialisations made in the block (the first bytes of each document read)."""
    loads: list[str] = []
    real = engine.execution.load_workflow

    def counting(bundle: Any, document: str, script_engine: Any) -> Any:
        loads.append(document[:20])
        return real(bundle, document, script_engine)

    with monkeypatch.context() as patch:
        patch.setattr(engine.execution, "load_workflow", counting)
        yield loads


def open_task(app: Any, instance_id: int) -> HumanTask:
    with app.app_context():
        return db.session.query(HumanTask).filter_by(instance_id=instance_id, state=HumanTaskState.OPEN).one()


def test_a_submission_and_a_decision_load_the_workflow_once(app, people, client_for, monkeypatch):
    famille = client_for(people["famille"])
    task_id = start_demarche(famille, "changement_telephone")
    page = f"/taches/{task_id}"
    token = csrf_token(famille, page)  # the GET of the page: a read, outside the count
    with counted_loads(monkeypatch) as loads:
        sent = famille.post(page, data={"telephone": "01 23 45 67 89", "mobile": "", "csrf_token": token})
    assert sent.status_code == 302
    assert len(loads) == 1

    with app.app_context():
        instance_id = db.session.get(HumanTask, task_id).instance_id
    agent_task = open_task(app, instance_id)
    assert agent_task.lane == "Accueil"
    accueil = client_for(people["accueil"])
    page = f"/taches/{agent_task.id}"
    token = csrf_token(accueil, page)  # the dossier page (GET), outside the count
    decision = {"decision": "acceptee", "motif": "", "commentaire_interne": "", "csrf_token": token}
    with counted_loads(monkeypatch) as loads:
        decided = accueil.post(page, data=decision)
    assert decided.status_code == 302
    assert len(loads) == 1
    with app.app_context():
        assert db.session.get(HumanTask, agent_task.id).state == HumanTaskState.COMPLETED


def test_a_failed_step_does_not_leave_its_workflow_for_the_next_read(app, people, client_for, monkeypatch):
    """A refused form (400) reads the workflow once; sending it again reads the stored document again."""
    famille = client_for(people["famille"])
    task_id = start_demarche(famille, "changement_telephone")
    page = f"/taches/{task_id}"
    token = csrf_token(famille, page)
    with counted_loads(monkeypatch) as loads:
        refused = famille.post(page, data={"telephone": "", "mobile": "", "csrf_token": token})
        sent = famille.post(page, data={"telephone": "01 23 45 67 89", "mobile": "", "csrf_token": token})
    assert (refused.status_code, sent.status_code) == (400, 302)
    assert len(loads) == 2  # one per request: nothing is kept from one request to the next
