"""The engine's public API: the only door to SpiffWorkflow for the rest of Guichet.

Every function takes an open SQLAlchemy session and explicit users, only flushes, and leaves the
commit to the caller (a view, a CLI command, a scheduled job), so that one transaction holds the
business change, the instance, the inbox, the history and the outbox rows. The exceptions are
`fire_due_timers` and `drain_outbox`, which are jobs and own their transactions.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from . import outbox
from .assignment import (
    BulkResult,
    agent_task,
    assign,
    bulk_claim,
    claim,
    refuse_if_claimed_by_other,
    release,
)
from .db import utcnow
from .errors import Conflict, NotAllowed, NotFound
from .execution import (
    Actor,
    Guest,
    Runner,
    add_event,
    bundle_of,
    is_requester,
    lane_label,
    lock_instance,
    open_workflow,
)
from .lint import REQUESTER_LANE, LintContext
from .models import (
    HistoryEvent,
    HumanTask,
    HumanTaskState,
    InstanceStatus,
    OutboxMessage,
    OutboxStatus,
    ProcessDefinition,
    ProcessInstance,
    Visibility,
)
from .queues import (
    Assignment,
    ClosedRow,
    QueuePage,
    QueueQuery,
    QueueRow,
    SortKey,
    iter_closed,
    iter_queue,
    neighbour,
    queue_counts,
    queue_page,
    status_labels,
)
from .references import next_reference
from .runtime import (
    GuichetScriptEngine,
    ServiceContext,
    find_process,
    new_workflow,
)
from .validation import checked_bundle

log = logging.getLogger(__name__)

__all__ = [
    "Assignment",
    "BulkResult",
    "ClosedRow",
    "Guest",
    "LintContext",
    "QueuePage",
    "QueueQuery",
    "QueueRow",
    "SortKey",
    "TaskView",
    "agent_task",
    "assign",
    "bulk_claim",
    "cancel",
    "claim",
    "complete",
    "deploy",
    "discard",
    "drain_outbox",
    "fire_due_timers",
    "get_instance",
    "get_task",
    "history",
    "instances_for",
    "iter_closed",
    "iter_queue",
    "neighbour",
    "queue_counts",
    "queue_for",
    "queue_page",
    "release",
    "start",
    "status_labels",
    "tasks_for",
]


@dataclass(frozen=True)
class TaskView:
    """What a task page needs, without SpiffWorkflow objects."""

    id: int
    instance_id: int
    reference: str
    demarche_title: str
    title: str
    form_key: str
    lane: str
    status_label: str
    data: dict[str, Any]


def deploy(session: Session, bpmn: bytes, author: str, ctx: LintContext) -> ProcessDefinition:
    """Validate, lint and store a BPMN file as the next immutable version of its démarche.

    Raises DeployError with one French message per problem. Deploying the same bytes as the
    latest version returns that version instead of creating a new one.
    """
    root, bundle = checked_bundle(bpmn, ctx)  # the studio's checks (engine/validation.py)
    digest = hashlib.sha256(bpmn).hexdigest()
    latest = latest_definition(session, bundle.process_id)
    if latest is not None and latest.sha256 == digest:
        return latest
    process_props = bundle.props(bundle.process_id)
    process = find_process(root, bundle.process_id)
    definition = ProcessDefinition(
        key=bundle.process_id,
        version=(latest.version + 1) if latest else 1,
        title=(process.get("name") if process is not None else None) or bundle.process_id,
        description=process_props.get("description", ""),
        max_duration=process_props.get("dureeMaximale"),
        bpmn_xml=bpmn.decode("utf-8"),
        sha256=digest,
        author=author,
        created_at=utcnow(),
    )
    session.add(definition)
    session.flush()
    log.info("Deployed %s v%s by %s", definition.key, definition.version, author)
    return definition


# Built once, like the statements of engine.execution: a prebuilt statement keeps its cache key.
_LATEST_DEFINITION = (
    select(ProcessDefinition)
    .where(ProcessDefinition.key == bindparam("b_key"), ProcessDefinition.is_published.is_(True))
    .order_by(ProcessDefinition.version.desc())
    .limit(1)
)


def latest_definition(session: Session, key: str) -> ProcessDefinition | None:
    return session.execute(_LATEST_DEFINITION, {"b_key": key}).scalar_one_or_none()


def published_definitions(session: Session) -> Sequence[ProcessDefinition]:
    """The latest published version of every démarche, by title."""
    latest = (
        select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("version"))
        .where(ProcessDefinition.is_published.is_(True))
        .group_by(ProcessDefinition.key)
        .subquery()
    )
    return (
        session.execute(
            select(ProcessDefinition)
            .join(
                latest,
                (ProcessDefinition.key == latest.c.key) & (ProcessDefinition.version == latest.c.version),
            )
            .order_by(ProcessDefinition.title)
        )
        .scalars()
        .all()
    )


def _deadline(start: datetime, duration: str | None) -> datetime | None:
    if not duration:
        return None
    parsed = TimerEventDefinition.parse_iso_duration(duration)
    return start + TimerEventDefinition.get_timedelta_from_start(parsed, start)


def start(
    session: Session, demarche_key: str, requester: Actor, data: dict[str, Any] | None = None
) -> ProcessInstance:
    """Start the latest published version of a démarche for a family and run it to its first wait."""
    definition = latest_definition(session, demarche_key)
    if definition is None:
        raise NotFound("Cette démarche n'existe pas ou n'est plus proposée.")
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
        deadline_at=_deadline(now, definition.max_duration),
    )
    session.add(instance)
    session.flush()
    workflow = new_workflow(
        bundle_of(instance), GuichetScriptEngine(ServiceContext(session, instance, requester))
    )
    runner = Runner(session, instance, workflow, requester)
    runner.set("reference", next_reference(session, now.year))
    start_task = workflow.get_tasks(state=TaskState.READY)[0]
    start_task.data.update(data or {})
    start_task.data["demandeur_id"] = requester.id
    start_task.data["reference"] = instance.reference
    if instance.deadline_at is not None:  # for the timers of engine/deadlines.py
        start_task.data["date_limite"] = instance.deadline_at.isoformat()
    runner.add_event("instance_started", "Demande créée", actor=requester, role="Famille")
    runner.advance()
    return instance


def may_act(user: Actor, task: HumanTask) -> bool:
    """The requester acts in the Famille lane; agents act in the lanes of their groups."""
    if task.lane == REQUESTER_LANE:
        # Once a guest's démarche belongs to an account (signup), only that account may act on it.
        if isinstance(user, Guest) and task.instance.requester_id is not None:
            return False
        return is_requester(user, task.instance)
    return task.lane in user.groups


def _task_for(session: Session, task_id: int, user: Actor) -> HumanTask:
    """Load a task the user may act on; a family never learns that another family's task exists."""
    task = session.get(HumanTask, task_id)
    if task is not None and may_act(user, task):
        return task
    if task is not None and task.lane != REQUESTER_LANE and user.groups:
        raise NotAllowed("Cette tâche relève d'un autre service.")
    raise NotFound("Cette tâche n'existe pas.")


def get_task(session: Session, task_id: int, user: Actor) -> TaskView:
    """Return an open task the user may act on, with the data its form starts from."""
    task = _task_for(session, task_id, user)
    if task.state != HumanTaskState.OPEN:
        raise Conflict("Cette tâche a déjà été traitée.")
    instance = task.instance
    workflow = open_workflow(session, instance, user)
    spiff_task = workflow.get_task_from_id(UUID(task.spiff_task_id))
    return TaskView(
        id=task.id,
        instance_id=instance.id,
        reference=instance.reference or "",
        demarche_title=instance.definition.title,
        title=task.title,
        form_key=task.form_key,
        lane=task.lane,
        status_label=instance.status_label,
        data=dict(spiff_task.data),
    )


_TASKS = HumanTask.__table__
_TASK_STATE = select(_TASKS.c.state, _TASKS.c.assignee_id, _TASKS.c.assignee_name).where(
    _TASKS.c.id == bindparam("b_id")
)
#: Values given at execution form the SET clause.
_WRITE_TASK = update(_TASKS).where(_TASKS.c.id == bindparam("b_id"))


def complete(
    session: Session,
    task_id: int,
    user: Actor,
    data: dict[str, Any],
    *,
    public_comment: str | None = None,
    internal_comment: str | None = None,
    secrets: dict[str, Any] | None = None,
) -> HumanTask:
    """Complete a user task with the form's data and run the instance to its next wait.

    `secrets` (e.g. a password hash) reach the service tasks run by this call through their
    ServiceContext and are never written to the workflow. Raises NotFound, NotAllowed, Conflict
    (already completed, completed concurrently, or claimed by a colleague: engine/assignment.py),
    or ScriptError when the diagram fails; the caller must then roll back.
    """
    task = _task_for(session, task_id, user)
    instance = lock_instance(session, task.instance_id)
    # Only the task's state and claim are read again: whoever held the lock may have changed them.
    state, assignee_id, assignee_name = session.execute(_TASK_STATE, {"b_id": task.id}).one()
    set_committed_value(task, "state", state)
    if task.state != HumanTaskState.OPEN:
        raise Conflict("Cette tâche a déjà été traitée ; la demande a avancé depuis l'ouverture de la page.")
    refuse_if_claimed_by_other(assignee_id, assignee_name, user)
    workflow = open_workflow(session, instance, user, secrets)
    spiff_task = workflow.get_task_from_id(UUID(task.spiff_task_id))
    if spiff_task is None or spiff_task.state != TaskState.READY:
        raise Conflict("Cette tâche n'est plus à traiter.")
    now = utcnow()
    # The family sends its first step: the request is filed now, and its deadline counts from now.
    filing = task.lane == REQUESTER_LANE and instance.submitted_at is None
    deadline = _deadline(now, instance.definition.max_duration) if filing else None
    spiff_task.data.update(data)
    if deadline is not None:  # the timers of engine/deadlines.py are dated from it
        spiff_task.data["date_limite"] = deadline.isoformat()
    spiff_task.run()
    done = {"state": HumanTaskState.COMPLETED, "completed_at": now, "completed_by_id": user.id}
    done["draft"] = None  # a sent task keeps no draft
    session.execute(_WRITE_TASK, {**done, "b_id": task.id})
    for key, value in done.items():
        set_committed_value(task, key, value)
    runner = Runner(session, instance, workflow, user)
    if filing:
        runner.set("submitted_at", now)
        runner.set("deadline_at", deadline)
    role = lane_label(task.lane)
    runner.add_event(
        "task_completed",
        f"« {task.title} » traitée",
        visibility=Visibility.INTERNAL,
        actor=user,
        role=role,
    )
    if public_comment:
        runner.add_event(
            "comment_added",
            "Message de la famille" if task.lane == REQUESTER_LANE else "Message du service",
            comment=public_comment,
            actor=user,
            role=role,
        )
    if internal_comment:
        runner.add_event(
            "comment_added",
            "Commentaire interne",
            comment=internal_comment,
            visibility=Visibility.INTERNAL,
            actor=user,
            role=role,
        )
    runner.advance()
    return task


def tasks_for(session: Session, user: Actor) -> Sequence[HumanTask]:
    """The family's (or the guest's) open tasks in their own démarches, Famille lane."""
    query = select(HumanTask).where(HumanTask.lane == REQUESTER_LANE, HumanTask.state == HumanTaskState.OPEN)
    if isinstance(user, Guest):
        query = query.join(ProcessInstance).where(
            ProcessInstance.requester_id.is_(None), ProcessInstance.guest_key_hash == user.key_hash
        )
    else:
        query = query.where(HumanTask.requester_id == user.id)
    return session.execute(query.order_by(HumanTask.created_at, HumanTask.id)).scalars().all()


@dataclass(frozen=True)
class QueueFilters:
    demarche: str | None = None
    assigned_to: int | None = None
    page: int = 1
    per_page: int = 50


def queue_for(
    session: Session, groups: frozenset[str], filters: QueueFilters | None = None
) -> tuple[Sequence[HumanTask], int]:
    """Open agent tasks of the given groups, oldest first, one page, plus the total count."""
    filters = filters or QueueFilters()
    conditions = [HumanTask.state == HumanTaskState.OPEN, HumanTask.lane.in_(sorted(groups))]
    if filters.assigned_to is not None:
        conditions.append(HumanTask.assignee_id == filters.assigned_to)
    query = select(HumanTask).where(*conditions)
    if filters.demarche:
        query = (
            query.join(ProcessInstance)
            .join(ProcessDefinition)
            .where(ProcessDefinition.key == filters.demarche)
        )
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    page = max(filters.page, 1)
    rows = (
        session.execute(
            query.order_by(HumanTask.created_at, HumanTask.id)
            .offset((page - 1) * filters.per_page)
            .limit(filters.per_page)
        )
        .scalars()
        .all()
    )
    return rows, total


def instances_for(session: Session, requester_id: int) -> Sequence[ProcessInstance]:
    """The family's démarches, newest first."""
    return (
        session.execute(
            select(ProcessInstance)
            .where(ProcessInstance.requester_id == requester_id)
            .order_by(ProcessInstance.created_at.desc(), ProcessInstance.id.desc())
        )
        .scalars()
        .all()
    )


def get_instance(session: Session, instance_id: int, user: Actor) -> ProcessInstance:
    """An instance the user may see: the family's own, or one with a task in the agent's groups."""
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound("Cette demande n'existe pas.")
    if is_requester(user, instance):
        return instance
    if user.groups:
        in_my_lanes = session.execute(
            select(HumanTask.id)
            .where(HumanTask.instance_id == instance_id, HumanTask.lane.in_(sorted(user.groups)))
            .limit(1)
        ).first()
        if in_my_lanes:
            return instance
    raise NotFound("Cette demande n'existe pas.")


def history(
    session: Session, instance: ProcessInstance, *, include_internal: bool = False
) -> Sequence[HistoryEvent]:
    """The instance's timeline, oldest first; internal entries only for agents."""
    query = select(HistoryEvent).where(HistoryEvent.instance_id == instance.id)
    if not include_internal:
        query = query.where(HistoryEvent.visibility == Visibility.PUBLIC)
    return session.execute(query.order_by(HistoryEvent.created_at, HistoryEvent.id)).scalars().all()


CANCELLED_LABEL = "Annulée"


def cancel(session: Session, instance_id: int, user: Actor, reason: str | None = None) -> ProcessInstance:
    """The family withdraws its own running request: the workflow is cancelled, its tasks closed.

    Only the requester may cancel (another family: NotFound; an agent who sees the request:
    NotAllowed); a request that is no longer running raises Conflict. The public timeline records
    « Demande annulée par la famille » with the reason, and the status becomes « Annulée ».
    """
    instance = get_instance(session, instance_id, user)
    if not is_requester(user, instance):
        raise NotAllowed("Seule la famille qui a déposé la demande peut l'annuler.")
    instance = lock_instance(session, instance_id)
    if instance.status != InstanceStatus.RUNNING:
        raise Conflict("Cette demande n'est plus en cours : elle ne peut plus être annulée.")
    workflow = open_workflow(session, instance, user)
    workflow.cancel()
    runner = Runner(session, instance, workflow, user)
    runner.set("status", InstanceStatus.CANCELLED)
    runner.set("completed_at", utcnow())
    runner.set("status_label", CANCELLED_LABEL)
    runner.add_event(
        "instance_cancelled",
        "Demande annulée par la famille",
        comment=(reason or "").strip() or None,
        actor=user,
        role="Famille",
    )
    with session.no_autoflush:
        runner.sync_tasks()  # no READY task is left: every open inbox row becomes cancelled
    runner.save()
    return instance


def discard(session: Session, instance: ProcessInstance) -> None:
    """Delete an instance with its tasks, timeline, documents and unsent mails (an abandoned signup draft)."""
    from .documents import Document  # documents.py imports this module lazily; keep the cycle out

    session.execute(delete(Document).where(Document.instance_id == instance.id))
    session.execute(delete(HumanTask).where(HumanTask.instance_id == instance.id))
    session.execute(delete(HistoryEvent).where(HistoryEvent.instance_id == instance.id))
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


def fire_due_timers(session: Session, now: datetime | None = None, limit: int = 100) -> int:
    """Fire the timers that fell due, one savepoint per instance; commits. Returns instances advanced."""
    now = now or utcnow()
    query = (
        select(ProcessInstance.id)
        .where(ProcessInstance.status == InstanceStatus.RUNNING, ProcessInstance.next_timer_at <= now)
        .order_by(ProcessInstance.next_timer_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    due = session.execute(query).scalars().all()
    fired = 0
    for instance_id in due:
        try:
            with session.begin_nested():
                instance = lock_instance(session, instance_id)
                Runner(session, instance, open_workflow(session, instance, None), None).advance()
            fired += 1
        except Exception as exc:
            log.exception("Timer of instance %s failed", instance_id)
            with session.begin_nested():
                instance = lock_instance(session, instance_id)
                instance.status = InstanceStatus.ERROR
                instance.next_timer_at = None
                add_event(
                    session,
                    instance,
                    "instance_failed",
                    "Erreur technique lors d'une échéance",
                    visibility=Visibility.INTERNAL,
                    comment=str(exc)[:2000],
                )
    session.commit()
    return fired


def drain_outbox(
    session: Session,
    send: Callable[[OutboxMessage], None],
    now: datetime | None = None,
    limit: int = 50,
    *,
    channels: Collection[str] | None = None,
    on_done: Callable[[Session, OutboxMessage], None] | None = None,
) -> tuple[int, int]:
    """Send due outbox messages with `send`, committing after each; returns (sent, failed)."""
    return outbox.drain(session, send, now=now, limit=limit, channels=channels, on_done=on_done)


# --- studio ---
# The analysts' studio (web/studio): checks, versions, diff and text alternative of a démarche.
from . import validation as _validation  # noqa: E402
from . import versions as _versions  # noqa: E402

Problem = _validation.Problem
Validation = _validation.Validation
Refused = _validation.Refused
VersionView = _versions.VersionView
DemarcheView = _versions.DemarcheView
check_upload_size = _validation.check_size
BPMN_MAX_BYTES = _validation.MAX_BPMN_BYTES
studio_demarches = _versions.demarches
studio_demarche = _versions.demarche
version_xml = _versions.version_xml
publish_version = _versions.publish
rollback_version = _versions.rollback


def validate_bpmn(bpmn: bytes, ctx: LintContext) -> Validation:
    """Every problem of a BPMN file (never raises): what `guichet deploy` and « Publier » refuse."""
    return _validation.check(bpmn, ctx)[0]


def service_operations() -> list[tuple[str, str]]:
    """(operation id, description) of every registered BPMN service operation, by id."""
    from .runtime import SERVICES

    return sorted(
        (op.name, op.description.splitlines()[0] if op.description else "") for op in SERVICES.values()
    )


from . import describe as _describe  # noqa: E402

Step = _describe.Step
Change = _describe.Change


def _definition(session: Session, key: str, version: int) -> ProcessDefinition:
    definition = session.execute(
        select(ProcessDefinition).where(ProcessDefinition.key == key, ProcessDefinition.version == version)
    ).scalar_one_or_none()
    if definition is None:
        raise NotFound("Cette version de la démarche n'existe pas.")
    return definition


def describe_version(session: Session, key: str, version: int) -> tuple[Step, ...]:
    """The text alternative of a published version's diagram: its ordered steps."""
    return _describe.describe_definition(_definition(session, key, version))


def describe_instance_process(session: Session, instance: ProcessInstance) -> tuple[Step, ...]:
    """The text alternative of the diagram of the version a request runs on (agents' dossier)."""
    return _describe.describe_definition(instance.definition)


def diff_versions(session: Session, key: str, old: int, new: int) -> tuple[Change, ...]:
    """Elements added, removed and changed between two published versions (SpiffWorkflow's SpecDiff)."""
    return _describe.diff_definitions(_definition(session, key, old), _definition(session, key, new))
