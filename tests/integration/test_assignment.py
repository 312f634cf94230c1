"""Automatic assignment per group (aucune / tour de rôle / moins chargé) and agents' absences."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from engine.autoassign import Candidate, Policy, pick
from engine.models import HistoryEvent, HumanTask, HumanTaskState
from tests.fixtures.integration import file_address_change, html, post_form, text
from web.accounts.models import AgentGroup, User
from web.admin import services
from web.admin.models import AbsenceMode
from web.extensions import db

pytestmark = pytest.mark.usefixtures("clock")  # absences start « today »


@pytest.fixture
def accueil_policy(app) -> Iterator[Callable[[str], None]]:
    """Set the Accueil group's policy for one test (agent groups outlive the tests)."""

    def set_policy(policy: str) -> None:
        with app.app_context():
            db.session.execute(
                update(AgentGroup).where(AgentGroup.name == "Accueil").values(assignment_policy=policy)
            )
            db.session.commit()

    yield set_policy
    set_policy("aucune")


def assignee_of(app, task_id: int) -> int | None:
    with app.app_context():
        return db.session.get(HumanTask, task_id).assignee_id


def internal_labels(app, instance_id: int) -> list[str]:
    with app.app_context():
        return list(
            db.session.execute(
                select(HistoryEvent.label)
                .where(HistoryEvent.instance_id == instance_id, HistoryEvent.visibility == "internal")
                .order_by(HistoryEvent.id)
            ).scalars()
        )


def test_pick_round_robin_and_least_loaded():
    a, b, c = Candidate(3, "A"), Candidate(7, "B"), Candidate(9, "C")
    assert pick(Policy.NONE, [a, b], last=None, loads={}) is None
    assert pick(Policy.ROUND_ROBIN, [], last=None, loads={}) is None
    assert pick(Policy.ROUND_ROBIN, [b, a, c], last=None, loads={}) == a
    assert pick(Policy.ROUND_ROBIN, [b, a, c], last=3, loads={}) == b
    assert pick(Policy.ROUND_ROBIN, [b, a, c], last=9, loads={}) == a  # wraps around
    assert pick(Policy.ROUND_ROBIN, [a, c], last=7, loads={}) == c  # the last one left the group
    assert pick(Policy.LEAST_LOADED, [a, b, c], last=None, loads={3: 2, 7: 1, 9: 1}) == b  # tie: lowest id
    assert pick(Policy.LEAST_LOADED, [a, b, c], last=None, loads={3: 0, 7: 1}) == a


def test_without_policy_tasks_wait_unassigned(app, people, client_for):
    people["accueil"]
    filed = file_address_change(app, client_for(people["famille"]))
    assert assignee_of(app, filed.agent_task_id) is None
    assert not any("attribuée" in label for label in internal_labels(app, filed.instance_id))


def test_round_robin_skips_absent_and_disabled_agents(app, people, client_for, accueil_policy):
    first, second = people["accueil"], people["accueil2"]
    away = people.make_user("agent", groups=["Accueil"], prenom="Ali", nom="Absent")
    off = people.make_user("agent", groups=["Accueil"], prenom="Eve", nom="Inactive")
    with app.app_context():
        session = db.session()
        services.mark_absent(session, session.get(User, away.id), actor=session.get(User, first.id))
        services.set_enabled(session, session.get(User, off.id), False)
        session.commit()
    accueil_policy("tour_de_role")
    famille = client_for(people["famille"])
    filed = [file_address_change(app, famille) for _ in range(3)]
    assignees = [assignee_of(app, f.agent_task_id) for f in filed]
    assert assignees == [first.id, second.id, first.id]
    labels = internal_labels(app, filed[1].instance_id)
    assert f"« Instruire la demande » attribuée automatiquement à {second.display_name}" in labels
    # The assigned agent's name is in the dossier's timeline, never on the family's page.
    agent = client_for(second)
    assert "attribuée automatiquement" in text(agent.get(f"/agents/dossiers/{filed[1].instance_id}"))
    assert "attribuée" not in text(famille.get(f"/mes-demandes/{filed[1].instance_id}"))


def test_least_loaded_counts_open_assigned_tasks(app, people, client_for, accueil_policy):
    first, second = people["accueil"], people["accueil2"]
    famille = client_for(people["famille"])
    accueil_policy("aucune")
    backlog = [file_address_change(app, famille) for _ in range(2)]
    with app.app_context():
        db.session.execute(
            update(HumanTask)
            .where(HumanTask.id.in_([f.agent_task_id for f in backlog]))
            .values(assignee_id=first.id)
        )
        db.session.commit()
    accueil_policy("moins_charge")
    new = [file_address_change(app, famille) for _ in range(3)]
    # second has 0, then 1, then 2 against first's 2: ties go to the lowest id (first).
    assert [assignee_of(app, f.agent_task_id) for f in new] == [second.id, second.id, first.id]


def test_absence_returns_tasks_to_the_group_or_to_a_colleague(app, people, client_for, accueil_policy):
    first, second = people["accueil"], people["accueil2"]
    accueil_policy("tour_de_role")
    famille = client_for(people["famille"])
    filed = [file_address_change(app, famille) for _ in range(4)]
    mine = [f for f in filed if assignee_of(app, f.agent_task_id) == first.id]
    assert len(mine) == 2
    # The agent marks themself absent on « Mes absences », delegating to a colleague of Accueil.
    client = client_for(first)
    response = post_form(client, "/agents/absences", {"mode": "collegue", "delegate": str(second.id)})
    assert response.status_code == 302, text(response)[:600]
    assert "2 tâches déplacées" in text(client.get("/agents/absences"))
    assert [assignee_of(app, f.agent_task_id) for f in mine] == [second.id, second.id]
    label = internal_labels(app, mine[0].instance_id)[-1]
    assert (
        label == f"« Instruire la demande » confiée à {second.display_name} : absence de {first.display_name}"
    )
    # While away, new tasks skip them.
    later = [file_address_change(app, famille) for _ in range(2)]
    assert {assignee_of(app, f.agent_task_id) for f in later} == {second.id}
    # Back at work, then away again « return my tasks to the group »: the tasks go to the queue.
    assert post_form(client, "/agents/absences", {}, action="/agents/absences/retour").status_code == 302
    with app.app_context():
        db.session.execute(
            update(HumanTask).where(HumanTask.id == later[0].agent_task_id).values(assignee_id=first.id)
        )
        db.session.commit()
    assert post_form(client, "/agents/absences", {"mode": "groupe"}).status_code == 302
    assert assignee_of(app, later[0].agent_task_id) is None
    assert internal_labels(app, later[0].instance_id)[-1] == (
        f"« Instruire la demande » remise dans la file du Service Accueil : absence de {first.display_name}"
    )


def test_absence_form_errors_are_french_and_keep_the_input(app, people, client_for):
    first = people["accueil"]
    people["etat_civil"]
    client = client_for(first)
    with app.app_context():
        yesterday = services.today() - timedelta(days=1)
    cases = [
        ({"mode": "vacances"}, "mode", "Choisissez ce que deviennent les tâches."),
        (
            {"mode": "collegue", "delegate": ""},
            "delegate",
            "Choisissez le collègue à qui confier les tâches.",
        ),
        (
            {"mode": "collegue", "delegate": str(people["etat_civil"].id)},
            "delegate",
            "Ce collègue n'appartient à aucun des services de l'agent absent.",
        ),
        (
            {"mode": "groupe", "ends_on": yesterday.isoformat()},
            "ends_on",
            "Le dernier jour d'absence est déjà passé.",
        ),
        ({"mode": "groupe", "starts_on": "31/02/2026"}, "starts_on", "Cette date n'est pas valable."),
        (
            {"mode": "groupe", "starts_on": "2030-01-10", "ends_on": "2030-01-05"},
            "ends_on",
            "Le dernier jour doit suivre le premier jour d'absence.",
        ),
    ]
    for data, field, message in cases:
        response = post_form(client, "/agents/absences", data)
        assert response.status_code == 400, data
        doc = html(response)
        assert doc.get_element_by_id(f"{field}-erreur").text_content().strip().startswith(message), data
    with app.app_context():
        assert services.current_absence(db.session(), first.id) is None


def test_a_future_absence_moves_the_tasks_on_its_first_day(app, people, client_for, accueil_policy):
    first = people["accueil"]
    people["accueil2"]
    accueil_policy("tour_de_role")
    filed = file_address_change(app, client_for(people["famille"]))
    assert assignee_of(app, filed.agent_task_id) == first.id
    with app.app_context():
        session = db.session()
        tomorrow = services.today() + timedelta(days=1)
        user = session.get(User, first.id)
        absence, moved = services.mark_absent(
            session, user, actor=user, starts_on=tomorrow, mode=AbsenceMode.GROUP
        )
        session.commit()
        assert moved == []
        assert services.start_due_absences(session) == 0  # not yet
        absence.starts_on = services.today()  # the first day has come
        session.commit()
        assert services.start_due_absences(session) == 1
        session.commit()
        assert services.start_due_absences(session) == 0  # once only
    assert assignee_of(app, filed.agent_task_id) is None
    with app.app_context():
        assert db.session.get(HumanTask, filed.agent_task_id).state == HumanTaskState.OPEN
