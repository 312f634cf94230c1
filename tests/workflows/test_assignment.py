"""engine.assignment through engine.api: claim, release, assign, bulk claim, and the queues' SQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from engine import api
from engine.db import utcnow
from engine.errors import Conflict, NotAllowed, NotFound
from engine.models import HistoryEvent, HumanTask, HumanTaskState, ProcessInstance, Visibility

pytestmark = pytest.mark.usefixtures("clock")  # closed tasks around « now »

ADDRESS = {
    "adresse_ligne1": "12 rue de la Mairie",
    "adresse_ligne2": "",
    "code_postal": "78140",
    "commune": "Vélizy-Villacoublay",
}


def file_request(session, family) -> HumanTask:
    """A changement d'adresse waiting for Accueil; returns its agent task."""
    instance = api.start(session, "changement_adresse", family)
    (own,) = [t for t in api.tasks_for(session, family) if t.instance_id == instance.id]
    api.complete(session, own.id, family, ADDRESS)
    session.commit()
    return session.execute(
        select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.state == HumanTaskState.OPEN)
    ).scalar_one()


def internal_labels(session, instance_id) -> list[str]:
    return list(
        session.execute(
            select(HistoryEvent.label)
            .where(
                HistoryEvent.instance_id == instance_id,
                HistoryEvent.visibility == Visibility.INTERNAL,
                HistoryEvent.event_type.in_(["task_claimed", "task_released", "task_assigned"]),
            )
            .order_by(HistoryEvent.id)
        ).scalars()
    )


def test_the_task_row_carries_what_the_queues_search_and_sort(session, people):
    task = file_request(session, people["famille"])
    instance = session.get(ProcessInstance, task.instance_id)
    assert instance.requester_name == "Camille Martin"
    assert task.requester_name == "Camille Martin"
    assert task.demarche_key == "changement_adresse"
    assert task.search_text == f"{instance.reference.lower()} camille martin"
    assert task.due_at == instance.deadline_at is not None
    assert (task.assignee_id, task.assignee_name, task.claimed_at) == (None, None, None)


def test_claim_then_release_writes_one_internal_entry_each(session, people):
    agent = people["accueil"]
    task = file_request(session, people["famille"])
    version = session.get(ProcessInstance, task.instance_id).lock_version

    api.claim(session, task.id, agent)
    session.commit()
    session.expire_all()
    stored = session.get(HumanTask, task.id)
    assert (stored.assignee_id, stored.assignee_name) == (agent.id, "Alex Durand")
    assert stored.claimed_at is not None
    assert session.get(ProcessInstance, task.instance_id).lock_version == version + 1

    with pytest.raises(Conflict, match="déjà pris en charge"):
        api.claim(session, task.id, agent)  # a double click: no second entry
    session.rollback()

    api.release(session, task.id, agent)
    session.commit()
    session.expire_all()
    assert session.get(HumanTask, task.id).assignee_id is None
    assert internal_labels(session, task.instance_id) == [
        "Prise en charge par Alex Durand",
        "Remise dans la file par Alex Durand",
    ]
    # Agents only: the family's timeline shows none of it.
    public = api.history(session, session.get(ProcessInstance, task.instance_id))
    assert not [e for e in public if "charge" in e.label or "file" in e.label]


def test_a_colleague_cannot_claim_release_or_complete_a_taken_task(session, people):
    task = file_request(session, people["famille"])
    api.claim(session, task.id, people["accueil"])
    session.commit()

    with pytest.raises(Conflict, match="déjà prise en charge par Alex Durand"):
        api.claim(session, task.id, people["accueil2"])
    session.rollback()
    with pytest.raises(NotAllowed, match="seule cette personne"):
        api.release(session, task.id, people["accueil2"])
    session.rollback()
    with pytest.raises(Conflict, match="prise en charge par Alex Durand"):
        api.complete(session, task.id, people["accueil2"], {"decision": "acceptee"})
    session.rollback()
    session.expire_all()
    assert session.get(HumanTask, task.id).state == HumanTaskState.OPEN
    assert internal_labels(session, task.instance_id) == ["Prise en charge par Alex Durand"]

    api.complete(session, task.id, people["accueil"], {"decision": "acceptee"})  # the holder may
    session.commit()
    with pytest.raises(Conflict, match="déjà été traitée"):
        api.claim(session, task.id, people["accueil2"])
    session.rollback()


def test_assign_to_a_colleague_and_take_over(session, people):
    task = file_request(session, people["famille"])
    alex, sam = people["accueil"], people["accueil2"]
    api.assign(session, task.id, alex, sam, expected_assignee_id=None)
    session.commit()
    api.assign(session, task.id, alex, alex, expected_assignee_id=sam.id)  # taking it over
    session.commit()
    assert internal_labels(session, task.instance_id) == [
        "Attribuée à Sam Moreau par Alex Durand",
        "Attribuée à Alex Durand par Alex Durand",
    ]
    with pytest.raises(Conflict, match="déjà attribuée à Alex Durand"):
        api.assign(session, task.id, sam, alex)
    session.rollback()


def test_assign_refuses_outsiders_and_stale_pages(session, people):
    task = file_request(session, people["famille"])
    alex, sam = people["accueil"], people["accueil2"]
    before = session.execute(select(func.count()).select_from(HistoryEvent)).scalar_one()
    with pytest.raises(NotAllowed, match="ne fait pas partie du service Accueil"):
        api.assign(session, task.id, alex, people["etat_civil"])
    session.rollback()
    with pytest.raises(NotAllowed, match="ne fait pas partie du service Accueil"):
        api.assign(session, task.id, alex, people["famille"])
    session.rollback()

    api.claim(session, task.id, sam)
    session.commit()
    # Alex's page was loaded when nobody held the task.
    with pytest.raises(Conflict, match="maintenant prise en charge par Sam Moreau"):
        api.assign(session, task.id, alex, alex, expected_assignee_id=None)
    session.rollback()
    session.expire_all()
    assert session.get(HumanTask, task.id).assignee_id == sam.id
    after = session.execute(select(func.count()).select_from(HistoryEvent)).scalar_one()
    assert after == before + 1  # Sam's claim only


def test_forged_ids_and_other_services(session, people):
    task = file_request(session, people["famille"])
    with pytest.raises(NotFound):
        api.claim(session, 999_999, people["accueil"])
    with pytest.raises(NotFound):  # another service's task: its existence is not revealed
        api.claim(session, task.id, people["etat_civil"])
    with pytest.raises(NotFound):
        api.claim(session, task.id, people["famille"])  # families have no claim
    family_task = session.execute(
        select(HumanTask).where(HumanTask.instance_id == task.instance_id, HumanTask.lane == "Famille")
    ).scalar_one()
    with pytest.raises(NotFound):
        api.claim(session, family_task.id, people["accueil"])
    session.rollback()


def test_bulk_claim_reports_what_it_could_not_take(session, people):
    tasks = [file_request(session, people["famille"]) for _ in range(3)]
    api.claim(session, tasks[1].id, people["accueil2"])
    session.commit()
    result = api.bulk_claim(session, [t.id for t in tasks] + [999_999], people["accueil"])
    session.commit()
    assert result.claimed == [tasks[0].id, tasks[2].id]
    assert [task_id for task_id, _ in result.refused] == [999_999, tasks[1].id]
    messages = dict(result.refused)
    assert "Sam Moreau" in messages[tasks[1].id]
    assert messages[999_999] == "Cette tâche n'existe pas."
    for task in tasks:
        assert len(internal_labels(session, task.instance_id)) == 1


# The queues' SQL ---------------------------------------------------------------------------------


def query(agent, **kwargs):
    return api.QueueQuery(lanes=agent.groups, agent_id=agent.id, **kwargs)


def test_queue_filters_search_sort_and_pages(session, people, make_user):
    hélène = make_user("famille", prenom="Hélène", nom="Zola")
    tasks = [file_request(session, people["famille"]) for _ in range(3)] + [file_request(session, hélène)]
    agent, colleague = people["accueil"], people["accueil2"]
    api.claim(session, tasks[0].id, agent)
    api.claim(session, tasks[1].id, colleague)
    late = session.get(HumanTask, tasks[2].id)
    late.due_at = utcnow() - timedelta(days=1)
    session.commit()

    def ids(**kwargs):
        return [row.id for row in api.queue_page(session, query(agent, **kwargs)).rows]

    every = [t.id for t in tasks]
    assert ids() == every  # oldest first
    assert ids(descending=True) == every[::-1]
    assert ids(assignment=api.Assignment.ME) == [tasks[0].id]
    assert ids(assignment=api.Assignment.NOBODY) == [tasks[2].id, tasks[3].id]
    assert ids(assignment=api.Assignment.COLLEAGUE) == [tasks[1].id]
    assert ids(overdue=True) == [tasks[2].id]
    assert ids(text="helene") == [tasks[3].id]  # accents and case ignored
    assert ids(text="ZOLA hél") == [tasks[3].id]
    reference = session.get(ProcessInstance, tasks[1].instance_id).reference
    assert ids(text=reference) == [tasks[1].id]
    assert ids(text="100%_") == []  # LIKE wildcards are literal
    assert ids(demarche="changement_adresse") == every
    assert ids(demarche="autre") == []
    assert ids(sort=api.SortKey.FAMILLE) == [*every[:3], tasks[3].id]
    assert ids(sort=api.SortKey.FAMILLE, descending=True) == [tasks[3].id, *every[:3][::-1]]
    # Échéance: the overdue one first.
    assert ids(sort=api.SortKey.ECHEANCE)[0] == tasks[2].id
    # Attribuée à: nobody's first (NULLs first ascending, SQLite's order, also on PostgreSQL), then
    # Alex, Sam; descending is the exact reverse.
    by_assignee = [tasks[2].id, tasks[3].id, tasks[0].id, tasks[1].id]
    assert ids(sort=api.SortKey.ATTRIBUEE) == by_assignee
    assert ids(sort=api.SortKey.ATTRIBUEE, descending=True) == by_assignee[::-1]
    # A search sorts among its matches (materialised CTE), in the same order.
    assert ids(text="dem", sort=api.SortKey.ATTRIBUEE) == by_assignee
    assert ids(text="dem", sort=api.SortKey.ATTRIBUEE, descending=True) == by_assignee[::-1]
    assert api.queue_page(session, query(agent, text="dem", per_page=3, page=2)).rows[0].id == tasks[3].id
    past_the_end = api.queue_page(session, query(agent, text="dem", per_page=3, page=99))
    assert (past_the_end.page, past_the_end.total, [r.id for r in past_the_end.rows]) == (2, 4, [tasks[3].id])
    assert api.queue_page(session, query(agent, text="personne-inconnue")).total == 0

    page = api.queue_page(session, query(agent, per_page=3, page=2))
    assert ([r.id for r in page.rows], page.total, page.pages) == ([tasks[3].id], 4, 2)
    assert api.queue_page(session, query(agent, per_page=3, page=99)).page == 2  # clamped
    row = api.queue_page(session, query(agent, text="zola")).rows[0]
    assert (row.requester_name, row.demarche_title) == ("Hélène Zola", "Changement d'adresses postales")
    assert row.reference.startswith("DEM-")

    assert api.queue_counts(session, agent.groups, agent.id) == {"Accueil": 4, "": 1}
    assert api.queue_page(session, query(people["etat_civil"])).total == 0


@pytest.mark.parametrize(
    ("sort", "descending"),
    [(key, d) for key in api.SortKey for d in (False, True)],
)
def test_next_and_previous_walk_the_sorted_queue(session, people, make_user, sort, descending):
    families = [make_user("famille", nom=name) for name in ("Blanc", "Blanc", "Arnaud", "Durand")]
    tasks = [file_request(session, family) for family in families]
    api.claim(session, tasks[2].id, people["accueil2"])
    session.get(HumanTask, tasks[0].id).due_at = None  # a démarche without maximum duration
    session.commit()
    q = query(people["accueil"], sort=sort, descending=descending)
    order = [row.id for row in api.queue_page(session, q).rows]
    assert sorted(order) == sorted(t.id for t in tasks)
    for position, task_id in enumerate(order):
        following = order[position + 1] if position + 1 < len(order) else None
        preceding = order[position - 1] if position > 0 else None
        assert api.neighbour(session, q, task_id, forward=True) == following, (position, order)
        assert api.neighbour(session, q, task_id, forward=False) == preceding, (position, order)


def test_next_still_works_once_the_task_has_left_the_queue(session, people):
    tasks = [file_request(session, people["famille"]) for _ in range(3)]
    agent = people["accueil"]
    api.complete(session, tasks[1].id, agent, {"decision": "acceptee"})
    session.commit()
    q = query(agent)
    assert api.neighbour(session, q, tasks[1].id) == tasks[2].id
    assert api.neighbour(session, q, tasks[1].id, forward=False) == tasks[0].id
    assert api.neighbour(session, q, 999_999) is None


def test_closed_requests_of_my_services_in_a_period(session, people):
    tasks = [file_request(session, people["famille"]) for _ in range(2)]
    api.complete(session, tasks[0].id, people["accueil"], {"decision": "acceptee"})
    session.commit()
    now = utcnow()
    rows = list(
        api.iter_closed(session, people["accueil"].groups, now - timedelta(days=1), now + timedelta(1))
    )
    assert [r.id for r in rows] == [tasks[0].instance_id]
    assert rows[0].status_label == "Acceptée"
    assert rows[0].requester_name == "Camille Martin"
    assert (
        list(api.iter_closed(session, people["etat_civil"].groups, now - timedelta(1), now + timedelta(1)))
        == []
    )
    assert (
        list(api.iter_closed(session, people["accueil"].groups, now + timedelta(1), now + timedelta(2))) == []
    )
