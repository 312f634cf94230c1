"""Scenario tests of workflows/signaler_probleme.bpmn through engine.api, lane by lane."""

from __future__ import annotations

import pytest

from engine import api
from engine.errors import NotAllowed, NotFound
from engine.instances import start as live_start  # the row itself: these tests read it as it changes
from engine.models import InstanceStatus

REPORT = {
    "categorie": "Connexion au compte famille",
    "objet": "Pas de courriel d'activation",
    "description": "Rien reçu.",
}


@pytest.fixture
def people(make_user):
    return {
        "famille": make_user("famille"),
        "autre_famille": make_user("famille"),
        "accueil": make_user("agent", groups=["Accueil"]),
        "etat_civil": make_user("agent", groups=["Etat civil"]),
    }


def file_report(session, family):
    instance = live_start(session, "signaler_probleme", family)
    (task,) = api.tasks_for(session, family)
    assert (task.form_key, task.lane) == ("signaler_probleme.saisie", "Famille")
    api.complete(session, task.id, family, dict(REPORT))
    return instance


def test_definition_is_not_in_the_catalogue_and_has_a_maximum_duration(session):
    definition = api.latest_definition(session, "signaler_probleme")
    assert definition.title == "Signaler un problème"
    assert definition.max_duration == "P5D"
    assert "signaler_probleme" not in {d.key for r in _listed(session) for d in r.entries}


def _listed(session):

    return api.catalogue_rubriques(session)


@pytest.mark.parametrize(
    ("issue", "status"), [("resolu", "Réponse envoyée"), ("transmis", "Transmis au service concerné")]
)
def test_accueil_answers_and_the_family_reads_the_answer(session, people, issue, status):
    family, agent = people["famille"], people["accueil"]
    instance = file_report(session, family)
    assert instance.status_label == "Transmis au service Accueil"
    tasks, total = api.queue_for(session, agent.groups)
    assert total == 1
    task = tasks[0]
    assert (task.form_key, task.lane) == ("signaler_probleme.reponse", "Accueil")
    # Wrong lane: the family, another service, another family.
    with pytest.raises(NotFound):  # a family does not even see an agents' task
        api.complete(session, task.id, family, {"decision": issue, "reponse": "x"})
    with pytest.raises(NotFound):  # nor another service: it does not learn that the task exists
        api.complete(session, task.id, people["etat_civil"], {"decision": issue, "reponse": "x"})
    with pytest.raises((NotAllowed, NotFound)):
        api.get_instance(session, instance.id, people["autre_famille"])
    api.complete(
        session, task.id, agent, {"decision": issue, "reponse": "Le courriel est renvoyé."},
        public_comment="Le courriel est renvoyé.",
    )  # fmt: skip
    session.refresh(instance)
    assert instance.status == InstanceStatus.COMPLETED
    assert instance.status_label == status
    public = api.history(session, instance)
    assert [e.label for e in public if e.event_type == "status_changed"][-1] == status
    assert any(e.comment == "Le courriel est renvoyé." for e in public)
