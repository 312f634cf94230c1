"""Run an instance one step further: engine steps, status labels, inbox sync, save."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, inspect, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from . import durations
from . import stored_messages as stored
from .assigner import Assigner
from .db import utcnow
from .deadlines import NEW_TASK_VALUES, request_flags
from .errors import Conflict, ScriptError
from .events import Actor, add_event, event_values, lane_label
from .i18n import _
from .models import (
    REQUESTER_LANE,
    HistoryEvent,
    HumanTask,
    HumanTaskState,
    InstanceStatus,
    ProcessInstance,
    Visibility,
)
from .passages import PassageLog
from .queues import search_text
from .runtime import (
    BpmnWorkflow,
    GuichetScriptEngine,
    SpecBundle,
    TaskState,
    bundle_for,
    dump_workflow,
    load_workflow,
)
from .services import ServiceContext
from .stored_messages import french

__all__ = ["Actor", "Guest", "Runner", "add_event", "event_values", "lane_label", "lock_instance"]

#: Most elements one step may pass through without waiting for anyone. A loop made only of gateways
#: and events (no expression, so MAX_EVALUATIONS never counts it) is stopped by it with a French error;
#: SpiffWorkflow would run about 1000 tasks, then leave the request stalled with nothing to wait on
#: (set above what a loop of script tasks passes before MAX_EVALUATIONS stops it: test_script_failures).
MAX_AUTOMATIC_TASKS = 900


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
    """True when the user is the family, or the guest visitor, who started the instance."""
    if isinstance(user, Guest):
        return instance.guest_key_hash is not None and instance.guest_key_hash == user.key_hash
    return instance.requester_id is not None and user.id == instance.requester_id


# --- Statements built once: a prebuilt statement keeps its SQL cache key, which a statement built at
# each call computes again (≈ 5 × the execution cost of these one-row statements on SQLite).

_INSTANCES = ProcessInstance.__table__
_HUMAN_TASKS = HumanTask.__table__
_HISTORY = HistoryEvent.__table__
#: The instance's own columns, i.e. without the relationship to its (immutable) definition.
INSTANCE_COLUMNS = tuple(prop.key for prop in ProcessInstance.__mapper__.column_attrs)
if any(_INSTANCES.c[key] is not ProcessInstance.__mapper__.columns[key] for key in INSTANCE_COLUMNS):
    raise RuntimeError("process_instance: an attribute is named unlike its column")

#: The lock's no-op UPDATE, which also reads the instance's own columns back (RETURNING: SQLite
#: ≥ 3.35 and PostgreSQL), so that the lock and the fresh read are one statement.
_TOUCH_INSTANCE = (
    update(_INSTANCES)
    .where(_INSTANCES.c.id == bindparam("b_id"))
    .returning(*(_INSTANCES.c[key] for key in INSTANCE_COLUMNS))
)
_LOAD_INSTANCE = (
    select(ProcessInstance)
    .where(ProcessInstance.id == bindparam("b_id"))
    .execution_options(populate_existing=True)
)
#: Values given at execution form the SET clause.
WRITE_INSTANCE = update(_INSTANCES).where(
    _INSTANCES.c.id == bindparam("b_id"), _INSTANCES.c.lock_version == bindparam("b_version")
)
_OPEN_TASKS = select(_HUMAN_TASKS.c.id, _HUMAN_TASKS.c.spiff_task_id).where(
    _HUMAN_TASKS.c.instance_id == bindparam("b_instance_id"), _HUMAN_TASKS.c.state == HumanTaskState.OPEN
)
_INSERT_TASKS = insert(_HUMAN_TASKS)
_INSERT_EVENTS = insert(_HISTORY)


def lock_instance(session: Session, instance_id: int) -> ProcessInstance:
    """Take the instance's write lock for this transaction and return it freshly loaded.

    A no-op UPDATE takes the row lock on PostgreSQL and the write lock on SQLite; a concurrent
    transaction waits here, then sees the committed state of the winner. Only the instance's own
    columns are read again, by that UPDATE: its definition is immutable, so a definition already
    loaded is kept (else the instance is loaded with it).
    """
    row = session.execute(_TOUCH_INSTANCE, {"b_id": instance_id, "updated_at": utcnow()}).one_or_none()
    instance = session.identity_map.get(session.identity_key(ProcessInstance, (instance_id,)))
    if row is not None and instance is not None and "definition" in inspect(instance).dict:
        for key, value in zip(INSTANCE_COLUMNS, row, strict=True):
            set_committed_value(instance, key, value)
        return instance  # type: ignore[no-any-return]
    return session.execute(_LOAD_INSTANCE, {"b_id": instance_id}).scalar_one()


def bundle_of(instance: ProcessInstance) -> SpecBundle:
    definition = instance.definition
    return bundle_for(definition.id, definition.sha256, definition.bpmn_xml)


#: session.info key: {instance id: (lock_version, workflow)}, the workflow a read deserialised.
LOADED_WORKFLOWS = "guichet_loaded_workflows"


def open_workflow(
    session: Session,
    instance: ProcessInstance,
    actor: Actor | None,
    secrets: dict[str, Any] | None = None,
    *,
    read_only: bool = False,
) -> BpmnWorkflow:
    """The instance's workflow, with a script engine bound to this transaction and this actor.

    One deserialisation per step: a read (`read_only`: a task page, the dossier's data) keeps the
    workflow in the session for the step that follows in the same transaction; that step takes it
    (so a failed step never leaves a half-run workflow behind) when the instance has not changed
    since (same `lock_version`), else it deserialises the stored document again.
    """
    engine = GuichetScriptEngine(ServiceContext(session, instance, actor, dict(secrets or {})))
    loaded = session.info.setdefault(LOADED_WORKFLOWS, {})
    kept = loaded.get(instance.id) if read_only else loaded.pop(instance.id, None)
    if kept is not None and kept[0] == instance.lock_version:
        workflow = kept[1]
        workflow.script_engine = engine
        return workflow
    workflow = load_workflow(bundle_of(instance), instance.serialization, engine)
    if read_only:
        loaded[instance.id] = (instance.lock_version, workflow)
    return workflow


class Runner:
    """One unit of work on one instance: collects status changes while the engine runs.

    The step's writes are collected and made by `save` with SQLAlchemy Core: one INSERT per table
    for the history and the new inbox rows, and one UPDATE of the instance guarded by its
    `lock_version`. The ORM objects are kept in sync with what is written (committed values), so
    the rest of the session reads the new state without reloading it.
    """

    def __init__(
        self,
        session: Session,
        instance: ProcessInstance,
        workflow: BpmnWorkflow,
        actor: Actor | None,
        *,
        new: bool = False,
    ) -> None:
        self.session = session
        #: An instance inserted by this transaction has no inbox rows yet: nothing to read back.
        self.new = new
        self.instance = instance
        self.workflow = workflow
        self.actor = actor
        self.bundle = bundle_of(instance)
        self._values: dict[str, Any] = {}
        self._events: list[dict[str, Any]] = []
        self._new_tasks: list[dict[str, Any]] = []
        self._automatic = 0
        self.passages = PassageLog(instance)  # timers and automatic steps (engine/passages.py)
        # A step that failed and was rolled back may have left flags behind (engine/deadlines.py).
        session.info.get(NEW_TASK_VALUES, {}).pop(instance.id, None)

    def set(self, key: str, value: Any) -> None:
        """Change one column of the instance: visible on the object at once, written by `save`."""
        set_committed_value(self.instance, key, value)
        self._values[key] = value

    def add_event(
        self,
        event_type: str,
        label: str,
        *,
        visibility: Visibility = Visibility.PUBLIC,
        comment: str | None = None,
        actor: Actor | None = None,
        role: str | None = None,
    ) -> None:
        """Like `add_event`, the row being written by `save` with the step's other events."""
        self._events.append(
            event_values(
                self.instance.id,
                event_type,
                label,
                visibility=visibility,
                comment=comment,
                actor=actor,
                role=role,
            )
        )

    def note_status(self, bpmn_id: str | None, role: str | None = None) -> None:
        label = self.bundle.props(bpmn_id).get("statusLabel")
        if label and label != self.instance.status_label:
            self.set("status_label", label)
            self.add_event("status_changed", label, role=role)

    def _did_complete(self, task: Any) -> None:
        self._automatic += 1
        self.passages.completed(task)
        if self._automatic > MAX_AUTOMATIC_TASKS:
            name = getattr(task.task_spec, "bpmn_name", None) or task.task_spec.name
            raise ScriptError(
                french(stored.RUNAWAY_ELEMENTS, count=MAX_AUTOMATIC_TASKS, name=name), self.instance.id
            )
        self.note_status(getattr(task.task_spec, "bpmn_id", None), lane_label(task.task_spec.lane))

    def advance(self) -> None:
        """Run engine steps until the instance waits, then sync the inbox and save."""
        try:
            self.workflow.refresh_waiting_tasks()
            self.workflow.do_engine_steps(did_complete_task=self._did_complete)
        except ScriptError:
            raise
        except Exception as exc:
            raise ScriptError(french(stored.RUN_FAILED, detail=exc)) from exc
        with self.session.no_autoflush:
            self.sync_tasks()
        self.save()

    def sync_tasks(self) -> None:
        """Make the open human_task rows match the READY user tasks of the workflow."""
        ready = {str(t.id): t for t in self.workflow.get_tasks(state=TaskState.READY, manual=True)}
        open_rows = (
            [] if self.new else self.session.execute(_OPEN_TASKS, {"b_instance_id": self.instance.id}).all()
        )
        now = utcnow()
        gone = [row_id for row_id, spiff_id in open_rows if ready.pop(spiff_id, None) is None]
        if gone:
            # ORM-enabled, so that task objects already in the session see the new state.
            self.session.execute(
                update(HumanTask)
                .where(HumanTask.id.in_(gone))
                .values(state=HumanTaskState.CANCELLED, completed_at=now),
                execution_options={"synchronize_session": "evaluate"},
            )
        # Flags a service set during this step for agent tasks not written yet (engine/deadlines.py).
        pending = self.session.info.get(NEW_TASK_VALUES, {}).pop(self.instance.id, {})
        assigner = Assigner(self.session)
        if any((t.task_spec.lane or REQUESTER_LANE) != REQUESTER_LANE for t in ready.values()):
            # A request already reminded or escalated opens its new agent tasks flagged (first dates).
            pending = {**pending, **request_flags(self.session, self.instance.id)}
        for spiff_id, task in ready.items():
            props = self.bundle.props(task.task_spec.bpmn_id)
            lane = task.task_spec.lane or REQUESTER_LANE
            assignee = assigner.choose(lane)
            title = task.task_spec.bpmn_name or task.task_spec.name
            if assignee is not None:
                self.add_event(
                    "task_assigned",
                    french(stored.AUTO_ASSIGNED, title=title, name=assignee.name),
                    visibility=Visibility.INTERNAL,
                    role=lane_label(lane),
                )
            self._new_tasks.append(
                {
                    "reminded_at": None,
                    "escalated_at": None,
                    **(pending if lane != REQUESTER_LANE else {}),
                    "instance_id": self.instance.id,
                    "spiff_task_id": spiff_id,
                    "task_name": task.task_spec.name,
                    "title": title,
                    "form_key": props.get("formKey", ""),
                    "lane": lane,
                    "status_label": props.get("statusLabel", ""),
                    "state": HumanTaskState.OPEN,
                    "requester_id": self.instance.requester_id,
                    "assignee_id": assignee.id if assignee else None,
                    "assignee_name": assignee.name if assignee else None,
                    "claimed_at": now if assignee else None,
                    "created_at": now,
                    "due_at": self.instance.deadline_at,
                    "demarche_key": self.instance.definition.key,
                    "requester_name": self.instance.requester_name,
                    "search_text": search_text(self.instance.reference, self.instance.requester_name),
                }
            )
            self.note_status(task.task_spec.bpmn_id, lane_label(lane))

    def save(self) -> None:
        instance = self.instance
        now = utcnow()
        values = self._values
        values["serialization"] = dump_workflow(self.workflow)
        values["next_timer_at"] = next_timer(self.workflow)
        values["updated_at"] = now
        if self.workflow.is_completed() and instance.status == InstanceStatus.RUNNING:
            values["status"] = InstanceStatus.COMPLETED
            values["completed_at"] = now
            values["next_timer_at"] = None
            if self.bundle.props(self.bundle.process_id).get("effacerDonneesALaFin") == "oui":
                # Data minimisation: the typed data go, the timeline stays.
                values["serialization"] = ""
        state = inspect(instance)
        if state.modified:
            # Columns changed through the ORM during the step (a service setting requester_id).
            for key in INSTANCE_COLUMNS:
                if key not in values and state.attrs[key].history.added:
                    values[key] = getattr(instance, key)
        self._write_instance(values)
        if self._events:
            self.session.execute(_INSERT_EVENTS, self._events)
        if self._new_tasks:
            self.session.execute(_INSERT_TASKS, self._new_tasks)
        self.passages.write(self.session, self.workflow, instance.status != InstanceStatus.RUNNING)
        self._values, self._events, self._new_tasks, self.new = {}, [], [], False
        try:
            self.session.flush()  # what the services added (outbox rows, accounts)
        except StaleDataError:
            raise Conflict(_("Cette demande a été modifiée entre-temps ; rechargez la page.")) from None

    def _write_instance(self, values: dict[str, Any]) -> None:
        """UPDATE the instance if its lock_version is still the one read, then sync the object."""
        instance = self.instance
        version = instance.lock_version
        values["lock_version"] = version + 1
        result = self.session.execute(WRITE_INSTANCE, {**values, "b_id": instance.id, "b_version": version})
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(_("Cette demande a été modifiée entre-temps ; rechargez la page."))
        for key, value in values.items():
            set_committed_value(instance, key, value)


def next_timer(workflow: BpmnWorkflow) -> datetime | None:
    """The earliest due date among the workflow's waiting timer events."""
    due: list[datetime] = []
    for event in workflow.waiting_events():
        # DurationTimerEventDefinition, TimeDateEventDefinition (timeDate), CycleTimerEventDefinition
        if event.event_type.startswith(("Duration", "TimeDate", "Cycle")) and isinstance(event.value, str):
            try:
                due.append(durations.parse_datetime(event.value))
            except ValueError:
                continue
    return min(due) if due else None
