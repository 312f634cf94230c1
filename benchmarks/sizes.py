"""Cost that stays flat with size (issue 18.3): per-step CPU with 1k, 10k, 100k (1M) stored instances,
the outbox and timers with 100k pending rows, and database bytes per démarche and per waiting instance.

`python -m benchmarks.sizes [--sizes 1000,10000,100000] [--n 100] [--repeat 3] [--million]`

One SQLite file (engine.api, as scenario (b)). The stored instances are made fast by copying, in SQL,
one real instance waiting for the agent and one real accepted démarche (their process_instance,
human_task and history_event rows; the copies get their own reference and Spiff task ids and are
never advanced): half of the stored instances wait for an agent, half are closed. At each size, N
new démarches (start, family's submission, agent's decision on that request, one commit each) are
timed with the process CPU clock. Then 100,000 pending mails of a channel that is not sent (no mail
server) and 100,000 instances whose timer is not due: one outbox job run and one timer job run.
Bounded: `--million` adds the 1,000,000 size (≈ 2 GB of SQLite, several minutes).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from engine import api
from web.extensions import db
from web.scheduler import run_outbox, run_timers

from .common import ADDRESS, DECISION, DEMARCHE
from .guichet_app import close_site, make_site


def _step(action):  # type: ignore[no-untyped-def]
    session = db.new_session()
    try:
        result = action(session)
        session.commit()
        return result
    finally:
        session.close()


def one_demarche(site) -> int:  # type: ignore[no-untyped-def]
    instance_id = _step(lambda s: api.start(s, DEMARCHE, site.famille).id)

    def submit(session):  # type: ignore[no-untyped-def]
        (task,) = [t for t in api.tasks_for(session, site.famille) if t.instance_id == instance_id]
        api.complete(session, task.id, site.famille, ADDRESS)

    _step(submit)

    def decide(session):  # type: ignore[no-untyped-def]
        task_id = session.execute(
            text("SELECT id FROM human_task WHERE instance_id = :i AND state = 'open'"), {"i": instance_id}
        ).scalar_one()
        api.complete(session, task_id, site.agent, DECISION)

    _step(decide)
    return instance_id


def waiting_instance(site) -> int:  # type: ignore[no-untyped-def]
    instance_id = _step(lambda s: api.start(s, DEMARCHE, site.famille).id)

    def submit(session):  # type: ignore[no-untyped-def]
        (task,) = [t for t in api.tasks_for(session, site.famille) if t.instance_id == instance_id]
        api.complete(session, task.id, site.famille, ADDRESS)

    _step(submit)
    return instance_id


def _columns(session, table: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [row[1] for row in session.execute(text(f"PRAGMA table_info({table})")) if row[1] != "id"]


def clone(session, template: int, count: int, tag: str) -> None:  # type: ignore[no-untyped-def]
    """`count` copies of instance `template` with its tasks and history, in three INSERT … SELECT."""
    first = int(session.execute(text("SELECT coalesce(max(id), 0) FROM process_instance")).scalar()) + 1
    seq = "WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n + 1 < :count) "
    cols = _columns(session, "process_instance")
    values = ["printf('%s-%08d', :tag, seq.n)" if c == "reference" else f"p.{c}" for c in cols]
    session.execute(
        text(
            f"{seq}INSERT INTO process_instance (id, {', '.join(cols)}) SELECT :first + seq.n, "  # noqa: S608
            f"{', '.join(values)} FROM process_instance p, seq WHERE p.id = :template"
        ),
        {"count": count, "first": first, "template": template, "tag": tag},
    )
    for table in ("human_task", "history_event"):
        cols = _columns(session, table)
        values = [
            ":first + seq.n" if c == "instance_id"
            else "lower(hex(randomblob(16)))" if c == "spiff_task_id"
            else f"t.{c}"
            for c in cols
        ]  # fmt: skip
        session.execute(
            text(
                f"{seq}INSERT INTO {table} ({', '.join(cols)}) SELECT {', '.join(values)} "  # noqa: S608
                f"FROM {table} t, seq WHERE t.instance_id = :template"
            ),
            {"count": count, "first": first, "template": template},
        )
    session.commit()


def database_bytes(path: Path) -> int:
    with db.engine.connect() as conn:  # type: ignore[union-attr]
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        pages = conn.execute(text("PRAGMA page_count")).scalar()
        free = conn.execute(text("PRAGMA freelist_count")).scalar()
        size = conn.execute(text("PRAGMA page_size")).scalar()
    return int((pages - free) * size)  # type: ignore[operator]


def cpu_per_demarche(site, n: int, repeat: int) -> float:  # type: ignore[no-untyped-def]
    runs = []
    for _ in range(repeat):
        begin = time.process_time()
        for _ in range(n):
            one_demarche(site)
        runs.append((time.process_time() - begin) / n * 1000)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sizes", description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--million", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")] + ([1_000_000] if args.million else [])
    with tempfile.TemporaryDirectory(prefix="guichet-sizes-") as tmp:
        site = make_site(Path(tmp), "sizes")
        path = Path(tmp) / "sizes.sqlite3"
        with site.app.app_context():
            for _ in range(20):
                one_demarche(site)  # warm-up
            before = database_bytes(path)
            for _ in range(200):
                one_demarche(site)
            per_demarche = (database_bytes(path) - before) / 200
            before = database_bytes(path)
            for _ in range(200):
                waiting_instance(site)
            per_waiting = (database_bytes(path) - before) / 200
            print(
                f"database bytes: {per_demarche:,.0f} per accepted démarche (no document), {per_waiting:,.0f}"
            )
            print("    per instance waiting for the agent")
            done, waiting = one_demarche(site), waiting_instance(site)
            stored = 0
            header = ("stored instances", "CPU ms/démarche", "ms/step", "DB MiB", "filled in s")
            print("{:>17} {:>16} {:>8} {:>8} {:>11}".format(*header))
            for size in sorted(sizes):
                begin = time.perf_counter()
                session = db.new_session()
                add = size - stored
                clone(session, done, add // 2, f"C{size}")
                clone(session, waiting, add - add // 2, f"W{size}")
                session.close()
                filled = time.perf_counter() - begin
                stored = size
                cpu = cpu_per_demarche(site, args.n, args.repeat)
                mib = database_bytes(path) / 2**20
                print(f"{size:17,d} {cpu:16.2f} {cpu / 3:8.2f} {mib:8.1f} {filled:11.1f}", flush=True)
            backlog(site)
        close_site(site)


def backlog(site) -> None:  # type: ignore[no-untyped-def]
    """100,000 pending mails that are not sent (no mail server) and 100,000 timers not due."""
    session = db.new_session()
    session.execute(
        text(
            "WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n + 1 < 100000) "
            "INSERT INTO outbox_message (recipient, subject, body_text, message_id, status, attempts, "
            "next_attempt_at, created_at, channel) SELECT 'x@example.test', 's', 'b', '<' || n || '@b>', "
            "'pending', 0, '2026-01-01 00:00:00.000000', '2026-01-01 00:00:00.000000', 'courriel' FROM seq"
        )
    )
    session.execute(
        text(
            "UPDATE process_instance SET next_timer_at = '2099-01-01 00:00:00.000000' WHERE id IN "
            "(SELECT id FROM process_instance WHERE status = 'running' LIMIT 100000)"
        )
    )
    session.commit()
    session.close()
    for name, job in (("outbox job", run_outbox), ("timers job", run_timers)):
        job(site.app)
        runs = []
        for _ in range(20):
            begin = time.process_time()
            job(site.app)
            runs.append((time.process_time() - begin) * 1000)
        cpu = statistics.median(runs)
        print(f"{name} with 100,000 pending rows, nothing due or sendable: {cpu:.2f} ms CPU per run")


if __name__ == "__main__":
    os.environ.setdefault("GUICHET_LOG_LEVEL", "WARNING")
    main()
