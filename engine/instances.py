"""A request's life outside its tasks: start, the family's list, its timeline, cancel, discard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from . import durations
from .access import get_instance
from .db import utcnow
from .definitions import latest_definition
from .documents import Document
from .errors import Conflict, NotAllowed, NotFound
from .events import Actor
from .execution import Guest, Runner, bundle_of, is_requester, lock_instance, open_workflow
from .i18n import N_, _
from .migration_apply import InstanceMigration
from .models import (
    HistoryEvent,
    HumanTask,
    InstanceStatus,
    OutboxMessage,
    OutboxStatus,
    ProcessDefinition,
    ProcessInstance,
    Visibility,
)
from .passages import ElementPassage
from .references import next_reference
from .runtime import GuichetScriptEngine, TaskState, new_workflow
from .services import ServiceContext
from .snapshots import InstanceView
from .stored_messages import FIXED, translate_role, translate_stored


def deadline_from(start: datetime, duration: str | None) -> datetime | None:
    if not duration:
        return None
    return durations.after(start, duration)


def start(
    session: Session, demarche_key: str, requester: Actor, data: dict[str, Any] | None = None
) -> ProcessInstance:
    """Start the latest published version of a démarche for a family and run it to its first wait."""
    definition = latest_definition(session, demarche_key)
    if definition is None:
        raise NotFound(_("Cette démarche n'existe pas ou n'est plus proposée."))
    now = utcnow()
    instance = ProcessInstance(
        definition=definition,
        requester_id=requester.id,
        requester_name="" if isinstance(requester, Guest) else requester.display_name[:200],
        guest_key_hash=requester.key_hash if isinstance(requester, Guest) else None,
        status=InstanceStatus.RUNNING,
        serialization="",
        created_at=now,
        updated_at=now,
        deadline_at=deadline_from(now, definition.max_duration),
    )
    session.add(instance)
    session.flush()
    workflow = new_workflow(
        bundle_of(instance), GuichetScriptEngine(ServiceContext(session, instance, requester))
    )
    runner = Runner(session, instance, workflow, requester, new=True)
    runner.set("reference", next_reference(session, now.year))
    start_task = workflow.get_tasks(state=TaskState.READY)[0]
    start_task.data.update(data or {})
    start_task.data["demandeur_id"] = requester.id
    start_task.data["reference"] = instance.reference
    if instance.deadline_at is not None:  # for the timers of engine/deadlines.py
        start_task.data["date_limite"] = instance.deadline_at.isoformat()
    runner.add_event("instance_started", N_("Demande créée"), actor=requester, role=N_("Famille"))
    runner.advance()
    return instance


@dataclass(frozen=True)
class RequestView:
    """One of a family's requests, as « Mes demandes » lists it."""

    id: int
    reference: str
    demarche_key: str
    demarche_title: str
    status: str
    status_label: str
    created_at: datetime
    submitted_at: datetime | None
    deadline_at: datetime | None
    completed_at: datetime | None


def instances_for(session: Session, requester_id: int) -> list[RequestView]:
    """The family's démarches, newest first (one query, the démarche's title joined)."""
    rows = session.execute(
        select(
            ProcessInstance.id,
            ProcessInstance.reference,
            ProcessDefinition.key,
            ProcessDefinition.title,
            ProcessInstance.status,
            ProcessInstance.status_label,
            ProcessInstance.created_at,
            ProcessInstance.submitted_at,
            ProcessInstance.deadline_at,
            ProcessInstance.completed_at,
        )
        .join(ProcessDefinition, ProcessInstance.definition_id == ProcessDefinition.id)
        .where(ProcessInstance.requester_id == requester_id)
        .order_by(ProcessInstance.created_at.desc(), ProcessInstance.id.desc())
    ).all()
    return [RequestView(row[0], row[1] or "", *row[2:]) for row in rows]


@dataclass(frozen=True)
class HistoryEntry:
    """One entry of a request's timeline (« Historique »)."""

    id: int
    instance_id: int
    created_at: datetime
    event_type: str
    visibility: str
    label: str
    comment: str | None
    actor_id: int | None
    actor_name: str | None
    actor_role: str | None


def history(
    session: Session, instance: ProcessInstance | InstanceView, *, include_internal: bool = False
) -> list[HistoryEntry]:
    """The instance's timeline, oldest first; internal entries only for agents."""
    query = select(HistoryEvent).where(HistoryEvent.instance_id == instance.id)
    if not include_internal:
        query = query.where(HistoryEvent.visibility == Visibility.PUBLIC)
    events = session.execute(query.order_by(HistoryEvent.created_at, HistoryEvent.id)).scalars()
    return [
        HistoryEntry(
            e.id,
            e.instance_id,
            e.created_at,
            e.event_type,
            e.visibility,
            _shown_label(e),
            translate_stored(e.comment) if e.event_type in ENGINE_COMMENTS else e.comment,
            e.actor_id,
            e.actor_name,
            translate_role(e.actor_role),
        )
        for e in events
    ]


#: Timeline entries whose comment the engine wrote (the others are what a person typed).
ENGINE_COMMENTS = frozenset({"instance_failed", "instance_migrated", "instance_migration_undone"})


def _shown_label(event: HistoryEvent) -> str:
    """The entry's label in the reader's language: a status set in the diagram stays as written."""
    if event.event_type == "status_changed" and event.label not in FIXED:
        return event.label
    return translate_stored(event.label) or event.label


CANCELLED_LABEL = N_("Annulée")


def cancel(session: Session, instance_id: int, user: Actor, reason: str | None = None) -> ProcessInstance:
    """The family withdraws its own running request: the workflow is cancelled, its tasks closed.

    Only the requester may cancel (another family: NotFound; an agent who sees the request:
    NotAllowed); a request that is no longer running raises Conflict. The public timeline records
    « Demande annulée par la famille » with the reason, and the status becomes « Annulée ».
    """
    instance = get_instance(session, instance_id, user)
    if not is_requester(user, instance):
        raise NotAllowed(_("Seule la famille qui a déposé la demande peut l'annuler."))
    instance = lock_instance(session, instance_id)
    if instance.status != InstanceStatus.RUNNING:
        raise Conflict(_("Cette demande n'est plus en cours : elle ne peut plus être annulée."))
    workflow = open_workflow(session, instance, user)
    workflow.cancel()
    runner = Runner(session, instance, workflow, user)
    runner.set("status", InstanceStatus.CANCELLED)
    runner.set("completed_at", utcnow())
    runner.set("status_label", CANCELLED_LABEL)
    runner.add_event(
        "instance_cancelled",
        N_("Demande annulée par la famille"),
        comment=(reason or "").strip() or None,
        actor=user,
        role=N_("Famille"),
    )
    with session.no_autoflush:
        runner.sync_tasks()  # no READY task is left: every open inbox row becomes cancelled
    runner.save()
    return instance


def discard(session: Session, instance: ProcessInstance) -> None:
    """Delete an instance with its tasks, timeline, documents and unsent mails (an abandoned signup draft)."""
    session.execute(delete(Document).where(Document.instance_id == instance.id))
    session.execute(delete(HumanTask).where(HumanTask.instance_id == instance.id))
    session.execute(delete(HistoryEvent).where(HistoryEvent.instance_id == instance.id))
    session.execute(delete(InstanceMigration).where(InstanceMigration.instance_id == instance.id))
    session.execute(delete(ElementPassage).where(ElementPassage.instance_id == instance.id))
    session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.instance_id == instance.id, OutboxMessage.status == OutboxStatus.PENDING
        )
    )
    session.execute(
        update(OutboxMessage).where(OutboxMessage.instance_id == instance.id).values(instance_id=None)
    )
    session.delete(instance)
    session.flush()
