"""What a request holds so far: the data of its latest step, and the form keys of a lane."""

from __future__ import annotations

from typing import Any

from .execution import Actor, bundle_of, open_workflow
from .models import ProcessInstance
from .runtime import TaskState


def current_data(session: Any, instance: ProcessInstance, user: Actor) -> dict[str, Any]:
    """The data of the instance's most recently completed step ({} once erased at the end).

    The caller has checked that `user` may see the instance (api.get_instance). This deserialises
    the workflow: for one request page, never for lists.
    """
    if not instance.serialization:
        return {}
    workflow = open_workflow(session, instance, user, read_only=True)
    done = workflow.get_tasks(state=TaskState.COMPLETED)
    if not done:
        return {}
    # The latest change; among steps completed at the same instant (a clock's resolution, a frozen
    # clock), the one met last in the task tree, which is walked depth first, parents before children.
    latest = done[0]
    for task in done:
        if task.last_state_change >= latest.last_state_change:
            latest = task
    return dict(latest.data)


def lane_form_keys(instance: ProcessInstance, lane: str) -> list[str]:
    """The formKeys of the user tasks of `lane` in the instance's diagram, in document order."""
    bundle = bundle_of(instance)
    keys: list[str] = []
    for spec in (bundle.spec, *bundle.subprocess_specs.values()):
        for task_spec in spec.task_specs.values():
            key = bundle.props(getattr(task_spec, "bpmn_id", None)).get("formKey")
            if key and task_spec.lane == lane and key not in keys:
                keys.append(key)
    return keys
