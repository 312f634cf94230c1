"""The agents' queue at 10,000 and 100,000 open tasks: page time, claim and complete latency.

`python -m benchmarks queue [--sizes 10000,100000] [--repeat R]` runs it alone. Each size gets its
own SQLite file, migrated and seeded like a real site: the open tasks are bulk-inserted (Core
executemany: instance + inbox rows, one Accueil lane, family names from a list, 10 % overdue,
0.2 % claimed by the agent and 10 % by a colleague), then a few real démarches are run through
`engine.api` so that « complete » works on real workflows among the seeded rows.

Measured:
- the queue page (`GET /agents/?…` with the Flask test client, logged-in agent, rendering included)
  for several filters, searches and sorts: median and p95 of `repeat` requests after 3 warm-ups;
- `api.claim` + commit on seeded tasks, and `api.complete` (agent's decision) + commit on real
  ones: median and p95.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, text

from engine import api
from engine.db import utcnow
from engine.models import (
    HumanTask,
    HumanTaskState,
    InstanceStatus,
    ProcessDefinition,
    ProcessInstance,
    ReferenceCounter,
)
from engine.queues import search_text
from web.accounts.models import Role
from web.accounts.services import create_user
from web.extensions import db

from .common import ADDRESS, DECISION, DEMARCHE
from .guichet_app import PASSWORD, close_site, logged_in, make_site

TARGET_QUEUE_MS = 50.0  # median page time at 100,000 open tasks
TARGET_COMPLETE_MS = 20.0  # median complete latency

SCENARIOS: tuple[tuple[str, str], ...] = (
    ("default (received, oldest first)", ""),
    ("tab Accueil, sort échéance", "file=Accueil&tri=echeance"),
    ("sort famille, descending", "tri=famille&ordre=desc"),
    ("sort attribuée à (NULLs last)", "tri=attribuee"),
    ("sort statut", "tri=statut"),
    ("overdue only", "en_retard=y"),
    ("nobody's + démarche", "attribution=personne&demarche=changement_adresse"),
    ("search family name", "q=martin"),
    ("search reference", "q=DEM-2026-00500"),
    ("« Mes tâches »", "file=moi"),
    ("page 200 (offset 9,950)", "page=200"),
)
SURNAMES = [
    "Martin",
    "Bernard",
    "Thomas",
    "Petit",
    "Robert",
    "Richard",
    "Durand",
    "Dubois",
    "Moreau",
    "Laurent",
    "Simon",
    "Michel",
    "Lefèvre",
    "Leroy",
    "Roux",
    "David",
    "Bertrand",
    "Morel",
    "Fournier",
    "Girard",
    "Bonnet",
    "Dupont",
    "Lambert",
    "Fontaine",
    "Rousseau",
    "Vincent",
    "Müller",
    "Faure",
    "André",
    "Mercier",
    "Blanc",
    "Guérin",
    "Boyer",
    "Garnier",
    "Chevalier",
    "François",
    "Legrand",
    "Gauthier",
    "Garcia",
]
FIRST_NAMES = [
    "Camille",
    "Dominique",
    "Hélène",
    "Louis",
    "Inès",
    "Jules",
    "Léa",
    "Hugo",
    "Chloé",
    "Lucas",
    "Manon",
    "Nathan",
    "Zoé",
    "Élodie",
]


@dataclass
class Timing:
    """Wall-clock samples, and the process CPU time of each (steadier on a shared machine)."""

    label: str
    samples: list[float]
    cpu: list[float]

    @property
    def cpu_median_ms(self) -> float:
        return statistics.median(self.cpu) * 1000

    @property
    def median_ms(self) -> float:
        return statistics.median(self.samples) * 1000

    @property
    def p95_ms(self) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000


def seed(session: Any, size: int, agent_id: int, colleague_id: int, rng: random.Random) -> None:
    """Bulk-insert `size` running instances, each with one open Accueil task."""
    definition = session.execute(
        select(ProcessDefinition).where(ProcessDefinition.key == DEMARCHE)
    ).scalar_one()
    now = utcnow()
    year = now.year
    first_id = (session.execute(text("SELECT COALESCE(MAX(id), 0) FROM process_instance")).scalar_one()) + 1
    chunk = 10_000
    for start in range(0, size, chunk):
        instances, tasks = [], []
        for offset in range(start, min(size, start + chunk)):
            instance_id = first_id + offset
            created = now - timedelta(minutes=size - offset)
            reference = f"DEM-{year}-{instance_id:06d}"
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"
            # 10 % overdue, the others due within the next 30 days.
            days = -rng.randint(1, 10) if rng.random() < 0.10 else rng.randint(1, 30)
            due = now + timedelta(days=days, minutes=offset % 1440)
            draw = rng.random()
            assignee: tuple[int | None, str | None] = (None, None)
            if draw < 0.002:  # the agent holds a realistic few hundred tasks at 100,000
                assignee = (agent_id, "Alex Durand")
            elif draw < 0.10:
                assignee = (colleague_id, "Sam Moreau")
            instances.append(
                {
                    "id": instance_id,
                    "reference": reference,
                    "definition_id": definition.id,
                    "requester_id": None,
                    "requester_name": name,
                    "status": InstanceStatus.RUNNING,
                    "status_label": "En cours d'instruction",
                    "serialization": "",
                    "data_summary": {},
                    "deadline_at": due,
                    "created_at": created,
                    "updated_at": created,
                    "lock_version": 1,
                }
            )
            tasks.append(
                {
                    "instance_id": instance_id,
                    "spiff_task_id": str(uuid.UUID(int=rng.getrandbits(128))),
                    "task_name": "instruire",
                    "title": "Instruire la demande",
                    "form_key": "changement_adresse.decision",
                    "lane": "Accueil",
                    "status_label": "En cours d'instruction" if rng.random() < 0.9 else "Pièce demandée",
                    "state": HumanTaskState.OPEN,
                    "requester_id": None,
                    "assignee_id": assignee[0],
                    "assignee_name": assignee[1],
                    "claimed_at": created if assignee[0] else None,
                    "created_at": created,
                    "due_at": due,
                    "demarche_key": DEMARCHE if rng.random() < 0.8 else "changement_telephone",
                    "requester_name": name,
                    "search_text": search_text(reference, name),
                }
            )
        session.execute(insert(ProcessInstance.__table__), instances)
        session.execute(insert(HumanTask.__table__), tasks)
    # As on a real site, the year's counter has given out the seeded numbers (engine/references.py).
    session.merge(ReferenceCounter(year=year, last_number=first_id + size - 1))
    if session.get_bind().dialect.name == "postgresql":  # explicit ids: the sequences move on past them
        for table in ("process_instance", "human_task"):
            session.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")  # noqa: S608 (fixed names)
            )
    session.commit()
    session.execute(text("ANALYZE"))
    session.commit()


def _timings(label: str, func: Callable[[], Any], repeat: int, warmup: int = 3) -> Timing:
    for _ in range(warmup):
        func()
    timing = Timing(label, [], [])
    for _ in range(repeat):
        cpu = time.process_time()
        begin = time.perf_counter()
        func()
        timing.samples.append(time.perf_counter() - begin)
        timing.cpu.append(time.process_time() - cpu)
    return timing


def run_size(tmp: Path, size: int, repeat: int, explain: bool, url: str | None = None) -> dict[str, Timing]:
    """One size on its own SQLite file, or on the PostgreSQL database at `url`."""
    database = {"SQLALCHEMY_DATABASE_URI": url} if url else {}
    site = make_site(tmp, f"queue-{size}", WTF_CSRF_ENABLED=False, **database)
    rng = random.Random(size)
    results: dict[str, Timing] = {}
    with site.app.app_context():
        session = db.session()
        colleague = create_user(
            session,
            username="accueil2",
            password=PASSWORD,
            email="accueil2@example.test",
            role=Role.AGENT,
            groups=["Accueil"],
            prenom="Sam",
            nom="Moreau",
        )
        session.commit()
        begin = time.perf_counter()
        seed(session, size, site.agent.id, colleague.id, rng)
        seeded_in = time.perf_counter() - begin
        # Real démarches among the seeded rows, for « complete ».
        real = []
        for _ in range(repeat + 3):
            instance = api.start(session, DEMARCHE, site.famille)
            (own,) = [t for t in api.tasks_for(session, site.famille) if t.instance_id == instance.id]
            api.complete(session, own.id, site.famille, ADDRESS)
            session.commit()
            real.append(
                session.execute(
                    select(HumanTask.id).where(
                        HumanTask.instance_id == instance.id, HumanTask.state == HumanTaskState.OPEN
                    )
                ).scalar_one()
            )
        total = session.execute(
            select(text("count(*)"))
            .select_from(HumanTask.__table__)
            .where(HumanTask.state == HumanTaskState.OPEN)
        ).scalar_one()
        print(f"  {size:,} seeded in {seeded_in:.1f} s; {total:,} open tasks in the queue")
        if explain:
            print_plans(session, site.agent)
        db.session.remove()

    client = logged_in(site, site.agent)
    for label, query in SCENARIOS:

        def get(query: str = query) -> None:
            response = client.get(f"/agents/?{query}")
            if response.status_code != 200:
                raise RuntimeError(f"/agents/?{query}: {response.status_code}")

        results[f"queue: {label}"] = _timings(label, get, repeat)

    with site.app.app_context():
        free = [
            task_id
            for (task_id,) in db.session()
            .execute(
                select(HumanTask.id)
                .where(HumanTask.assignee_id.is_(None), HumanTask.state == HumanTaskState.OPEN)
                .order_by(HumanTask.id)
                .limit(5000)
            )
            .all()
        ]
        db.session.remove()
        candidates = rng.sample(free, repeat + 3)

        def claim() -> None:
            session = db.new_session()
            try:
                api.claim(session, candidates.pop(), site.agent)
                session.commit()
            finally:
                session.close()

        results["claim"] = _timings("claim", claim, repeat)

        def complete() -> None:
            session = db.new_session()
            try:
                api.complete(session, real.pop(), site.agent, DECISION)
                session.commit()
            finally:
                session.close()

        results["complete"] = _timings("complete", complete, repeat)
    close_site(site)
    return results


def print_plans(session: Any, agent: Any) -> None:
    """EXPLAIN QUERY PLAN of the page query and its count for a few views (indexes used or not)."""
    from sqlalchemy import func

    from engine.queues import _conditions, _order, _rows_statement

    for label, kwargs in (
        ("default", {}),
        ("sort échéance", {"sort": api.SortKey.ECHEANCE}),
        ("sort famille desc", {"sort": api.SortKey.FAMILLE, "descending": True}),
        ("« Mes tâches »", {"assignment": api.Assignment.ME}),
    ):
        query = api.QueueQuery(lanes=frozenset({"Accueil"}), agent_id=agent.id, **kwargs)
        statements = {
            "page": _rows_statement(query).order_by(*_order(query)).limit(50),
            "count": select(func.count()).select_from(HumanTask.__table__).where(*_conditions(query)),
        }
        for kind, statement in statements.items():
            sql = str(statement.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
            plan = session.execute(text(f"EXPLAIN QUERY PLAN {sql}")).all()
            print(f"    plan {label} / {kind}: " + " | ".join(row[-1] for row in plan))


def verdict(value: float, target: float) -> str:
    return "holds" if value < target else "does NOT hold"


def main(sizes: list[int], repeat: int, explain: bool, database: str = "sqlite") -> None:
    from .activites_setup import throwaway_postgres

    print(
        f"Queue benchmark — {', '.join(f'{s:,}' for s in sizes)} open tasks, {repeat} requests per figure, "
        f"on {database}"
    )
    all_results: dict[int, dict[str, Timing]] = {}
    with tempfile.TemporaryDirectory(prefix="guichet-queue-bench-") as tmp:
        for size in sizes:
            if database == "postgres":  # a fresh cluster per size, like a fresh SQLite file
                with throwaway_postgres() as url:
                    all_results[size] = run_size(Path(tmp), size, repeat, False, url)
            else:
                all_results[size] = run_size(Path(tmp), size, repeat, explain)
    print()
    header = f"{'':40}" + "".join(f" {f'{s:,} median':>15} {'p95':>7} {'CPU':>6}" for s in sizes)
    print(header + "   (ms; CPU = median process CPU time)")
    for key in all_results[sizes[0]]:
        line = f"{key[:40]:40}"
        for size in sizes:
            timing = all_results[size][key]
            line += f" {timing.median_ms:15.1f} {timing.p95_ms:7.1f} {timing.cpu_median_ms:6.1f}"
        print(line)
    largest = all_results[max(sizes)]
    worst_key = max((k for k in largest if k.startswith("queue")), key=lambda k: largest[k].median_ms)
    worst = largest[worst_key].median_ms
    complete = largest["complete"].median_ms
    worst_cpu = max(t.cpu_median_ms for k, t in largest.items() if k.startswith("queue"))
    print()
    print(
        f"Target « queue < {TARGET_QUEUE_MS:.0f} ms at {max(sizes):,} »: slowest view {worst_key[7:]!r} "
        f"{worst:.1f} ms → ratio {worst / TARGET_QUEUE_MS:.2f} ({verdict(worst, TARGET_QUEUE_MS)})"
    )
    print(
        f"  in CPU time (less disturbed by other jobs on the machine): slowest view {worst_cpu:.1f} ms → "
        f"ratio {worst_cpu / TARGET_QUEUE_MS:.2f}"
    )
    print(
        f"Target « complete < {TARGET_COMPLETE_MS:.0f} ms median »: {complete:.1f} ms → ratio "
        f"{complete / TARGET_COMPLETE_MS:.2f} ({verdict(complete, TARGET_COMPLETE_MS)})"
    )
    if len(sizes) > 1:
        small, large = min(sizes), max(sizes)
        default = "queue: default (received, oldest first)"
        print(
            f"Growth {small:,} → {large:,} (×{large // small}): default view × "
            f"{all_results[large][default].median_ms / all_results[small][default].median_ms:.2f}, claim × "
            f"{all_results[large]['claim'].median_ms / all_results[small]['claim'].median_ms:.2f}"
        )
