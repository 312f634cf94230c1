"""Bulk migration of running requests to a démarche's latest version, and its undo.

Each request is moved under its instance lock (engine/execution.py::lock_instance), judged again
on its fresh state (it may have moved on since the preview), migrated with SpiffWorkflow's
`migrate_workflow` (the READY/WAITING tasks' data kept: `reset_branch` would replace it), then its
new JSON is loaded back with the new spec and dumped again: a request whose result does not load
back is left untouched. The previous JSON and version are kept in `instance_migration` so that the
move can be undone while the request has not changed since; every move and undo writes an internal
timeline entry. Two analysts migrating at once: the second waits on the lock, finds the requests
already moved and gets a French Conflict; nothing is moved twice.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from . import stored_messages as stored
from .db import Base, CompressedText, UTCDateTime, utcnow
from .definitions import latest_definition
from .errors import Conflict, NotFound
from .events import add_event
from .execution import lock_instance
from .i18n import N_, _
from .migration import bundle_of_definition, verdict
from .models import (
    HumanTask,
    HumanTaskState,
    InstanceStatus,
    ProcessDefinition,
    ProcessInstance,
    Visibility,
)
from .runtime import (
    GuichetScriptEngine,
    SpecBundle,
    TaskState,
    dump_workflow,
    load_workflow,
    migrate_workflow,
)
from .stored_messages import french


class InstanceMigration(Base):
    """One request moved from one version to another, with what is needed to move it back."""

    __tablename__ = "instance_migration"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch: Mapped[str] = mapped_column(String(32), index=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    key: Mapped[str] = mapped_column(String(100), index=True)
    from_definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"))
    to_definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"))
    previous_serialization: Mapped[str] = mapped_column(CompressedText)
    # The instance's lock_version right after the move: undo only while it is unchanged.
    lock_version_after: Mapped[int] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(150))
    migrated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


@dataclass(frozen=True)
class MigrationOutcome:
    batch: str
    moved: tuple[str, ...]
    skipped: tuple[tuple[str, str], ...]  # (reference, French reason)


def _migrate_in_memory(workflow: Any, diffs: Any, target: SpecBundle) -> None:
    """SpiffWorkflow's documented loop (top level, then every subprocess), keeping waiting tasks' data."""
    kept = {t.id: dict(t.data) for t in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING)}
    top, sub_diffs = diffs
    migrate_workflow(top, workflow, target.spec)
    for sp_id, sp in workflow.subprocesses.items():
        migrate_workflow(sub_diffs[sp_id], sp, target.subprocess_specs[sp.spec.name])
    workflow.subprocess_specs = target.subprocess_specs
    for task_id, data in kept.items():
        task = workflow.tasks.get(task_id)
        if task is not None:
            task.data = data


def _loads_back(document: str, target: SpecBundle, ready_ids: set[str]) -> bool:
    try:
        again = load_workflow(target, document, GuichetScriptEngine())
        same = {str(t.id) for t in again.get_tasks(state=TaskState.READY, manual=True)} == ready_ids
        return same and dump_workflow(again) == document
    except Exception:  # any failure means the migrated document is not usable
        return False


def _sync_open_tasks(session: Session, instance_id: int, workflow: Any, bundle: SpecBundle) -> None:
    """The open inbox rows take the names, forms and status labels of the tasks' new specs."""
    by_id = {str(t.id): t for t in workflow.get_tasks(state=TaskState.READY, manual=True)}
    rows = session.execute(
        select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.state == HumanTaskState.OPEN)
    ).scalars()
    for row in rows:
        task = by_id.get(row.spiff_task_id)
        if task is None:
            continue
        props = bundle.props(task.task_spec.bpmn_id)
        row.task_name = task.task_spec.name
        row.title = task.task_spec.bpmn_name or task.task_spec.name
        row.form_key = props.get("formKey", "")
        row.status_label = props.get("statusLabel", row.status_label)


MOVED_BY_OTHER = N_("elle vient d'être déplacée par quelqu'un d'autre")


def _move_one(
    session: Session, instance_id: int, target: ProcessDefinition, batch: str, actor: str
) -> str | None:
    """Move one request; None when moved, else the French reason it stays."""
    instance = lock_instance(session, instance_id)
    if instance.status != InstanceStatus.RUNNING:
        return _("elle n'est plus en cours")
    if instance.definition_id == target.id:
        return _(MOVED_BY_OTHER)
    bundle = bundle_of_definition(target)
    judged, workflow, diffs = verdict(instance, bundle)
    if not judged.movable or workflow is None:
        return "; ".join(judged.reasons)
    previous, old_version = instance.serialization, instance.definition.version
    ready = {str(t.id) for t in workflow.get_tasks(state=TaskState.READY, manual=True)}
    _migrate_in_memory(workflow, diffs, bundle)
    try:
        document = dump_workflow(workflow)
    except Exception:
        document = ""
    if not document or not _loads_back(document, bundle, ready):
        return _("le résultat ne se relit pas : la demande est laissée sur sa version")
    instance.serialization = document
    instance.definition = target
    instance.updated_at = utcnow()
    session.flush()  # the ORM bumps lock_version (version_id_col) and checks nobody wrote meanwhile
    _sync_open_tasks(session, instance.id, workflow, bundle)
    session.add(
        InstanceMigration(
            batch=batch,
            instance_id=instance.id,
            key=target.key,
            from_definition_id=_definition_id(session, target.key, old_version),
            to_definition_id=target.id,
            previous_serialization=previous,
            lock_version_after=instance.lock_version,
            actor=actor[:150],
            migrated_at=utcnow(),
        )
    )
    label = french(stored.MIGRATED, old=old_version, new=target.version)
    add_event(
        session,
        instance,
        "instance_migrated",
        label,
        visibility=Visibility.INTERNAL,
        comment=french(stored.BY, name=actor),
        role=N_("Studio"),
    )
    session.flush()
    return None


def _definition_id(session: Session, key: str, version: int) -> int:
    return session.execute(
        select(ProcessDefinition.id).where(ProcessDefinition.key == key, ProcessDefinition.version == version)
    ).scalar_one()


def migrate(
    session: Session, key: str, instance_ids: list[int], *, expected_version: int, actor: str
) -> MigrationOutcome:
    """Move the given running requests of `key` to its latest version (the one the analyst previewed).

    Raises Conflict when a newer version was published since the preview, or when every request was
    already moved (by another analyst at the same time). Only flushes.
    """
    target = latest_definition(session, key)
    if target is None:
        raise NotFound(_("Cette démarche n'existe pas."))
    if target.version != expected_version:
        raise Conflict(
            _(
                "La version %(version)s a été publiée depuis l'aperçu (vous déplaciez vers la version "
                "%(expected)s) : rien n'a été déplacé. Affichez de nouveau l'aperçu.",
                version=target.version,
                expected=expected_version,
            )
        )
    batch = uuid.uuid4().hex
    moved: list[str] = []
    skipped: list[tuple[str, str]] = []
    for instance_id in sorted(set(instance_ids)):
        reason = _move_one(session, instance_id, target, batch, actor)
        reference = session.get(ProcessInstance, instance_id)
        name = (reference.reference if reference else None) or _("n° %(id)s", id=instance_id)
        (moved.append(name) if reason is None else skipped.append((name, reason)))
    if instance_ids and not moved and all(r == _(MOVED_BY_OTHER) for _name, r in skipped):
        raise Conflict(
            _(
                "Ces demandes viennent d'être déplacées vers la version %(version)s par un autre analyste : "
                "rien n'a été changé une seconde fois.",
                version=target.version,
            )
        )
    return MigrationOutcome(batch, tuple(moved), tuple(skipped))


def undo(session: Session, batch: str, *, actor: str, key: str | None = None) -> MigrationOutcome:
    """Move the requests of one migration back to their previous version, while they are unchanged.

    With `key`, only a migration of that démarche is found (the studio's URL names both)."""
    query = select(InstanceMigration).where(InstanceMigration.batch == batch)
    if key is not None:
        query = query.where(InstanceMigration.key == key)
    rows = list(session.execute(query.order_by(InstanceMigration.id)).scalars())
    if not rows:
        raise NotFound(_("Ce déplacement n'existe pas."))
    if all(r.undone_at is not None for r in rows):
        raise Conflict(_("Ce déplacement a déjà été annulé : rien n'a été changé une seconde fois."))
    moved: list[str] = []
    skipped: list[tuple[str, str]] = []
    for row in rows:
        instance = lock_instance(session, row.instance_id)
        session.refresh(row)
        name = instance.reference or _("n° %(id)s", id=instance.id)
        if row.undone_at is not None:
            continue
        if instance.lock_version != row.lock_version_after or instance.definition_id != row.to_definition_id:
            skipped.append((name, _("la demande a avancé depuis son déplacement")))
            continue
        _restore(session, instance, row, actor)
        moved.append(name)
    if not moved and not skipped:
        raise Conflict(_("Ce déplacement vient d'être annulé par quelqu'un d'autre : rien n'a été changé."))
    if not moved:
        names = ", ".join(name for name, _reason in skipped)
        raise Conflict(
            _(
                "Aucune demande de ce déplacement ne peut plus revenir à sa version (%(names)s : la demande "
                "a avancé depuis son déplacement). Rien n'a été changé.",
                names=names,
            )
        )
    return MigrationOutcome(batch, tuple(moved), tuple(skipped))


def _restore(session: Session, instance: ProcessInstance, row: InstanceMigration, actor: str) -> None:
    previous = session.get(ProcessDefinition, row.from_definition_id)
    if previous is None:  # definitions are never deleted; kept for the type checker
        raise NotFound(_("La version d'origine de cette demande n'existe plus."))
    bundle = bundle_of_definition(previous)
    workflow = load_workflow(bundle, row.previous_serialization, GuichetScriptEngine())
    new_version = instance.definition.version
    instance.serialization = row.previous_serialization
    instance.definition = previous
    instance.updated_at = utcnow()
    row.undone_at = utcnow()
    session.flush()
    _sync_open_tasks(session, instance.id, workflow, bundle)
    label = french(stored.MIGRATION_UNDONE, old=new_version, new=previous.version)
    add_event(
        session,
        instance,
        "instance_migration_undone",
        label,
        visibility=Visibility.INTERNAL,
        comment=french(stored.BY, name=actor),
        role=N_("Studio"),
    )
    session.flush()


@dataclass(frozen=True)
class BatchView:
    batch: str
    actor: str
    migrated_at: datetime
    to_version: int
    count: int
    undone: int


def batches(session: Session, key: str, limit: int = 20) -> list[BatchView]:
    """The latest migrations of a démarche, newest first."""
    rows = session.execute(
        select(InstanceMigration, ProcessDefinition.version)
        .join(ProcessDefinition, InstanceMigration.to_definition_id == ProcessDefinition.id)
        .where(InstanceMigration.key == key)
        .order_by(InstanceMigration.id.desc())
    ).all()
    grouped: dict[str, list[Any]] = {}
    for row, version in rows:
        grouped.setdefault(row.batch, []).append((row, version))
    result = []
    for batch, items in list(grouped.items())[:limit]:
        first, version = items[0]
        undone = sum(1 for r, _ in items if r.undone_at is not None)
        result.append(BatchView(batch, first.actor, first.migrated_at, version, len(items), undone))
    return result


__all__ = ["BatchView", "InstanceMigration", "MigrationOutcome", "batches", "migrate", "undo"]
