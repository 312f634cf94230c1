"""The published démarches: the latest version of each (definitions are immutable once deployed)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from .models import ProcessDefinition
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


def demarche_choices(session: Session) -> list[tuple[str, str]]:
    """(key, title) of every deployed démarche, published or not, by title (its latest version's)."""
    latest = (
        select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("version"))
        .group_by(ProcessDefinition.key)
        .subquery()
    )
    rows = session.execute(
        select(ProcessDefinition.key, ProcessDefinition.title)
        .join(
            latest,
            (ProcessDefinition.key == latest.c.key) & (ProcessDefinition.version == latest.c.version),
        )
        .order_by(ProcessDefinition.title)
    ).all()
    return [(key, title) for key, title in rows]
