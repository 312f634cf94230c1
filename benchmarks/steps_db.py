"""The load test's four requests in process, on SQLite or PostgreSQL: CPU per request and the database's.

One démarche as `benchmarks/locustfile.py` makes it: the family's « commencer », the family's form
with its justificatif (multipart), the agent's queue page (oldest first), the agent's decision —
through Flask's test client (no HTTP, no gunicorn), CSRF off. For each request: the process's CPU
milliseconds (`time.process_time`) and the SQL statements; per démarche: the CPU seconds PostgreSQL's
processes spent (`benchmarks.load.cluster_cpu_seconds`: the postmaster, its live backends and those
it reaped), since on one machine the database's work is CPU the server does not get. PostgreSQL is
the temporary cluster of tests/fixtures/postgres.py (Debian's package). Median of `--rounds` rounds
of `--n` démarches, after 30 to warm up:

    GUICHET_LOG_LEVEL=WARNING .venv/bin/python -m benchmarks.steps_db [--database postgresql] [--n 200]
"""

from __future__ import annotations

import argparse
import io
import re
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event

from forms.dates import today_in_france
from web.extensions import db

from .common import ADDRESS, DECISION, PDF
from .guichet_app import close_site, logged_in, make_site
from .load import cluster_cpu_seconds

TASK = re.compile(r"/taches/(\d+)")
STEPS = ("commencer", "formulaire", "file de l'agent", "décision")


def run(url: str | None, datadir: str | None, n: int, rounds: int) -> dict[str, Any]:
    overrides = {"SQLALCHEMY_DATABASE_URI": url} if url else {}
    folder = Path(tempfile.mkdtemp(prefix="guichet-steps-"))
    site = make_site(folder, "steps", WTF_CSRF_ENABLED=False, **overrides)
    famille, agent = logged_in(site, site.famille), logged_in(site, site.agent)
    statements = [0]
    with site.app.app_context():
        engine = db.engine

    def count(*_: Any) -> None:
        statements[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    cpu = dict.fromkeys(STEPS, 0.0)
    counted = dict.fromkeys(STEPS, 0)

    def timed(step: str, request: Any) -> Any:
        statements[0] = 0
        before = time.process_time()
        answer = request()
        cpu[step] += time.process_time() - before
        counted[step] += statements[0]
        return answer

    def one() -> None:
        started = timed("commencer", lambda: famille.post("/demarches/changement_adresse/commencer"))
        task = TASK.search(started.headers["Location"])
        assert task is not None
        fields = {
            **ADDRESS,
            "date_effet": today_in_france().isoformat(),
            "justificatif_domicile": (io.BytesIO(PDF), "facture.pdf", "application/pdf"),
        }
        sent = timed("formulaire", lambda: famille.post(f"/taches/{task.group(1)}", data=fields))
        assert sent.status_code == 302, sent.status_code
        page = timed("file de l'agent", lambda: agent.get("/agents/?tri=recue&ordre=asc"))
        oldest = TASK.findall(page.get_data(as_text=True))[0]
        decision = {**DECISION, "commentaire_interne": ""}
        decided = timed("décision", lambda: agent.post(f"/taches/{oldest}", data=decision))
        assert decided.status_code == 302, decided.status_code

    try:
        for _ in range(30):
            one()
        results: list[dict[str, float]] = []
        for _ in range(rounds):
            for step in STEPS:
                cpu[step], counted[step] = 0.0, 0
            database = cluster_cpu_seconds(datadir)
            for _ in range(n):
                one()
            result = {step: 1000 * cpu[step] / n for step in STEPS}
            result["database"] = 1000 * (cluster_cpu_seconds(datadir) - database) / n
            result.update({f"{step} statements": counted[step] / n for step in STEPS})
            results.append(result)
    finally:
        close_site(site)
    return {key: statistics.median(result[key] for result in results) for key in results[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="postgresql")
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    server = None
    if args.database == "postgresql":
        from tests.fixtures.postgres import PostgresServer

        server = PostgresServer()
    try:
        figures = run(server.url if server else None, server.datadir if server else None, args.n, args.rounds)
    finally:
        if server is not None:
            server.remove()
    print(f"{args.database}, {args.n} démarches × {args.rounds} rounds (median), CPU ms in process:")
    for step in STEPS:
        print(f"  {step:16} {figures[step]:6.2f} ms  {figures[f'{step} statements']:4.1f} statements")
    total = sum(figures[step] for step in STEPS)
    print(f"  {'per démarche':16} {total:6.2f} ms  (3 steps: {total / 3:.2f} ms a step)")
    if server is not None:
        print(f"  PostgreSQL's processes: {figures['database']:.2f} ms of CPU per démarche")


if __name__ == "__main__":
    main()
