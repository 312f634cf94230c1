"""The service operations behind the reminder and escalation boundary timers (docs/guide-analyste.md)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from engine.db import utcnow
from engine.deadlines import (
    ESCALATED,
    ESCALATED_EVENT,
    REMINDED,
    REMINDED_EVENT,
    flag_open_agent_tasks,
)
from engine.execution import add_event
from engine.lint import REQUESTER_LANE
from engine.models import HumanTask, HumanTaskState, Visibility
from engine.runtime import ServiceContext, service
from web.accounts.models import AgentGroup, Role, User
from web.core.mail import queue_mail
from web.core.presentation import date_fr

log = logging.getLogger(__name__)

#: The public entry a family reads when its request is escalated.
LATE_MESSAGE = "Votre demande a pris du retard, elle reste traitée en priorité."
#: The internal note when a timer fires while the family has a question to answer.
WAITING_NOTE = (
    "En attente des compléments de la famille : la tâche des agents sera marquée « {flag} » à son retour."
)


def waiting_for_family(session: Session, instance_id: int, tasks: list[HumanTask]) -> bool:
    """True when no agent task is open and the family's task is (an ask-for-information loop)."""
    if tasks:
        return False
    return (
        session.execute(
            select(HumanTask.id).where(
                HumanTask.instance_id == instance_id,
                HumanTask.state == HumanTaskState.OPEN,
                HumanTask.lane == REQUESTER_LANE,
            )
        ).first()
        is not None
    )


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


def _mail_all(
    session: Session, template: str, people: Iterable[User], tasks: list[HumanTask], ctx: ServiceContext
) -> int:
    sent: set[str] = set()
    waiting = not tasks and waiting_for_family(session, ctx.instance.id, tasks)
    for person in people:
        if person.email in sent:
            continue
        sent.add(person.email)
        queue_mail(
            session,
            template,
            person.email,
            instance_id=ctx.instance.id,
            agent=person,
            tasks=tasks,
            instance=ctx.instance,
            demarche=ctx.instance.definition.title,
            deadline=date_fr(ctx.instance.deadline_at),
            waiting_for_family=waiting,
        )
    return len(sent)


def _lanes(tasks: list[HumanTask], ctx: ServiceContext) -> set[str]:
    """The lanes of the flagged tasks; when the task is written at the end of this step (a request
    filed after its reminder date), the lane of the service task itself."""
    lanes = {t.lane for t in tasks}
    if not lanes and ctx.lane:
        lanes.add(ctx.lane)
    return lanes


@service("tache_relancer")
def remind_agents(ctx: ServiceContext) -> dict[str, Any]:
    """Relance les agents : les tâches ouvertes des services sont marquées « relancée », une entrée
    interne est ajoutée à l'historique et un courriel de rappel part aux agents du couloir. Quand la
    demande attend les compléments de la famille, aucun courriel ne part : la tâche des agents sera
    marquée « relancée » quand la famille aura répondu."""
    tasks = list(flag_open_agent_tasks(ctx.session, ctx.instance.id, REMINDED, utcnow()))
    deadline = date_fr(ctx.instance.deadline_at)
    waiting = waiting_for_family(ctx.session, ctx.instance.id, tasks)
    add_event(
        ctx.session,
        ctx.instance,
        REMINDED_EVENT,
        f"Demande relancée : à traiter avant le {deadline}",
        visibility=Visibility.INTERNAL,
        comment=WAITING_NOTE.format(flag="relancée")
        if waiting
        else ", ".join(f"« {t.title} » ({t.lane})" for t in tasks) or None,
        role="Guichet",
    )
    if waiting:
        log.info("Démarche %s: reminder while the family has to answer, no mail", ctx.instance.reference)
        return {"relancees": 0, "agents": 0}
    mailed = _mail_all(ctx.session, "tache_relancee", agents_of(ctx.session, _lanes(tasks, ctx)), tasks, ctx)
    log.info(
        "Démarche %s: %s task(s) reminded, %s agent(s) mailed", ctx.instance.reference, len(tasks), mailed
    )
    return {"relancees": len(tasks), "agents": mailed}


@service("demande_escalader")
def escalate(ctx: ServiceContext) -> dict[str, Any]:
    """Signale une demande en retard (durée maximale atteinte) : ses tâches ouvertes sont marquées
    « en retard », une entrée interne et une entrée publique (« Votre demande a pris du retard, elle
    reste traitée en priorité. ») sont ajoutées, et un courriel part aux agents du couloir et aux
    administrateurs. La demande n'est pas clôturée. Quand elle attend les compléments de la famille,
    la tâche des agents sera marquée « en retard » quand la famille aura répondu."""
    tasks = list(flag_open_agent_tasks(ctx.session, ctx.instance.id, ESCALATED, utcnow()))
    waiting = waiting_for_family(ctx.session, ctx.instance.id, tasks)
    add_event(
        ctx.session,
        ctx.instance,
        ESCALATED_EVENT,
        "Demande en retard : durée maximale dépassée, à traiter en priorité",
        visibility=Visibility.INTERNAL,
        comment=WAITING_NOTE.format(flag="en retard")
        if waiting
        else ", ".join(f"« {t.title} » ({t.lane})" for t in tasks) or None,
        role="Guichet",
    )
    add_event(ctx.session, ctx.instance, "instance_delayed", LATE_MESSAGE, role="Guichet")
    people = [*agents_of(ctx.session, _lanes(tasks, ctx)), *admins(ctx.session)]
    mailed = _mail_all(ctx.session, "demande_en_retard", people, tasks, ctx)
    log.info(
        "Démarche %s escalated: %s task(s), %s person(s) mailed", ctx.instance.reference, len(tasks), mailed
    )
    return {"en_retard": len(tasks), "destinataires": mailed}
