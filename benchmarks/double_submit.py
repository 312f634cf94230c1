"""SECURITY K57: K double submissions create K démarches, not 2K (a count, not a timing).

Each round, the same logged-in family sends two « Commencer la démarche » POSTs at once (two test
clients sharing the session cookie, released by a barrier), then two identical POSTs of the form.
Printed: the démarches, tasks and completions that exist afterwards, and the answers' status codes.

    .venv/bin/python -m benchmarks.double_submit --rounds 100
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from engine.models import HistoryEvent, HumanTask, ProcessInstance
from web.extensions import db

from .common import ADDRESS, DEMARCHE
from .guichet_app import close_site, logged_in, make_site


def at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait(30)
        results[index] = calls[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.double_submit", description=__doc__)
    parser.add_argument("--rounds", type=int, default=100)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        site = make_site(Path(tmp), "double", WTF_CSRF_ENABLED=False)
        famille = logged_in(site, site.famille)
        cookie = site.app.config["SESSION_COOKIE_NAME"]
        twin = site.app.test_client()
        twin.set_cookie(cookie, famille.get_cookie(cookie).value)
        statuses: Counter[int] = Counter()
        begin = time.perf_counter()
        url = f"/demarches/{DEMARCHE}/commencer"
        for _ in range(args.rounds):
            started = at_once([lambda c=c, u=url: c.post(u) for c in (famille, twin)])
            statuses.update(r.status_code for r in started)
            task_url = started[0].headers["Location"]
            sent = at_once([lambda c=c, u=task_url: c.post(u, data=ADDRESS) for c in (famille, twin)])
            statuses.update(r.status_code for r in sent)
            for client in (famille, twin):
                with client.session_transaction() as session:
                    session.pop("_flashes", None)
        seconds = time.perf_counter() - begin
        with site.app.app_context():
            session = db.session()
            instances = session.execute(select(func.count()).select_from(ProcessInstance)).scalar_one()
            lanes = Counter(session.execute(select(HumanTask.lane)).scalars())
            completions = session.execute(
                select(func.count()).where(HistoryEvent.event_type == "task_completed")
            ).scalar_one()
        close_site(site)
    print(f"{args.rounds} rounds of double start + double send in {seconds:.1f} s")
    print(f"démarches: {instances}   tasks: {dict(lanes)}   completions: {completions}")
    print(f"answers: {dict(sorted(statuses.items()))}")


if __name__ == "__main__":
    main()
