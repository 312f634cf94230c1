"""Which lanes of a published démarche hold a user task: the agent groups its tasks can go to.

A BPMN's lanes are fixed in the diagram: a page that wants a task to reach a given service (the
activity's own service, for « Inscription à une activité ») asks whether the published version has a
user task in that service's lane."""

from __future__ import annotations

from sqlalchemy.orm import Session

from .definitions import latest_definition
from .runtime import UserTask, bundle_for


def user_task_lanes(session: Session, key: str) -> frozenset[str]:
    """The lanes holding a user task in the latest published version of `key` (empty: not published)."""
    definition = latest_definition(session, key)
    if definition is None:
        return frozenset()
    bundle = bundle_for(definition.id, definition.sha256, definition.bpmn_xml)
    return frozenset(
        spec.lane
        for process in [bundle.spec, *bundle.subprocess_specs.values()]
        for spec in process.task_specs.values()
        if isinstance(spec, UserTask) and getattr(spec, "lane", None)
    )
