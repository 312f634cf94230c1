"""Safe-deploy preview: which running requests of a démarche can move to a new version, and why not.

SpiffWorkflow's `diff_workflow` aligns an instance's tasks with a new spec; its `migrate_workflow`
performs no safety check and silently breaks an instance in several cases (docs/shared FACTS §3):
a removed task the request reached makes the saved JSON impossible to load again, a changed task
that is STARTED (a call activity or subprocess in progress) is not reset so new steps after it are
skipped, and a subprocess whose spec is gone cannot be matched. The verdict below refuses all of
them: a request moves only when nothing it reached was removed, nothing it completed or started
changed, and every subprocess is matched without removal (the docs' `can_migrate` rule, plus the
removed READY/WAITING tasks that rule does not look at).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .errors import DeployError
from .i18n import _
from .models import InstanceStatus, ProcessDefinition, ProcessInstance
from .runtime import (
    SERIALIZER,
    BpmnWorkflow,
    GuichetScriptEngine,
    SpecBundle,
    TaskState,
    build_bundle,
    bundle_for,
    diff_workflow,
    load_workflow,
    parse_xml,
)

_REACHED = TaskState.COMPLETED | TaskState.STARTED | TaskState.READY | TaskState.WAITING | TaskState.ERROR
_LOCKED_IN = TaskState.COMPLETED | TaskState.STARTED


@dataclass(frozen=True)
class Verdict:
    """One running request against the new version: can it move, and if not, why (French)."""

    instance_id: int
    reference: str
    version: int
    status_label: str
    movable: bool
    reasons: tuple[str, ...]
    waiting_at: tuple[str, ...]


@dataclass(frozen=True)
class Preview:
    """The running requests of a démarche split into those that can move and those that stay."""

    key: str
    target_label: str
    movable: tuple[Verdict, ...]
    staying: tuple[Verdict, ...]

    @property
    def total(self) -> int:
        return len(self.movable) + len(self.staying)


def _name(task: Any) -> str:
    spec = task.task_spec
    label = getattr(spec, "bpmn_name", None)
    ident = getattr(spec, "bpmn_id", None) or spec.name
    return f"« {label} » ({ident})" if label else f"« {ident} »"


def _is_element(task: Any) -> bool:
    """A task that stands for a BPMN element (not the engine's own Start/End/Root bookkeeping)."""
    return getattr(task.task_spec, "bpmn_id", None) is not None


def _removed_reason(task: Any) -> str | None:
    if not _is_element(task) or not task.has_state(_REACHED):
        return None
    if task.has_state(TaskState.READY | TaskState.WAITING):
        return _(
            "la demande attend à l'étape %(step)s, qui n'existe plus dans la nouvelle version",
            step=_name(task),
        )
    if task.has_state(TaskState.STARTED):
        return _("l'étape %(step)s, en cours, n'existe plus dans la nouvelle version", step=_name(task))
    return _(
        "la demande est passée par l'étape %(step)s, qui n'existe plus dans la nouvelle version",
        step=_name(task),
    )


def _changed_reason(task: Any) -> str | None:
    if not task.has_state(_LOCKED_IN):
        return None
    if task.has_state(TaskState.STARTED):
        return _(
            "l'étape %(step)s est en cours (sous-processus ou activité appelée démarré) et elle change : "
            "les nouvelles étapes qui la suivent seraient sautées",
            step=_name(task),
        )
    if not _is_element(task):
        return None
    return _("l'étape %(step)s, déjà franchie, change dans la nouvelle version", step=_name(task))


def diff_reasons(workflow: BpmnWorkflow, target: SpecBundle) -> tuple[list[str], Any]:
    """The reasons this workflow cannot move to `target` (empty: it can), and the diffs to apply."""
    top, sub_diffs = diff_workflow(SERIALIZER.registry, workflow, target.spec, target.subprocess_specs)
    reasons = [r for r in map(_removed_reason, top.removed) if r]
    reasons += [r for r in map(_changed_reason, top.changed) if r]
    for sp_id, sp_diff in sub_diffs.items():
        subworkflow = workflow.subprocesses[sp_id]
        if sp_diff is None:
            reasons.append(
                _(
                    "le sous-processus « %(name)s » en cours ne se retrouve pas dans la nouvelle version",
                    name=subworkflow.spec.name,
                )
            )
            continue
        reasons += [r for r in map(_removed_reason, sp_diff.removed) if r]
        reasons += [r for r in map(_changed_reason, sp_diff.changed) if r]
    if not reasons and not workflow.tasks:
        reasons.append(_("la demande n'a pas d'état enregistré"))
    # One sentence per cause (a task reached twice in a loop is named once).
    return list(dict.fromkeys(reasons)), (top, sub_diffs)


def waiting_at(workflow: BpmnWorkflow) -> tuple[str, ...]:
    return tuple(
        _name(t) for t in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING) if _is_element(t)
    )


def bundle_of_definition(definition: ProcessDefinition) -> SpecBundle:
    return bundle_for(definition.id, definition.sha256, definition.bpmn_xml)


def draft_bundle(xml: str) -> SpecBundle:
    """The parsed spec of a draft (raises DeployError when it does not parse)."""
    return build_bundle(parse_xml(xml.encode("utf-8")))


def verdict(instance: ProcessInstance, target: SpecBundle) -> tuple[Verdict, BpmnWorkflow | None, Any]:
    """Judge one running instance against the target spec (never raises)."""
    workflow = None
    diffs = None
    try:
        workflow = load_workflow(bundle_of_definition(instance.definition), instance.serialization, _engine())
        reasons, diffs = diff_reasons(workflow, target)
        where = waiting_at(workflow)
    except Exception as exc:  # a document that does not load cannot be judged: it stays
        reasons = [_("son état enregistré ne se relit pas (%(error)s)", error=type(exc).__name__)]
        where = ()
    view = Verdict(
        instance_id=instance.id,
        reference=instance.reference or f"n° {instance.id}",
        version=instance.definition.version,
        status_label=instance.status_label,
        movable=not reasons,
        reasons=tuple(reasons),
        waiting_at=where,
    )
    return view, workflow, diffs


def _engine() -> GuichetScriptEngine:
    # No context: nothing is run while judging or migrating, the engine only has to be attached.
    return GuichetScriptEngine()


def running_of(session: Session, key: str, exclude_definition_id: int | None) -> list[ProcessInstance]:
    query = (
        select(ProcessInstance)
        .join(ProcessDefinition, ProcessInstance.definition_id == ProcessDefinition.id)
        .where(ProcessDefinition.key == key, ProcessInstance.status == InstanceStatus.RUNNING)
        .order_by(ProcessInstance.id)
    )
    if exclude_definition_id is not None:
        query = query.where(ProcessInstance.definition_id != exclude_definition_id)
    return list(session.execute(query).scalars())


def preview(
    session: Session, key: str, target: SpecBundle, target_label: str, target_id: int | None = None
) -> Preview:
    """Every running request of `key` (except those already on `target_id`) judged against `target`."""
    if target.process_id != key:
        message = _(
            "le diagramme est celui de « %(found)s », pas de « %(key)s »", found=target.process_id, key=key
        )
        raise DeployError([message])
    verdicts = [verdict(i, target)[0] for i in running_of(session, key, target_id)]
    return Preview(
        key=key,
        target_label=target_label,
        movable=tuple(v for v in verdicts if v.movable),
        staying=tuple(v for v in verdicts if not v.movable),
    )


def preview_version(session: Session, key: str, version: int) -> Preview:
    """The running requests of `key` on other versions judged against its published `version`."""
    definition = session.execute(
        select(ProcessDefinition).where(ProcessDefinition.key == key, ProcessDefinition.version == version)
    ).scalar_one_or_none()
    if definition is None:
        from .errors import NotFound

        raise NotFound(_("Cette version de la démarche n'existe pas."))
    return preview(session, key, bundle_of_definition(definition), f"version {version}", definition.id)


def preview_draft(session: Session, key: str, xml: str) -> Preview:
    """The running requests of `key` judged against a draft that is not published yet."""
    return preview(session, key, draft_bundle(xml), "brouillon")
