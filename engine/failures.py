"""A request whose diagram failed: marked « en erreur », the French message kept for the agents.

The step that failed is rolled back first (nothing half-saved); then, in a fresh transaction,
`record_failure` sets the instance's status to « error », adds the technical message to the internal
timeline (the agents' dossier) and a plain sentence to the public one (the family's page). When the
failure happened while the request was being started, the rolled-back instance no longer exists:
`record_start_failure` files an empty request in error instead, so that the family finds it in
« Mes demandes » and the failure is not lost.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .db import utcnow
from .execution import Guest, add_event, lock_instance
from .i18n import N_
from .models import InstanceStatus, ProcessDefinition, ProcessInstance, Visibility
from .references import next_reference

# Stored in French, translated where shown (engine/stored_messages.py).
ERROR_LABEL = N_("En erreur")
PUBLIC_LABEL = N_(
    "Erreur technique : la demande ne peut pas avancer pour le moment. Le service a été prévenu."
)
INTERNAL_LABEL = N_("Erreur dans le diagramme de la démarche : la demande est en erreur")


def _mark(session: Session, instance: ProcessInstance, message: str) -> ProcessInstance:
    instance.status = InstanceStatus.ERROR
    instance.status_label = ERROR_LABEL
    instance.next_timer_at = None
    instance.updated_at = utcnow()
    add_event(session, instance, "instance_failed", PUBLIC_LABEL, role=N_("Service"))
    add_event(
        session,
        instance,
        "instance_failed",
        INTERNAL_LABEL,
        visibility=Visibility.INTERNAL,
        comment=message[:2000],
    )
    session.flush()
    return instance


def record_failure(session: Session, instance_id: int, message: str) -> ProcessInstance | None:
    """Mark a stored request « en erreur » with `message`; None when it does not exist (any more)."""
    if session.get(ProcessInstance, instance_id) is None:
        return None
    return _mark(session, lock_instance(session, instance_id), message)


def record_start_failure(
    session: Session, demarche_key: str, requester: Any, message: str
) -> ProcessInstance | None:
    """File a request « en erreur » for a démarche that failed as it started (its start was rolled back)."""
    definition = session.execute(
        select(ProcessDefinition)
        .where(ProcessDefinition.key == demarche_key)
        .order_by(ProcessDefinition.version.desc())
        .limit(1)
    ).scalar_one_or_none()
    if definition is None or isinstance(requester, Guest) or requester.id is None:
        return None
    now = utcnow()
    instance = ProcessInstance(
        definition=definition,
        reference=next_reference(session, now.year),
        requester_id=requester.id,
        requester_name=requester.display_name[:200],
        status=InstanceStatus.ERROR,
        serialization="",
        created_at=now,
        updated_at=now,
    )
    session.add(instance)
    session.flush()
    add_event(session, instance, "instance_started", N_("Demande créée"), actor=requester, role=N_("Famille"))
    return _mark(session, instance, message)
