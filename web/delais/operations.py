"""The BPMN service operations of the deadlines: `tache_relancer` (reminder), `demande_escalader`.

Démarches that call them (boundary timers before and at their maximum duration):
changement_adresse, changement_telephone. Registered by `web.app.discover_operations`.
"""

from __future__ import annotations

import logging
from typing import Any

from engine.api import (
    ESCALATED,
    ESCALATED_EVENT,
    REMINDED,
    REMINDED_EVENT,
    ServiceContext,
    Visibility,
    service,
)
from engine.db import utcnow
from web.core.presentation import date_fr
from web.delais.services import (
    LATE_MESSAGE,
    N_,
    WAITING_NOTE,
    admins,
    agents_of,
    lanes_of_tasks,
    mail_all,
    waiting_for_family,
)

DEMARCHES = ("changement_adresse", "changement_telephone")

log = logging.getLogger(__name__)


@service("tache_relancer")
def tache_relancer(ctx: ServiceContext) -> dict[str, Any]:
    """Relance les agents : les tâches ouvertes des services sont marquées « relancée », une entrée
    interne est ajoutée à l'historique et un courriel de rappel part aux agents du couloir. Quand la
    demande attend les compléments de la famille, aucun courriel ne part : la tâche des agents sera
    marquée « relancée » quand la famille aura répondu."""
    tasks = list(ctx.flag_open_agent_tasks(REMINDED, utcnow()))
    deadline = date_fr(ctx.deadline_at)
    waiting = waiting_for_family(ctx.session, ctx.instance_id, tasks)
    ctx.add_event(
        REMINDED_EVENT,
        f"Demande relancée : à traiter avant le {deadline}",
        visibility=Visibility.INTERNAL,
        comment=WAITING_NOTE.format(flag="relancée")
        if waiting
        else ", ".join(f"« {t.title} » ({t.lane})" for t in tasks) or None,
        role="Guichet",
    )
    if waiting:
        log.info("Démarche %s: reminder while the family has to answer, no mail", ctx.reference)
        return {"relancees": 0, "agents": 0}
    mailed = mail_all(
        ctx.session, "tache_relancee", agents_of(ctx.session, lanes_of_tasks(tasks, ctx)), tasks, ctx
    )
    log.info("Démarche %s: %s task(s) reminded, %s agent(s) mailed", ctx.reference, len(tasks), mailed)
    return {"relancees": len(tasks), "agents": mailed}


@service("demande_escalader")
def demande_escalader(ctx: ServiceContext) -> dict[str, Any]:
    """Signale une demande en retard (durée maximale atteinte) : ses tâches ouvertes sont marquées
    « en retard », une entrée interne et une entrée publique (« Votre demande a pris du retard, elle
    reste traitée en priorité. ») sont ajoutées, et un courriel part aux agents du couloir et aux
    administrateurs. La demande n'est pas clôturée. Quand elle attend les compléments de la famille,
    la tâche des agents sera marquée « en retard » quand la famille aura répondu."""
    tasks = list(ctx.flag_open_agent_tasks(ESCALATED, utcnow()))
    waiting = waiting_for_family(ctx.session, ctx.instance_id, tasks)
    ctx.add_event(
        ESCALATED_EVENT,
        N_("Demande en retard : durée maximale dépassée, à traiter en priorité"),
        visibility=Visibility.INTERNAL,
        comment=WAITING_NOTE.format(flag="en retard")
        if waiting
        else ", ".join(f"« {t.title} » ({t.lane})" for t in tasks) or None,
        role="Guichet",
    )
    ctx.add_event("instance_delayed", LATE_MESSAGE, role="Guichet")
    people = [*agents_of(ctx.session, lanes_of_tasks(tasks, ctx)), *admins(ctx.session)]
    mailed = mail_all(ctx.session, "demande_en_retard", people, tasks, ctx)
    log.info("Démarche %s escalated: %s task(s), %s person(s) mailed", ctx.reference, len(tasks), mailed)
    return {"en_retard": len(tasks), "destinataires": mailed}
