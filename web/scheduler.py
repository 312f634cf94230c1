"""Timers and the outbox, run by an in-process scheduler (or by `guichet worker` at scale)."""

from __future__ import annotations

import logging
import os
import smtplib
import socket
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import api
from engine.db import utcnow
from web.core import transaction
from web.core.i18n import _l
from web.extensions import db

log = logging.getLogger(__name__)

_scheduler: BaseScheduler | None = None
_sendable: frozenset[str] = frozenset()  # the channels the outbox job of this process sends
HEARTBEAT_SECONDS = 30


def run_timers(app: Flask) -> int:
    """Fire the due BPMN timers (one job run)."""
    from web.admin.services import start_due_absences  # absences that begin today

    with app.app_context(), transaction.separate_unit_of_work() as session:
        fired = api.fire_due_timers(session)  # commits each fired timer (engine)
        start_due_absences(session)
    run_draws(app)
    return fired


def run_draws(app: Flask) -> int:
    """The fair windows' draws whose window has ended (web/activites/draw.py; idempotent), in their own
    unit of work; run with the timers (in-process scheduler, `guichet worker`, Celery `guichet.timers`)."""
    from web.activites.draw import due_draws

    with app.app_context(), transaction.separate_unit_of_work() as session:
        return len(due_draws(session))


def run_audit_purge(app: Flask) -> int:
    """Delete the audit events past `AUDIT_RETENTION_DAYS` (one job run, idempotent)."""
    from web.core.audit import purge

    with app.app_context(), transaction.separate_unit_of_work() as session:
        deleted = purge(session)
    if deleted:
        log.info(
            "Audit log: %s events older than %s days purged", deleted, app.config["AUDIT_RETENTION_DAYS"]
        )
    return deleted


def outbox_policy(config: Mapping[str, Any]) -> api.RetryPolicy:
    """The outbox's retry policy from the GUICHET_OUTBOX_* keys."""
    return api.RetryPolicy(
        first_delay=timedelta(seconds=float(config["OUTBOX_RETRY_FIRST_SECONDS"])),
        max_delay=timedelta(seconds=float(config["OUTBOX_RETRY_MAX_SECONDS"])),
        give_up_after=timedelta(hours=float(config["OUTBOX_GIVE_UP_HOURS"])),
        lease=timedelta(seconds=float(config["OUTBOX_LEASE_SECONDS"])),
        alert_after=timedelta(minutes=float(config["OUTBOX_ALERT_AFTER_MINUTES"])),
    )


def run_outbox(app: Flask) -> tuple[int, int]:
    """Send the due outbox mails (when a mail server is configured) and SMS (one job run).

    Any number of processes may run it at once: each claims its rows (engine/outbox.py)."""
    from web.notifications.routing import outbox_channels, record_delivery, send_outbox_message

    with app.app_context():
        policy = outbox_policy(app.config)
        session = db.new_session()
        try:
            probe_failing_channels(app, session, policy)
            result = api.send_outbox(
                session,
                send_outbox_message,
                policy=policy,
                channels=outbox_channels(app),
                on_done=record_delivery,
                limit=int(app.config["OUTBOX_BATCH_SIZE"]),
            )
            for channel in api.outbox_alerts(session, policy):
                with transaction.separate_unit_of_work() as alert_session:
                    alert_admins(alert_session, channel)
            return result
        finally:
            session.close()


def probe_failing_channels(app: Flask, session: Session, policy: api.RetryPolicy) -> None:
    """While the mail server is down, knock at it (at most every first retry delay): once it answers,
    every waiting mail is due at once instead of waiting for its own backoff to end."""
    from web.notifications.routing import outbox_channels

    failing = api.outbox_failing_channels(session)
    last = failing.get("courriel")
    if last is None or "courriel" not in outbox_channels(app) or utcnow() - last < policy.first_delay:
        return
    from web.extensions import mail

    try:
        with mail.connect():
            pass
    except (OSError, smtplib.SMTPException) as exc:
        api.outbox_probe_result(session, "courriel", f"serveur de courriel injoignable : {exc}")
    else:
        woken = api.outbox_probe_result(session, "courriel", None)
        log.info("Mail server answers again: %s waiting mails due now", woken)


#: Read in the alert mail, in each admin's language (lazy: rendered by queue_mail).
CHANNEL_LABELS = {"courriel": _l("courriels"), "sms": _l("messages SMS")}


def alert_admins(session: Session, channel: str) -> int:
    """Tell the admins (error log and a mail each) that a channel has been failing; returns mails queued
    (in `session`: the caller commits).

    The mail leaves as soon as mail works again (or at once when only the SMS fail); the error line
    is for the operators' log monitoring, and the « File d'envoi » page shows the outage meanwhile."""
    from web.accounts.models import Role, User
    from web.core.mail import queue_mail

    backlog = {line.channel: line for line in api.outbox_backlog(session)}
    line = backlog.get(channel)
    if line is None or line.failing_since is None:
        return 0
    log.error(
        "Outbox channel %s failing since %s (%s waiting): %s",
        channel,
        line.failing_since.isoformat(),
        line.pending,
        line.last_error,
    )
    admins = session.execute(select(User).where(User.role == Role.ADMIN, User.is_enabled.is_(True))).scalars()
    count = 0
    for admin in admins:
        queue_mail(
            session,
            "courriels_en_echec",
            admin.email,
            admin=admin,
            channel_label=CHANNEL_LABELS.get(channel, channel),
            failing_since=line.failing_since,
            last_error=line.last_error or "",
            pending=line.pending,
        )
        count += 1
    return count


def run_heartbeat(app: Flask, kind: str = "worker") -> None:
    """Note that this process runs the jobs (`/sante` reports the age of the latest beat)."""
    with app.app_context():
        session = db.new_session()
        try:
            api.beat(session, worker_name(), kind)
        finally:
            session.close()


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _configure(scheduler: BaseScheduler, app: Flask, kind: str = "worker") -> BaseScheduler:
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
    scheduler.add_job(
        run_heartbeat,
        "interval",
        args=[app, kind],
        id="heartbeat",
        next_run_time=datetime.now(),  # noqa: DTZ005
        seconds=HEARTBEAT_SECONDS,
        **common,
    )
    scheduler.add_job(
        run_audit_purge,
        "cron",
        args=[app],
        id="audit-purge",
        hour=3,
        minute=30,
        timezone="Europe/Paris",
        **common,
    )
    _add_personal_data_jobs(scheduler, app, common)
    from web.factures.daily import run_daily  # reconciliation report and late invoices

    hour = int(app.config["INVOICE_DAILY_HOUR"])
    scheduler.add_job(
        run_daily, "cron", args=[app], id="factures", hour=hour, timezone="Europe/Paris", **common
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


def _add_personal_data_jobs(scheduler: BaseScheduler, app: Flask, common: dict[str, Any]) -> None:
    """The exports of « Mes données » (large accounts) and the daily retention job (web/donnees)."""
    from web.donnees.retention import run_exports, run_retention

    interval = app.config["SCHEDULER_TIMERS_INTERVAL"]
    scheduler.add_job(run_exports, "interval", args=[app], id="exports", seconds=interval, **common)
    hour = int(app.config["RETENTION_HOUR"])
    scheduler.add_job(
        run_retention, "cron", args=[app], id="retention", hour=hour, timezone="Europe/Paris", **common
    )


def start_background(app: Flask) -> None:
    """Start the jobs in a thread of the web process."""
    global _scheduler, _sendable
    from web.notifications.routing import outbox_channels

    _sendable = frozenset(outbox_channels(app))
    _scheduler = _configure(BackgroundScheduler(daemon=True), app, "web")
    _scheduler.start()
    log.info(
        "In-process scheduler started (timers every %ss, outbox every %ss)",
        app.config["SCHEDULER_TIMERS_INTERVAL"],
        app.config["SCHEDULER_OUTBOX_INTERVAL"],
    )


def run_blocking(app: Flask) -> None:
    """Run the jobs in the foreground (the `guichet worker` command)."""
    _configure(BlockingScheduler(), app, "worker").start()


def wake_outbox(channels: frozenset[str] = frozenset()) -> None:
    """Ask the outbox job to run now (after a commit that wrote mails), unless nothing it sends was
    written: without a mail server, a mail waits anyway, and waking the job thread costs ≈ 10 % of a
    decision's CPU (the hand-off to the scheduler's thread, then the job's queries for nothing)."""
    if _scheduler is None or not _scheduler.running:
        return
    if channels and not channels & _sendable:
        return
    _scheduler.modify_job("outbox", next_run_time=datetime.now())  # noqa: DTZ005


transaction.OUTBOX_WAKERS[:] = [wake_outbox]
