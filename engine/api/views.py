"""Door: the frozen views the door returns instead of ORM rows or SpiffWorkflow objects."""

from __future__ import annotations

from engine.models import HumanTaskState, InstanceStatus, OutboxStatus, Visibility
from engine.snapshots import DefinitionView, InboxTask, InstanceView
from engine.tasks import TaskView

__all__ = [
    "DefinitionView",
    "HumanTaskState",
    "InboxTask",
    "InstanceStatus",
    "InstanceView",
    "OutboxStatus",
    "TaskView",
    "Visibility",
]
