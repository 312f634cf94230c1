"""engine.api.cancel: a family withdraws its own running request."""

from __future__ import annotations

import pytest
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from engine import api
from engine.errors import Conflict, NotAllowed, NotFound
from engine.execution import open_workflow
from engine.instances import start as live_start  # the row itself: these tests read it as it changes
from engine.models import HumanTask, HumanTaskState, InstanceStatus, ProcessInstance, Visibility

ADDRESS = {
    "adresse_ligne1": "12 rue de la Mairie",
    "adresse_ligne2": "",
    "code_postal": "78140",
    "commune": "Vélizy-Villacoublay",
}
REASON = "Je reste finalement à mon adresse actuelle."


@pytest.fixture
def people(make_user):
    return {
        "famille": make_user("famille"),
        "autre_famille": make_user("famille"),
        "accueil": make_user("agent", groups=["Accueil"]),
    }


def submit(session, family):
    instance = live_start(session, "changement_adresse", family)
    (task,) = api.tasks_for(session, family)
    api.complete(session, task.id, family, ADDRESS)
    session.commit()
    return instance


def task_states(session, instance_id):
    return session.execute(
        select(HumanTask.lane, HumanTask.state)
        .where(HumanTask.instance_id == instance_id)
        .order_by(HumanTask.id)
    ).all()


def test_the_family_cancels_its_running_request(session, people):
    family = people["famille"]
    instance = submit(session, family)
    assert api.queue_for(session, people["accueil"].groups)[1] == 1
    assert ("Accueil", HumanTaskState.OPEN) in task_states(session, instance.id)

    api.cancel(session, instance.id, family, f"  {REASON}  ")
    session.commit()
    session.expire_all()

    stored = session.get(ProcessInstance, instance.id)
    assert stored.status == InstanceStatus.CANCELLED
    assert stored.status_label == "Annulée"
    assert stored.completed_at is not None
    assert stored.next_timer_at is None
    # The agent's task is closed as cancelled and leaves the queue.
    assert [state for _, state in task_states(session, instance.id)] == [
        HumanTaskState.COMPLETED,
        HumanTaskState.CANCELLED,
    ]
    assert api.queue_for(session, people["accueil"].groups)[1] == 0
    # The family sees the cancellation, with its reason, in the public timeline.
    last = api.history(session, stored)[-1]
    assert (last.event_type, last.label, last.comment, last.actor_role, last.visibility) == (
        "instance_cancelled",
        "Demande annulée par la famille",
        REASON,
        "Famille",
        Visibility.PUBLIC,
    )
    # The workflow itself is cancelled: no task is left to run.
    workflow = open_workflow(session, stored, family)
    assert workflow.is_completed()
    assert workflow.get_tasks(state=TaskState.READY) == []


def test_a_cancellation_without_reason_has_no_comment(session, people):
    instance = live_start(session, "changement_adresse", people["famille"])
    session.commit()
    api.cancel(session, instance.id, people["famille"], "   ")
    session.commit()
    last = api.history(session, instance)[-1]
    assert last.label == "Demande annulée par la famille"
    assert last.comment is None
    # The family's own open task (the address form) is cancelled too.
    assert api.tasks_for(session, people["famille"]) == []


def test_only_the_requester_may_cancel(session, people):
    instance = submit(session, people["famille"])
    with pytest.raises(NotFound):
        api.cancel(session, instance.id, people["autre_famille"], None)
    session.rollback()
    with pytest.raises(NotAllowed):
        api.cancel(session, instance.id, people["accueil"], None)
    session.rollback()
    with pytest.raises(NotFound):
        api.cancel(session, 999_999, people["famille"], None)
    session.rollback()
    session.expire_all()
    assert session.get(ProcessInstance, instance.id).status == InstanceStatus.RUNNING
    assert api.queue_for(session, people["accueil"].groups)[1] == 1


def test_a_request_that_is_no_longer_running_cannot_be_cancelled(session, people):
    instance = submit(session, people["famille"])
    (task,), _ = api.queue_for(session, people["accueil"].groups)
    api.complete(session, task.id, people["accueil"], {"decision": "acceptee"})
    session.commit()
    assert instance.status == InstanceStatus.COMPLETED
    with pytest.raises(Conflict):
        api.cancel(session, instance.id, people["famille"], REASON)
    session.rollback()
    assert [e.label for e in api.history(session, instance)][-1] != "Demande annulée par la famille"

    other = submit(session, people["famille"])
    api.cancel(session, other.id, people["famille"], None)
    session.commit()
    with pytest.raises(Conflict):
        api.cancel(session, other.id, people["famille"], None)
    session.rollback()
