"""Claims under real concurrency: threads released together by a barrier, on SQLite and on the
real PostgreSQL of tests/fixtures/postgres.py. Each race has exactly one winner, the loser a clean
French Conflict (409 through the web), and the timeline exactly one entry."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from engine import api
from engine.errors import Conflict
from engine.models import HistoryEvent, HumanTask, HumanTaskState
from tests.fixtures.app import csrf_token, empty_tables, login
from tests.fixtures.integration import create_account, file_requests, text
from web.extensions import db

ROUNDS = 20


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def site(request, app):
    """(app, people) on SQLite or PostgreSQL; the tables are emptied around each PostgreSQL test."""
    if request.param == "sqlite":
        application = app
    else:
        application = request.getfixturevalue("pg_app_once")
        empty_tables(application)
    prefix = f"race-{request.param}"
    people = {
        "famille": create_account(
            application, "famille", username=f"{prefix}-famille", prenom="Camille", nom="Martin"
        ),
        "alex": create_account(
            application, "agent", username=f"{prefix}-alex", groups=("Accueil",), prenom="Alex", nom="Durand"
        ),
        "sam": create_account(
            application, "agent", username=f"{prefix}-sam", groups=("Accueil",), prenom="Sam", nom="Moreau"
        ),
    }
    yield application, people
    if request.param == "postgresql":
        empty_tables(application)


def race(application, *actions: Callable[[Any], Any]) -> list[Any]:
    """Run each action(session) in its own thread and session, all released at once; commit each.

    Returns per action: its result, "conflict", or the unexpected exception's text.
    """
    barrier = threading.Barrier(len(actions))
    outcomes: list[Any] = [None] * len(actions)

    def run(index: int, action: Callable[[Any], Any]) -> None:
        with application.app_context():
            session = db.new_session()
            try:
                barrier.wait(30)
                result = action(session)
                session.commit()
                outcomes[index] = result if result is not None else "won"
            except Conflict:
                session.rollback()
                outcomes[index] = "conflict"
            except Exception as exc:  # reported by the assertion of the caller
                session.rollback()
                outcomes[index] = f"{type(exc).__name__}: {exc}"
            finally:
                session.close()

    threads = [threading.Thread(target=run, args=(i, action)) for i, action in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck (deadlock?)"
    return outcomes


def event_counts(application, event_type) -> Counter[int]:
    with application.app_context():
        return Counter(
            db.session.execute(
                select(HistoryEvent.instance_id).where(HistoryEvent.event_type == event_type)
            ).scalars()
        )


def test_two_agents_claiming_the_same_task_through_the_web(site):
    application, people = site
    ids = file_requests(application, people["famille"], ROUNDS)
    clients = []
    for name in ("alex", "sam"):
        client = application.test_client()
        login(client, people[name])
        clients.append(client)
    for task_id in ids:
        tokens = [csrf_token(client, "/agents/") for client in clients]
        barrier = threading.Barrier(2)
        responses: list[Any] = [None, None]

        def press(
            index: int,
            task_id: int = task_id,
            tokens: list[str] = tokens,
            barrier=barrier,
            responses=responses,
        ) -> None:
            barrier.wait(30)
            response = clients[index].post(
                f"/agents/taches/{task_id}/prendre", data={"csrf_token": tokens[index]}
            )
            responses[index] = (response.status_code, text(response) if response.status_code != 302 else "")

        threads = [threading.Thread(target=press, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(90)
        statuses = sorted(status for status, _ in responses)
        assert statuses == [302, 409], (task_id, responses)
        (page,) = [body for status, body in responses if status == 409]
        assert "Cette tâche est déjà prise en charge par" in page
    claimed = event_counts(application, "task_claimed")
    with application.app_context():
        instance_ids = [db.session.get(HumanTask, task_id).instance_id for task_id in ids]
    assert claimed == dict.fromkeys(instance_ids, 1)  # one winner, one entry, per task


def test_claim_against_complete(site):
    application, people = site
    ids = file_requests(application, people["famille"], ROUNDS)
    alex, sam = people["alex"], people["sam"]
    results = Counter()
    for task_id in ids:
        outcomes = race(
            application,
            lambda s, task_id=task_id: api.claim(s, task_id, alex) and "claimed",
            lambda s, task_id=task_id: api.complete(s, task_id, sam, {"decision": "acceptee"}) or "completed",
        )
        assert sorted(outcomes) in (["claimed", "conflict"], ["completed", "conflict"]), outcomes
        results[next(o for o in outcomes if o != "conflict")] += 1
        with application.app_context():
            task = db.session.get(HumanTask, task_id)
            if "claimed" in outcomes:
                assert (task.state, task.assignee_id) == (HumanTaskState.OPEN, alex.id)
            else:
                assert (task.state, task.assignee_id, task.completed_by_id) == (
                    HumanTaskState.COMPLETED,
                    None,
                    sam.id,
                )
    claimed = sum(event_counts(application, "task_claimed").values())
    completed_by_agents = sum(event_counts(application, "task_completed").values()) - ROUNDS  # the family's
    assert (claimed, completed_by_agents) == (results["claimed"], results["completed"])


def test_overlapping_bulk_claims(site):
    application, people = site
    alex, sam = people["alex"], people["sam"]
    for _ in range(max(2, ROUNDS // 2)):
        ids = file_requests(application, people["famille"], 4)
        outcomes = race(
            application,
            lambda s, ids=ids: api.bulk_claim(s, ids[:3], alex),
            lambda s, ids=ids: api.bulk_claim(s, ids[1:], sam),
        )
        assert all(isinstance(o, api.BulkResult) for o in outcomes), outcomes
        first, second = outcomes
        assert sorted(first.claimed + second.claimed) == sorted(ids)  # every task taken exactly once
        assert ids[0] in first.claimed
        assert ids[3] in second.claimed
        for result in outcomes:
            assert all("déjà prise en charge par" in message for _, message in result.refused)
        with application.app_context():
            holders = {t: db.session.get(HumanTask, t).assignee_id for t in ids}
        assert holders == {**dict.fromkeys(first.claimed, alex.id), **dict.fromkeys(second.claimed, sam.id)}
    with application.app_context():
        total = db.session.execute(
            select(func.count()).select_from(HistoryEvent).where(HistoryEvent.event_type == "task_claimed")
        ).scalar_one()
    assert total == 4 * max(2, ROUNDS // 2)


def test_the_queue_sql_is_the_same_on_both_databases(site):
    """Searches (materialised CTE), NULLs-first sorts and keyset navigation, on SQLite and PostgreSQL."""
    application, people = site
    ids = file_requests(application, people["famille"], 4)
    alex = people["alex"]
    with application.app_context():
        session = db.session()
        api.claim(session, ids[1], alex)
        session.commit()
        for text_query in ("", "martin"):
            query = api.QueueQuery(
                lanes=alex.groups, agent_id=alex.id, sort=api.SortKey.ATTRIBUEE, text=text_query
            )
            order = [row.id for row in api.queue_page(session, query).rows]
            assert order == [ids[0], ids[2], ids[3], ids[1]]  # nobody's first, by id; then Alex's
            assert [api.neighbour(session, query, i) for i in order] == [*order[1:], None]
            backwards = api.QueueQuery(**{**query.__dict__, "descending": True})
            assert [row.id for row in api.queue_page(session, backwards).rows] == order[::-1]
