"""A job process for the scale tests: `python -m tests.scale.worker_process '<json>'`.

It builds the app on the given configuration, says it is ready (a file), waits for the go file so
that every process starts draining at the same moment, then runs the given job (outbox or timers)
until nothing is left to do, and prints what it did as JSON on its last line.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from engine.db import utcnow
from engine.models import InstanceStatus, OutboxMessage, OutboxStatus, ProcessInstance
from web.app import create_app
from web.extensions import db
from web.scheduler import run_outbox, run_timers


def left(app, job: str) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        session = db.new_session()
        try:
            if job == "outbox":
                query = select(func.count()).where(OutboxMessage.status == OutboxStatus.PENDING)
            else:
                query = select(func.count()).where(
                    ProcessInstance.status == InstanceStatus.RUNNING,
                    ProcessInstance.next_timer_at <= utcnow(),
                )
            return int(session.execute(query).scalar_one())
        finally:
            session.close()


def main() -> None:
    args = json.loads(sys.argv[1])
    app = create_app(args["config"])
    Path(args["ready"]).touch()
    while not Path(args["go"]).exists():
        time.sleep(0.02)
    done = 0
    deadline = time.monotonic() + float(args.get("timeout", 240))
    while left(app, args["job"]) and time.monotonic() < deadline:
        if args["job"] == "outbox":
            sent, failed = run_outbox(app)
            done += sent + failed
        else:
            done += run_timers(app)
    print(json.dumps({"done": done}))


if __name__ == "__main__":
    main()
