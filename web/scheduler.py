"""Timers and the outbox, run by an in-process scheduler (or by `guichet worker` at scale)."""

from __future__ import annotations

import logging
from datetime import datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from engine import api
from web.core import transaction
from web.extensions import db

log = logging.getLogger(__name__)

_scheduler: BaseScheduler | None = None


def run_timers(app: Flask) -> int:
    """Fire the due BPMN timers (one job run)."""
    from web.admin.services import start_due_absences  # absences that begin today

    with app.app_context(), transaction.separate_unit_of_work() as session:
        fired = api.fire_due_timers(session)  # commits each fired timer (engine)
        start_due_absences(session)
        return fired


def run_outbox(app: Flask) -> tuple[int, int]:
    """Send the due outbox mails (when a mail server is configured) and SMS (one job run)."""
    from web.notifications.routing import outbox_channels, record_delivery, send_outbox_message

    with app.app_context():
        session = db.new_session()
        try:
            return api.drain_outbox(
                session, send_outbox_message, channels=outbox_channels(app), on_done=record_delivery
            )
        finally:
            session.close()


def _configure(scheduler: BaseScheduler, app: Flask) -> BaseScheduler:
    common = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}
    scheduler.add_job(
        run_timers,
        "interval",
        args=[app],
        id="timers",
        next_run_time=datetime.now(),  # noqa: DTZ005
        seconds=app.config["SCHEDULER_TIMERS_INTERVAL"],
        **common,
    )
    scheduler.add_job(
        run_outbox,
        "interval",
        args=[app],
        id="outbox",
        next_run_time=datetime.now(),  # noqa: DTZ005
        seconds=app.config["SCHEDULER_OUTBOX_INTERVAL"],
        **common,
    )
    if app.config["DIGEST_ENABLED"]:
        from web.delais.digest import run_digest  # the agents' daily digest

        scheduler.add_job(
            run_digest,
            "cron",
            args=[app],
            id="digest",
            hour=int(app.config["DIGEST_HOUR"]),
            timezone="Europe/Paris",
            **common,
        )
    return scheduler


def start_background(app: Flask) -> None:
    """Start the jobs in a thread of the web process."""
    global _scheduler
    _scheduler = _configure(BackgroundScheduler(daemon=True), app)
    _scheduler.start()
    log.info(
        "In-process scheduler started (timers every %ss, outbox every %ss)",
        app.config["SCHEDULER_TIMERS_INTERVAL"],
        app.config["SCHEDULER_OUTBOX_INTERVAL"],
    )


def run_blocking(app: Flask) -> None:
    """Run the jobs in the foreground (the `guichet worker` command)."""
    _configure(BlockingScheduler(), app).start()


def wake_outbox() -> None:
    """Ask the outbox job to run now (after a commit that wrote mails)."""
    if _scheduler is not None and _scheduler.running:
        _scheduler.modify_job("outbox", next_run_time=datetime.now())  # noqa: DTZ005


transaction.OUTBOX_WAKERS[:] = [wake_outbox]
