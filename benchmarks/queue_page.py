"""The agents' queue page and a dossier, in process: CPU milliseconds per GET and SQL statements.

Issue 19's load test (benchmarks/locustfile.py) has each agent GET `/agents/?tri=recue&ordre=asc`
before each decision: that page's server CPU is what this measures, without HTTP or gunicorn; then
the oldest request's dossier (`/agents/dossiers/<id>`), the page an agent reads before deciding.
An app on a temporary SQLite file (`make_site`), `--tasks` open tasks of the Accueil service
(each a real démarche: `api.start` then the family's first task completed), the Accueil agent
logged in through the login form; then `--n` GETs of each URL, in `--rounds` rounds, timed with
`time.process_time` (median of the rounds). Run it with `GUICHET_LOG_LEVEL=WARNING`:

    GUICHET_LOG_LEVEL=WARNING .venv/bin/python -m benchmarks.queue_page [--tasks 80] [--n 300]
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import event

from engine import api
from web.extensions import db

from .common import ADDRESS, DEMARCHE
from .guichet_app import Site, close_site, logged_in, make_site

URLS = ("/agents/", "/agents/?tri=recue&ordre=asc")
DOSSIER = re.compile(r'href="(/agents/dossiers/\d+)\?')


def open_tasks(site: Site, count: int) -> None:
    """`count` requests filed by the family, each waiting in the Accueil queue."""
    with site.app.app_context():
        for _ in range(count):
            session = db.new_session()
            try:
                instance = api.start(session, DEMARCHE, site.famille)
                (task,) = [t for t in api.tasks_for(session, site.famille) if t.instance_id == instance.id]
                api.complete(session, task.id, site.famille, ADDRESS)
                session.commit()
            finally:
                session.close()


def statements_per_page(site: Site, client: FlaskClient, url: str) -> int:
    """How many SQL statements one GET of `url` runs (every connection of the app's engine)."""
    counted = [0]

    def count(*_: Any) -> None:
        counted[0] += 1

    with site.app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url}: {response.status_code}")
    return counted[0]


def cpu_ms(client: FlaskClient, url: str, n: int, rounds: int) -> float:
    """Median over `rounds` of the CPU milliseconds per GET (n GETs a round)."""
    per_round = []
    for _ in range(rounds):
        begin = time.process_time()
        for _ in range(n):
            client.get(url)
        per_round.append(1000 * (time.process_time() - begin) / n)
    return statistics.median(per_round)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.queue_page", description=__doc__)
    parser.add_argument("--tasks", type=int, default=80, help="open tasks in the Accueil queue")
    parser.add_argument("--n", type=int, default=300, help="GETs of each URL per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        site = make_site(Path(tmp), "qpage", WTF_CSRF_ENABLED=False)
        try:
            open_tasks(site, args.tasks)
            client = logged_in(site, site.agent)
            oldest = DOSSIER.search(client.get(URLS[1]).get_data(as_text=True))
            urls = (*URLS, oldest.group(1)) if oldest else URLS
            for url in urls:  # warm-up: templates compiled, bundles parsed, caches filled
                for _ in range(10):
                    client.get(url)
            size = site.app.config["PAGE_SIZE"]
            print(f"{args.tasks} open tasks, page size {size}, {args.n} GETs × {args.rounds} rounds")
            for url in urls:
                statements = statements_per_page(site, client, url)
                ms = cpu_ms(client, url, args.n, args.rounds)
                print(f"GET {url:32} {ms:6.2f} ms CPU   {statements} SQL statements")
        finally:
            close_site(site)


if __name__ == "__main__":
    main()
