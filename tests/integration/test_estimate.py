"""engine/estimate.py on controlled rows of the real SQLite schema, with an explicit `now`."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from engine import api
from engine.definitions import latest_definition
from engine.estimate import expected_completion
from engine.models import HumanTask, HumanTaskState, InstanceStatus, ProcessInstance

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
_numbers = itertools.count(1)


@pytest.fixture
def rows(session):
    """make(...) writes an instance of a démarche and its one agent task with the given dates."""
    definitions = {
        key: latest_definition(session, key) for key in ("changement_telephone", "changement_adresse")
    }

    def make(
        created: datetime,
        completed: datetime | None = None,
        *,
        lane: str = "Accueil",
        key: str = "changement_telephone",
        deadline: timedelta = timedelta(days=15),
    ) -> ProcessInstance:
        number = next(_numbers)
        instance = ProcessInstance(
            definition=definitions[key],
            reference=f"EST-{number}",
            status=InstanceStatus.COMPLETED if completed else InstanceStatus.RUNNING,
            serialization="",
            created_at=created,
            updated_at=created,
            deadline_at=created + deadline,
        )
        session.add(instance)
        session.flush()
        session.add(
            HumanTask(
                instance_id=instance.id,
                spiff_task_id=str(uuid.uuid4()),
                task_name="instruction",
                title="Instruire la demande",
                form_key=f"{key}.instruction",
                lane=lane,
                state=HumanTaskState.COMPLETED if completed else HumanTaskState.OPEN,
                created_at=created,
                completed_at=completed,
            )
        )
        session.flush()
        return instance

    return make


def test_without_history_the_default_turnaround_is_used(session, rows):
    mine = rows(NOW - DAY)
    estimate = expected_completion(session, mine, NOW)
    assert estimate.samples == 0
    assert estimate.typical == 3 * DAY
    assert estimate.expected_at == NOW + 2 * DAY  # filed yesterday + 3 days
    assert not estimate.is_capped
    assert not estimate.is_late


def test_the_median_of_the_last_completed_tasks_of_the_demarche(session, rows):
    for days in (1, 2, 4, 5, 6):
        start = NOW - 30 * DAY + days * timedelta(hours=1)  # completions spread over weeks
        rows(start, start + days * DAY)
    rows(NOW - 40 * DAY, NOW - 20 * DAY, key="changement_adresse")  # another démarche: not a sample
    mine = rows(NOW - DAY)
    estimate = expected_completion(session, mine, NOW)
    assert estimate.samples == 5
    assert estimate.typical == 4 * DAY
    assert estimate.expected_at == NOW - DAY + 4 * DAY


def test_only_the_last_n_completed_tasks_count(session, rows):
    for index in range(5):  # old and slow
        rows(NOW - 100 * DAY + index * DAY, NOW - 90 * DAY + index * DAY)
    for index in range(3):  # recent and fast
        rows(NOW - 10 * DAY + index * DAY, NOW - 9 * DAY + index * DAY)
    mine = rows(NOW)
    assert expected_completion(session, mine, NOW, history_size=3).typical == DAY
    assert expected_completion(session, mine, NOW, history_size=8).typical > DAY


def test_a_long_queue_at_the_services_pace_pushes_the_date(session, rows):
    # The Accueil completed one task every 12 hours lately (any démarche).
    for index in range(5):
        done = NOW - DAY * 2 + index * timedelta(hours=12)
        rows(
            done - timedelta(hours=1), done, key="changement_adresse" if index % 2 else "changement_telephone"
        )
    for index in range(6):  # six requests ahead in the lane, one of another démarche
        rows(
            NOW - DAY + index * timedelta(minutes=1),
            key="changement_adresse" if index == 0 else "changement_telephone",
        )
    rows(NOW - 2 * DAY, lane="Etat civil")  # another service: not ahead
    mine = rows(NOW - timedelta(minutes=1))
    estimate = expected_completion(session, mine, NOW)
    assert estimate.ahead == 6
    assert estimate.pace == timedelta(hours=12)
    assert estimate.expected_at == NOW + 7 * timedelta(hours=12)


def test_never_later_than_the_maximum_duration(session, rows):
    for index in range(3):
        rows(NOW - 60 * DAY + index * DAY, NOW - 30 * DAY + index * DAY)  # 30 days each
    mine = rows(NOW - DAY, deadline=timedelta(days=15))
    estimate = expected_completion(session, mine, NOW)
    assert estimate.typical == 30 * DAY
    assert estimate.is_capped
    assert estimate.expected_at == mine.deadline_at


def test_past_the_deadline_the_request_is_late(session, rows):
    mine = rows(NOW - 20 * DAY, deadline=timedelta(days=15))
    estimate = expected_completion(session, mine, NOW)
    assert estimate.is_late
    assert estimate.expected_at == mine.deadline_at


def test_never_before_now(session, rows):
    mine = rows(NOW - 10 * DAY)  # default 3 days: would be a week ago
    assert expected_completion(session, mine, NOW).expected_at == NOW


def test_no_estimate_for_a_finished_request_or_one_waiting_for_the_family(session, rows, make_user):
    family = make_user("famille")  # committed first: SQLite has one writer
    finished = rows(NOW - 5 * DAY, NOW - 4 * DAY)
    assert expected_completion(session, finished, NOW) is None
    waiting = api.start(session, "changement_telephone", family)  # « Saisir les nouveaux numéros »
    assert expected_completion(session, waiting, NOW) is None


def test_an_escalated_request_is_late(session, rows):
    from sqlalchemy import select

    mine = rows(NOW - DAY)
    task = session.execute(select(HumanTask).where(HumanTask.instance_id == mine.id)).scalar_one()
    task.escalated_at = NOW - timedelta(hours=1)
    session.flush()
    assert expected_completion(session, mine, NOW).is_late
