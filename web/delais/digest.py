"""The agents' daily digest (« Résumé du jour »): one mail per agent per day, through the outbox.

For each enabled agent with groups: the open tasks they claimed (`assignee_id`), and their groups'
open tasks, « relancées » (`reminded_at`) and « en retard » (`escalated_at`, or past `due_at`).
An agent with nothing open gets no mail. The mail's Message-ID is derived from the agent and the
day (Paris time), and `outbox_message.message_id` is unique: a second run the same day, from the
scheduler, the CLI or another worker, sends nothing more.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, lazyload

from engine.api import InboxTask, agent_inbox, message_queued
from engine.db import utcnow
from web.accounts.models import Role, User
from web.core.mail import queue_mail
from web.core.presentation import PARIS

log = logging.getLogger(__name__)


@dataclass
class Digest:
    agent: User
    day: str
    claimed: list[InboxTask] = field(default_factory=list)
    open: list[InboxTask] = field(default_factory=list)
    reminded: list[InboxTask] = field(default_factory=list)
    overdue: list[InboxTask] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.claimed or self.open)


def is_overdue(task: InboxTask, now: datetime) -> bool:
    return task.escalated_at is not None or (task.due_at is not None and task.due_at < now)


def build_digest(session: Session, agent: User, now: datetime) -> Digest:
    """What the agent's digest holds on the day of `now` (Paris time)."""
    digest = Digest(agent, now.astimezone(PARIS).date().isoformat())
    tasks = agent_inbox(session, agent.groups, agent.id)
    for task in tasks:
        if task.assignee_id == agent.id:
            digest.claimed.append(task)
        if task.lane in agent.groups:
            digest.open.append(task)
            if is_overdue(task, now):
                digest.overdue.append(task)
            elif task.reminded_at is not None:
                digest.reminded.append(task)
    return digest


def message_id(agent: User, day: str, domain: str) -> str:
    return f"<resume-{agent.id}-{day}@{domain}>"


def send_digests(session: Session, now: datetime | None = None) -> int:
    """Queue today's digest of every agent who has open tasks and has not had it yet (flushes only).

    Returns the number of mails queued.
    """
    now = now or utcnow()
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    domain = sender.rsplit("@", 1)[-1].rstrip(">") or "guichet.localhost"
    agents = (
        session.execute(
            select(User)
            .options(lazyload(User.family_records))
            .where(User.is_enabled.is_(True), User.role != Role.FAMILLE)
            .order_by(User.id)
        )
        .scalars()
        .all()
    )
    queued = 0
    for agent in agents:
        if not agent.groups:
            continue
        digest = build_digest(session, agent, now)
        ident = message_id(agent, digest.day, domain)
        if digest.is_empty or message_queued(session, ident):
            continue
        try:
            with session.begin_nested():
                queue_mail(
                    session,
                    "resume_quotidien",
                    agent.email,
                    message_id=ident,
                    agent=agent,
                    digest=digest,
                    now=now,
                )
                session.flush()
        except IntegrityError:  # another worker sent it a moment ago
            continue
        queued += 1
    log.info("Daily digest: %s mail(s) queued", queued)
    return queued


def run_digest(app: Flask) -> int:
    """The scheduler job (and `guichet resume envoyer`)."""
    from web.core.transaction import separate_unit_of_work

    with app.app_context(), separate_unit_of_work() as session:
        return send_digests(session)
