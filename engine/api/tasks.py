"""Door: one task: its page (the data its form starts from) and its submission."""

from __future__ import annotations

from engine.access import may_act
from engine.tasks import QueueFilters, complete, get_task, queue_for, tasks_for

__all__ = ["QueueFilters", "complete", "get_task", "may_act", "queue_for", "tasks_for"]
