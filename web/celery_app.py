"""The jobs as Celery tasks on a Redis broker (when GUICHET_CELERY_BROKER_URL is set).

Celery only says *when* to run a job: beat sends `guichet.timers` and `guichet.outbox` every
SCHEDULER_*_INTERVAL seconds, `guichet.digest` every day at DIGEST_HOUR (Paris) and
`guichet.factures_daily` at INVOICE_DAILY_HOUR (web/factures/daily.py). Each task is
the same function the in-process scheduler runs, and each claims its rows in the database (timers
under the instance's row lock with SKIP LOCKED, the outbox with a claim token and a lease), so
whatever Celery does — a task delivered twice after a visibility timeout, two beats on two hosts, a
worker killed with SIGKILL whose task is redelivered — every timer fires once and every mail is
sent once. Tasks are acknowledged late and expire after one interval: while Redis is down nothing
runs, nothing is lost (the rows wait in the database), and the backlog of beats does not pile up.
Every task is `shared=False`: it belongs to its app only (a second app in one process, as in the tests,
would otherwise inherit the first one's tasks, and Celery warns of duplicate names).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from celery import Celery
from celery.schedules import crontab
from flask import Flask, current_app, has_app_context

from . import scheduler
from .core import transaction

log = logging.getLogger(__name__)


def make_celery(app: Flask) -> Celery:
    config = app.config
    timers_every = float(config["SCHEDULER_TIMERS_INTERVAL"])
    outbox_every = float(config["SCHEDULER_OUTBOX_INTERVAL"])
    celery = Celery("guichet", broker=config["CELERY_BROKER_URL"], set_as_current=False)
    schedule: dict[str, Any] = {
        "echeances": {
            "task": "guichet.timers",
            "schedule": timers_every,
            "options": {"expires": timers_every},
        },
        "envois": {"task": "guichet.outbox", "schedule": outbox_every, "options": {"expires": outbox_every}},
        "battement": {
            "task": "guichet.heartbeat",
            "schedule": float(scheduler.HEARTBEAT_SECONDS),
            "options": {"expires": float(scheduler.HEARTBEAT_SECONDS)},
        },
    }
    _housekeeping_schedule(schedule, config)
    if config["DIGEST_ENABLED"]:
        schedule["resume-du-jour"] = {
            "task": "guichet.digest",
            "schedule": crontab(minute=0, hour=int(config["DIGEST_HOUR"])),
        }
    celery.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,
        timezone="Europe/Paris",
        beat_schedule=schedule,
        beat_schedule_filename=str(Path(app.instance_path) / "celerybeat-schedule"),
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
    )

    @celery.task(shared=False, name="guichet.timers")
    def timers() -> int:
        return scheduler.run_timers(app)

    @celery.task(shared=False, name="guichet.outbox")
    def outbox() -> tuple[int, int]:
        return scheduler.run_outbox(app)

    @celery.task(shared=False, name="guichet.digest")
    def digest() -> int:
        from web.delais.digest import run_digest

        return run_digest(app)

    _housekeeping_tasks(celery, app)

    @celery.task(shared=False, name="guichet.heartbeat")
    def heartbeat() -> None:
        scheduler.run_heartbeat(app, "celery")

    return celery


def _housekeeping_schedule(schedule: dict[str, Any], config: Any) -> None:
    """« Mes données » exports every timers interval; retention daily at RETENTION_HOUR (web/donnees);
    the security log's purge nightly at 3:30 (web/core/audit.py); the invoices' daily job at
    INVOICE_DAILY_HOUR (web/factures/daily.py)."""
    schedule["purge-journal"] = {"task": "guichet.audit_purge", "schedule": crontab(minute=30, hour=3)}
    every = float(config["SCHEDULER_TIMERS_INTERVAL"])
    schedule["exports"] = {"task": "guichet.exports", "schedule": every, "options": {"expires": every}}
    schedule["conservation"] = {
        "task": "guichet.retention",
        "schedule": crontab(minute=0, hour=int(config["RETENTION_HOUR"])),
    }
    schedule["factures-quotidien"] = {
        "task": "guichet.factures_daily",
        "schedule": crontab(minute=0, hour=int(config["INVOICE_DAILY_HOUR"])),
    }


def _housekeeping_tasks(celery: Celery, app: Flask) -> None:
    @celery.task(shared=False, name="guichet.audit_purge")
    def audit_purge() -> int:
        return scheduler.run_audit_purge(app)

    @celery.task(shared=False, name="guichet.exports")
    def exports() -> int:
        from web.donnees.retention import run_exports

        return run_exports(app)

    @celery.task(shared=False, name="guichet.retention")
    def retention() -> dict[str, Any]:
        from web.donnees.retention import run_retention

        return run_retention(app)

    @celery.task(shared=False, name="guichet.factures_daily")
    def factures_daily() -> tuple[int, int]:
        from web.factures.daily import run_daily  # reconciliation report, late invoices

        return run_daily(app)


def run_worker(app: Flask, *, beat: bool, concurrency: int) -> None:
    """`guichet worker` with a broker: a Celery worker (threads) with, unless told otherwise, its beat."""
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if str(app.config["LOG_LEVEL"]).upper() != "DEBUG":
        # One line per task run and per beat every few seconds would drown the useful INFO lines.
        for name in ("celery.app.trace", "celery.beat", "celery.worker.strategy"):
            logging.getLogger(name).setLevel(logging.WARNING)
    argv = [
        "worker",
        "--pool=threads",
        f"--concurrency={concurrency}",
        f"--loglevel={str(app.config['LOG_LEVEL']).upper()}",
        "--without-gossip",
        "--without-mingle",
    ]
    if beat:
        argv.append("--beat")
    make_celery(app).worker_main(argv)


def install_outbox_waker(app: Flask) -> None:
    """In a process with a broker (the web servers of a scaled layout): after a commit that wrote
    mails or SMS, send `guichet.outbox` at once instead of waiting for beat's next interval.

    The commit only sets an event; a daemon thread of this app sends the job (wake-ups that come
    while it sends are merged into one). A lost wake-up costs only that wait (beat sends the job
    anyway): while Redis is down the thread gives up after one short try and the request never waits
    for it. Only commits made under this app wake it (several apps may live in one process)."""
    wanted = threading.Event()
    started: list[threading.Thread] = []
    lock = threading.Lock()

    def send_forever() -> None:
        celery = make_celery(app)
        celery.conf.broker_connection_timeout = 2
        celery.conf.broker_transport_options = {
            "max_retries": 1,
            "socket_connect_timeout": 2,
            "socket_timeout": 2,
        }
        expires = float(app.config["SCHEDULER_OUTBOX_INTERVAL"])
        while True:
            wanted.wait()
            wanted.clear()
            try:
                celery.send_task("guichet.outbox", expires=expires, retry=False)
            except Exception as exc:  # the broker is down: beat sends the job once it is back
                log.warning("Outbox job not woken (broker unreachable): %s", exc)

    def wake(channels: frozenset[str] = frozenset()) -> None:
        if not has_app_context() or current_app._get_current_object() is not app:  # type: ignore[attr-defined]
            return
        with lock:
            if not started:
                started.append(
                    threading.Thread(target=send_forever, name="guichet-outbox-waker", daemon=True)
                )
                started[0].start()
        wanted.set()

    transaction.OUTBOX_WAKERS.append(wake)
