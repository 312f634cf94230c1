"""Run an instance one step further: engine steps, status labels, inbox sync, save."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from .db import utcnow
from .errors import Conflict, ScriptError
from .lint import REQUESTER_LANE
from .models import HistoryEvent, HumanTask, HumanTaskState, InstanceStatus, ProcessInstance, Visibility
from .runtime import GuichetScriptEngine, ServiceContext, SpecBundle, bundle_for, dump_workflow, load_workflow


class Actor(Protocol):
    """Who acts: a family member (the requester), a guest visitor, or an agent with groups."""

    @property
    def id(self) -> int | None: ...

    @property
    def display_name(self) -> str: ...

    @property
    def groups(self) -> frozenset[str]: ...


@dataclass(frozen=True)
class Guest:
    """An anonymous visitor running a démarche (signup, forgotten password).

    They are recognised by a random secret kept in their session; the instance stores only its hash.
    """

    key: str
    display_name: str = "Visiteur"
    groups: frozenset[str] = frozenset()

    @property
    def id(self) -> None:
        return None

    @property
    def key_hash(self) -> str:
        return hashlib.sha256(self.key.encode()).hexdigest()

    @staticmethod
    def new() -> Guest:
        return Guest(secrets.token_urlsafe(32))


def is_requester(user: Actor, instance: ProcessInstance) -> bool:
    """True when the user is the family (or the guest) who started the instance."""
    if instance.requester_id is not None:
        return user.id == instance.requester_id
    return isinstance(user, Guest) and instance.guest_key_hash == user.key_hash


def lane_label(lane: str | None) -> str:
    """The role name a family sees for a lane ("Service Accueil")."""
    if not lane or lane == REQUESTER_LANE:
        return "Famille"
    return f"Service {lane}"


def add_event(
    session: Session,
    instance: ProcessInstance,
    event_type: str,
    label: str,
    *,
    visibility: Visibility = Visibility.PUBLIC,
    comment: str | None = None,
    actor: Actor | None = None,
    role: str | None = None,
) -> HistoryEvent:
    """Append one timeline entry (event types are `subject_past_tense_verb`)."""
    event = HistoryEvent(
        instance_id=instance.id,
        created_at=utcnow(),
        event_type=event_type,
        visibility=visibility,
        label=label[:300],
        comment=comment,
        actor_id=actor.id if actor else None,
        actor_name=actor.display_name if actor else None,
        actor_role=role,
    )
    session.add(event)
    return event


def lock_instance(session: Session, instance_id: int) -> ProcessInstance:
    """Take the instance's write lock for this transaction and return it freshly loaded.

    A no-op UPDATE takes the row lock on PostgreSQL and the write lock on SQLite; a concurrent
    transaction waits here, then sees the committed state of the winner.
    """
    session.execute(
        update(ProcessInstance.__table__)  # type: ignore[arg-type]
        .where(ProcessInstance.__table__.c.id == instance_id)
        .values(updated_at=utcnow())
    )
    instance = session.execute(
        select(ProcessInstance)
        .where(ProcessInstance.id == instance_id)
        .execution_options(populate_existing=True)
    ).scalar_one()
    return instance


def bundle_of(instance: ProcessInstance) -> SpecBundle:
    definition = instance.definition
    return bundle_for(definition.id, definition.sha256, definition.bpmn_xml)


def open_workflow(
    session: Session, instance: ProcessInstance, actor: Actor | None, secrets: dict[str, Any] | None = None
) -> BpmnWorkflow:
    """Deserialise an instance's workflow with a script engine bound to this transaction."""
    engine = GuichetScriptEngine(ServiceContext(session, instance, actor, dict(secrets or {})))
    return load_workflow(bundle_of(instance), instance.serialization, engine)


class Runner:
    """One unit of work on one instance: collects status changes while the engine runs."""

    def __init__(
        self, session: Session, instance: ProcessInstance, workflow: BpmnWorkflow, actor: Actor | None
    ) -> None:
        self.session = session
        self.instance = instance
        self.workflow = workflow
        self.actor = actor
        self.bundle = bundle_of(instance)

    def note_status(self, bpmn_id: str | None, role: str | None = None) -> None:
        label = self.bundle.props(bpmn_id).get("statusLabel")
        if label and label != self.instance.status_label:
            self.instance.status_label = label
            add_event(self.session, self.instance, "status_changed", label, role=role)

    def _did_complete(self, task: Any) -> None:
        self.note_status(getattr(task.task_spec, "bpmn_id", None), lane_label(task.task_spec.lane))

    def advance(self) -> None:
        """Run engine steps until the instance waits, then sync the inbox and save."""
        try:
            self.workflow.refresh_waiting_tasks()
            self.workflow.do_engine_steps(did_complete_task=self._did_complete)
        except ScriptError:
            raise
        except Exception as exc:
            raise ScriptError(f"Erreur d'exécution de la démarche : {exc}") from exc
        self.sync_tasks()
        self.save()

    def sync_tasks(self) -> None:
        """Make the open human_task rows match the READY user tasks of the workflow."""
        ready = {str(t.id): t for t in self.workflow.get_tasks(state=TaskState.READY, manual=True)}
        open_rows = self.session.execute(
            select(HumanTask).where(
                HumanTask.instance_id == self.instance.id, HumanTask.state == HumanTaskState.OPEN
            )
        ).scalars()
        now = utcnow()
        for row in open_rows:
            if row.spiff_task_id not in ready:
                row.state = HumanTaskState.CANCELLED
                row.completed_at = now
            else:
                del ready[row.spiff_task_id]
        for spiff_id, task in ready.items():
            props = self.bundle.props(task.task_spec.bpmn_id)
            row = HumanTask(
                instance_id=self.instance.id,
                spiff_task_id=spiff_id,
                task_name=task.task_spec.name,
                title=task.task_spec.bpmn_name or task.task_spec.name,
                form_key=props.get("formKey", ""),
                lane=task.task_spec.lane or REQUESTER_LANE,
                status_label=props.get("statusLabel", ""),
                state=HumanTaskState.OPEN,
                requester_id=self.instance.requester_id,
                created_at=now,
                due_at=self.instance.deadline_at,
            )
            self.session.add(row)
            self.note_status(task.task_spec.bpmn_id, lane_label(row.lane))

    def save(self) -> None:
        instance = self.instance
        instance.serialization = dump_workflow(self.workflow)
        instance.next_timer_at = next_timer(self.workflow)
        instance.updated_at = utcnow()
        if self.workflow.is_completed() and instance.status == InstanceStatus.RUNNING:
            instance.status = InstanceStatus.COMPLETED
            instance.completed_at = instance.updated_at
            instance.next_timer_at = None
            if self.bundle.props(self.bundle.process_id).get("effacerDonneesALaFin") == "oui":
                # Data minimisation: the typed data go, the timeline stays.
                instance.serialization = ""
        try:
            self.session.flush()
        except StaleDataError:
            raise Conflict("Cette demande a été modifiée entre-temps ; rechargez la page.") from None


def next_timer(workflow: BpmnWorkflow) -> datetime | None:
    """The earliest due date among the workflow's waiting timer events."""
    due: list[datetime] = []
    for event in workflow.waiting_events():
        if "Timer" in event.event_type and isinstance(event.value, str):
            try:
                due.append(TimerEventDefinition.get_datetime(event.value))
            except ValueError:
                continue
    return min(due) if due else None
