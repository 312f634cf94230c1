"""The queue's statements read their indexes, on SQLite and on the real PostgreSQL, with 20,000
open tasks and statistics up to date (docs/performance.md, « The queue at 100,000 on PostgreSQL,
second pass »):
- each sort, ascending and descending, walks its (lane, state, column, id) index and stops after
  the page: no sort of the lane (PostgreSQL sorted all of it for the statuses, the démarches,
  « Attribuée à » and « Échéance »: NULLs first and the id as tie-break were not in its indexes);
- the counts (tabs and totals) stop at the cap: a LIMIT under the count, read from an index;
- on PostgreSQL, a search for a reference reads the trigram index of `search_text`.
"""

from __future__ import annotations

import random
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from engine import api
from engine.db import utcnow
from engine.models import HumanTask, HumanTaskState, InstanceStatus, ProcessDefinition, ProcessInstance
from engine.queue_counts import COUNT_CAP, capped
from engine.queues import _conditions, page_ids, search_text
from tests.fixtures.app import on_postgresql
from web.extensions import db

pytestmark = pytest.mark.usefixtures("clock")  # the day of the démarches' deadlines and plans is fixed

SIZE = 20_000
sqlite_app = pytest.mark.skipif(
    on_postgresql(), reason="the `app` runs on PostgreSQL (GUICHET_TEST_DATABASE)"
)
SORTS = [(key, descending) for key in api.SortKey for descending in (False, True)]


def seed(session: Session) -> None:
    """SIZE open Accueil tasks of one request each (as benchmarks/queues.py seeds them), analysed
    (and vacuumed on PostgreSQL, as autovacuum does after a bulk insert: its visibility map lets an
    index-only scan skip the table)."""
    definition_id = session.execute(
        select(ProcessDefinition.id).where(ProcessDefinition.key == "changement_adresse").limit(1)
    ).scalar_one()
    now, rng = utcnow(), random.Random(7)
    instances, tasks = [], []
    for n in range(1, SIZE + 1):
        name, reference = (
            f"Camille {rng.choice(['Martin', 'Zola', 'Dupont', 'Müller'])} {n}",
            f"DEM-2026-{n:06d}",
        )
        created = now - timedelta(minutes=SIZE - n)
        due = None if n % 7 == 0 else now + timedelta(days=rng.randint(-5, 30))
        colleague = rng.random() < 0.1
        instances.append(
            {
                "id": 1_000_000 + n,
                "reference": reference,
                "definition_id": definition_id,
                "status": InstanceStatus.RUNNING,
                "status_label": "En cours d'instruction",
                "serialization": "",
                "data_summary": {},
                "created_at": created,
                "updated_at": created,
                "lock_version": 1,
            }
        )
        tasks.append(
            {
                "instance_id": 1_000_000 + n,
                "spiff_task_id": str(uuid.UUID(int=rng.getrandbits(128))),
                "task_name": "instruire",
                "title": "Instruire la demande",
                "form_key": "changement_adresse.decision",
                "lane": "Accueil",
                "status_label": rng.choice(["En cours d'instruction", "Pièce demandée"]),
                "state": HumanTaskState.OPEN,
                "assignee_id": 999_999 if colleague else None,
                "assignee_name": "Sam Moreau" if colleague else None,
                "created_at": created,
                "due_at": due,
                "demarche_key": rng.choice(["changement_adresse", "changement_telephone"]),
                "requester_name": name,
                "search_text": search_text(reference, name),
            }
        )
    session.execute(insert(ProcessInstance.__table__), instances)
    session.execute(insert(HumanTask.__table__), tasks)
    session.commit()
    if session.get_bind().dialect.name == "postgresql":  # as autovacuum does after a bulk insert
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE human_task"))
    else:
        session.execute(text("ANALYZE"))
        session.commit()


def query(**kwargs: object) -> api.QueueQuery:
    return api.QueueQuery(lanes=frozenset({"Accueil"}), agent_id=1, **kwargs)  # type: ignore[arg-type]


def sql(session: Session, statement: object) -> str:
    compiled = statement.compile(session.get_bind(), compile_kwargs={"literal_binds": True})  # type: ignore[attr-defined]
    return str(compiled)


def statements() -> dict[str, object]:
    """The page's statements: one per sort and order, page 1 and page 200, and the counts."""
    found: dict[str, object] = {
        f"page {key} {'desc' if descending else 'asc'}": page_ids(query(sort=key, descending=descending), 1)
        for key, descending in SORTS
    }
    found["page 200"] = page_ids(query(), 200)
    found["count of the tab"] = select(capped(_conditions(query()), COUNT_CAP))
    found["count of a filter"] = select(
        capped(_conditions(query(assignment=api.Assignment.NOBODY, demarche="changement_adresse")), COUNT_CAP)
    )
    return found


@pytest.fixture
def seeded_sqlite(app):
    with app.app_context():
        seed(db.session())
        yield db.session()


@sqlite_app
def test_sqlite_walks_the_indexes(seeded_sqlite):
    for label, statement in statements().items():
        plan = seeded_sqlite.execute(text("EXPLAIN QUERY PLAN " + sql(seeded_sqlite, statement))).all()
        details = " | ".join(str(row[-1]) for row in plan)
        assert "USE TEMP B-TREE" not in details, f"{label}: {details}"
        assert "INDEX ix_human_task_" in details, f"{label}: {details}"
        assert "SCAN human_task" not in details.replace("SCAN human_task USING", ""), f"{label}: {details}"


@pytest.mark.postgres
def test_postgresql_walks_the_indexes_and_searches_by_trigram(pg_app):
    with pg_app.app_context():
        session = db.session()
        seed(session)
        indexes = set(
            session.execute(text("SELECT indexname FROM pg_indexes WHERE tablename = 'human_task'")).scalars()
        )
        assert "ix_human_task_search_trgm" in indexes  # pg_trgm ships with Debian's postgresql
        plans = {
            label: "\n".join(session.execute(text("EXPLAIN " + sql(session, statement))).scalars())
            for label, statement in statements().items()
        }
        rare = select(HumanTask.id).where(*_conditions(query(text="DEM-2026-012345"))).limit(50)
        search = "\n".join(session.execute(text("EXPLAIN " + sql(session, rare))).scalars())
    for label, plan in plans.items():
        if label.startswith("count"):  # stops after the cap (a scan of a common filter may stop early)
            assert "Limit" in plan, f"{label}:\n{plan}"
            continue
        assert "Sort" not in plan, f"{label}:\n{plan}"  # neither a sort nor an incremental sort
        assert "Seq Scan" not in plan, f"{label}:\n{plan}"
        assert "Index" in plan, f"{label}:\n{plan}"
    assert "Index Only Scan using ix_human_task_" in plans["count of the tab"], plans
    assert "ix_human_task_search_trgm" in search, search
