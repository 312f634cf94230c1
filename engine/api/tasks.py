"""Door: one task: its page (the data its form starts from) and its submission."""

from __future__ import annotations

from engine.access import may_act
from engine.tasks import QueueFilters, get_task, next_task_in
from engine.viewed import complete, queue_for, tasks_by_id, tasks_for

__all__ = [
    "QueueFilters",
    "complete",
    "get_task",
    "may_act",
    "next_task_in",
    "queue_for",
    "tasks_by_id",
    "tasks_for",
]
