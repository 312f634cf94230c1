"""`python -m benchmarks.estimate [--open N] [--done M] [--repeat R]`: cost of the expected completion
date (engine/estimate.py), computed on every view of a request and every 5 s poll of its page.

Builds a SQLite site with N open and M completed Accueil tasks of « changement_adresse » (rows written
directly), then times `expected_completion` for the newest open request (the one with the longest
queue ahead). Figures: median milliseconds per call over R repetitions of 200 calls.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert

from engine import api
from engine.db import utcnow
from engine.estimate import expected_completion
from engine.models import HumanTask, HumanTaskState, InstanceStatus, ProcessInstance
from web.extensions import db

from .common import DEMARCHE
from .guichet_app import close_site, make_site

CALLS = 200


def fill(session, definition_id: int, open_count: int, done_count: int) -> int:
    """Write the rows; returns the id of the newest open instance."""
    now = utcnow()
    instances, tasks = [], []
    total = open_count + done_count
    for index in range(total):
        created = now - timedelta(minutes=total - index)
        is_done = index < done_count
        instances.append(
            {
                "id": index + 1,
                "reference": f"B-{index}",
                "definition_id": definition_id,
                "status": InstanceStatus.COMPLETED if is_done else InstanceStatus.RUNNING,
                "status_label": "",
                "serialization": "",
                "data_summary": {},
                "created_at": created,
                "updated_at": created,
                "deadline_at": created + timedelta(days=30),
                "lock_version": 1,
            }
        )
        tasks.append(
            {
                "instance_id": index + 1,
                "spiff_task_id": str(uuid.uuid4()),
                "task_name": "instruction",
                "title": "Instruire la demande",
                "form_key": "changement_adresse.instruction",
                "lane": "Accueil",
                "status_label": "",
                "state": HumanTaskState.COMPLETED if is_done else HumanTaskState.OPEN,
                "created_at": created,
                "completed_at": created + timedelta(hours=30) if is_done else None,
            }
        )
    session.execute(insert(ProcessInstance.__table__), instances)
    session.execute(insert(HumanTask.__table__), tasks)
    session.commit()
    return total


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.estimate", description=__doc__)
    parser.add_argument("--open", type=int, default=1_000, help="open agent tasks (default 1000)")
    parser.add_argument("--done", type=int, default=10_000, help="completed agent tasks (default 10000)")
    parser.add_argument("--repeat", type=int, default=5, help="repetitions of 200 calls (default 5)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        site = make_site(Path(tmp), "estimate")
        try:
            with site.app.app_context():
                session = db.session()
                definition_id = api.latest_definition(session, DEMARCHE).id
                newest = fill(session, definition_id, args.open, args.done)
                instance = session.get(ProcessInstance, newest)
                per_call = []
                estimate = None
                for _ in range(args.repeat):
                    start = time.perf_counter()
                    for _ in range(CALLS):
                        estimate = expected_completion(session, instance, utcnow())
                    per_call.append((time.perf_counter() - start) / CALLS * 1000)
                assert estimate is not None
                print(
                    f"expected_completion, {args.open} open + {args.done} completed Accueil tasks (SQLite): "
                    f"{statistics.median(per_call):.2f} ms per call (median of {args.repeat} × {CALLS}); "
                    f"ahead={estimate.ahead}, typical={estimate.typical}, pace={estimate.pace}"
                )
        finally:
            close_site(site)


if __name__ == "__main__":
    main()
