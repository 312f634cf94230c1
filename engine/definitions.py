"""The published démarches: the latest version of each (definitions are immutable once deployed)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, defer

from .models import REQUESTER_LANE, ProcessDefinition
from .runtime import bundle_for

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


def lanes_of(definition: ProcessDefinition) -> frozenset[str]:
    """The lanes (agent groups and « Famille ») of a definition's user and service tasks."""
    bundle = bundle_for(definition.id, definition.sha256, definition.bpmn_xml)
    return frozenset(
        spec.lane
        for process in [bundle.spec, *bundle.subprocess_specs.values()]
        for spec in process.task_specs.values()
        if getattr(spec, "lane", None)
    )


def lanes_in_use(session: Session) -> dict[str, list[str]]:
    """Lane name -> titles of the published démarches with a lane of that name."""
    used: dict[str, list[str]] = {}
    for definition in published_definitions(session):
        for lane in lanes_of(definition):
            used.setdefault(lane, []).append(definition.title)
    return used


def latest_definitions(session: Session) -> list[ProcessDefinition]:
    """The latest version of every deployed démarche, published or not, by title.

    The BPMN text is deferred: the pages that list démarches (« Mes demandes », the queues' filter)
    read their catalogue entries, cached per version, and load a text only on a cache miss."""
    latest = (
        select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("version"))
        .group_by(ProcessDefinition.key)
        .subquery()
    )
    return list(
        session.execute(
            select(ProcessDefinition)
            .options(defer(ProcessDefinition.bpmn_xml))
            .join(
                latest,
                (ProcessDefinition.key == latest.c.key) & (ProcessDefinition.version == latest.c.version),
            )
            .order_by(ProcessDefinition.title)
        ).scalars()
    )


def family_form_keys(session: Session, key: str) -> list[tuple[str, str]]:
    """(form key, task name) of the family's user tasks in the latest version of a démarche, in
    diagram order (for « Aide à la saisie », which explains each of their fields)."""
    definition = latest_definition(session, key)
    if definition is None:
        return []
    bundle = bundle_for(definition.id, definition.sha256, definition.bpmn_xml)
    keys: list[tuple[str, str]] = []
    for spec in [bundle.spec, *bundle.subprocess_specs.values()]:
        for task_spec in spec.task_specs.values():
            if getattr(task_spec, "lane", None) != REQUESTER_LANE:
                continue
            form_key = bundle.props(getattr(task_spec, "bpmn_id", None)).get("formKey")
            if form_key and form_key not in {k for k, _ in keys}:
                keys.append((form_key, getattr(task_spec, "bpmn_name", None) or ""))
    return keys
