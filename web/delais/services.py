"""The service operations behind the reminder and escalation boundary timers (docs/guide-analyste.md)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from engine.api import InboxTask, ServiceContext, family_task_open
from web.accounts.models import AgentGroup, Role, User
from web.core.mail import queue_mail

log = logging.getLogger(__name__)


def N_(message: str) -> str:  # noqa: N802 - the usual gettext marker name
    """Marks a French text for the English catalogue: it is stored as is (the timeline keeps the French
    text) and translated where it is shown."""
    return message


#: The public entry a family reads when its request is escalated.
LATE_MESSAGE = N_("Votre demande a pris du retard, elle reste traitée en priorité.")
#: The internal note when a timer fires while the family has a question to answer.
WAITING_NOTE = (
    "En attente des compléments de la famille : la tâche des agents sera marquée « {flag} » à son retour."
)


def waiting_for_family(session: Session, instance_id: int, tasks: list[InboxTask]) -> bool:
    """True when no agent task is open and the family's task is (an ask-for-information loop)."""
    if tasks:
        return False
    return family_task_open(session, instance_id)


def agents_of(session: Session, lanes: Iterable[str]) -> list[User]:
    """The enabled agents of the groups named like these lanes."""
    names = sorted(set(lanes))
    if not names:
        return []
    return list(
        session.execute(
            select(User)
            .options(lazyload(User.agent_groups), lazyload(User.family_records))
            .where(User.is_enabled.is_(True), User.agent_groups.any(AgentGroup.name.in_(names)))
            .order_by(User.id)
        )
        .scalars()
        .all()
    )


def admins(session: Session) -> list[User]:
    return list(
        session.execute(
            select(User)
            .options(lazyload(User.agent_groups), lazyload(User.family_records))
            .where(User.is_enabled.is_(True), User.role == Role.ADMIN)
            .order_by(User.id)
        )
        .scalars()
        .all()
    )


def mail_all(
    session: Session, template: str, people: Iterable[User], tasks: list[InboxTask], ctx: ServiceContext
) -> int:
    sent: set[str] = set()
    waiting = not tasks and waiting_for_family(session, ctx.instance_id, tasks)
    for person in people:
        if person.email in sent:
            continue
        sent.add(person.email)
        queue_mail(
            session,
            template,
            person.email,
            instance_id=ctx.instance_id,
            agent=person,
            tasks=tasks,
            instance=ctx.view,
            demarche=ctx.demarche_title,
            deadline=ctx.deadline_at,
            waiting_for_family=waiting,
        )
    return len(sent)


def lanes_of_tasks(tasks: list[InboxTask], ctx: ServiceContext) -> set[str]:
    """The lanes of the flagged tasks; when the task is written at the end of this step (a request
    filed after its reminder date), the lane of the service task itself."""
    lanes = {t.lane for t in tasks}
    if not lanes and ctx.lane:
        lanes.add(ctx.lane)
    return lanes
