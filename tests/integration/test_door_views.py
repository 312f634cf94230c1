"""The door's views: snapshots that cost no query, that a later door call takes back without a
second read, and that say nothing of another family's request."""

from __future__ import annotations

import gc
from dataclasses import FrozenInstanceError

import pytest

from engine import api
from engine.errors import NotFound
from tests.fixtures.work import statements

PHONES = {"telephone": "+33123456789", "mobile": "+33612345678"}


@pytest.fixture
def filed(app, session, make_user):
    """A « Changement de téléphones » sent by a family, waiting for the Accueil agent (committed)."""
    family = make_user("famille")
    agent = make_user("agent", groups=["Accueil"])
    instance = api.start(session, "changement_telephone", family)
    (task,) = api.tasks_for(session, family)
    api.complete(session, task.id, family, dict(PHONES))
    session.commit()
    session.close()
    return family, agent, instance.id


def test_a_view_is_frozen_and_carries_its_demarche(session, filed):
    family, _, instance_id = filed
    view = api.get_instance(session, instance_id, family)
    assert (view.definition.key, view.definition.title) == (
        "changement_telephone",
        "Changement de téléphones",
    )
    assert view.status_label == "En cours d'instruction"
    assert view.reference.startswith("DEM-")
    with pytest.raises(FrozenInstanceError):
        view.status_label = "Acceptée"  # type: ignore[misc]


def test_a_view_given_back_to_the_door_is_not_read_again(app, session, filed):
    _, agent, instance_id = filed
    view = api.get_instance(session, instance_id, agent)
    gc.collect()  # the row would leave the identity map here if the session did not keep it
    with statements(app) as seen:
        api.reread(session, view)
        api.bpmn_of(session, view)
    assert seen == []
    with statements(app) as seen:
        tasks = api.open_tasks(session, view)
    assert len(seen) == 1  # the inbox rows only, not the request again
    assert [(t.lane, t.reference, t.demarche_key) for t in tasks] == [
        ("Accueil", view.reference, "changement_telephone")
    ]


def test_after_a_decision_the_old_view_is_a_snapshot_and_reread_gives_the_new_state(session, filed):
    _, agent, instance_id = filed
    before = api.get_instance(session, instance_id, agent)
    (task,) = api.open_tasks(session, before)
    api.complete(session, task.id, agent, {"decision": "acceptee"})
    assert before.status_label == "En cours d'instruction"
    assert api.reread(session, before).status_label == "Acceptée"


def test_another_family_gets_no_view(session, filed, make_user):
    _, _, instance_id = filed
    with pytest.raises(NotFound):
        api.get_instance(session, instance_id, make_user("famille"))
