"""Door: the frozen views the door returns instead of ORM rows or SpiffWorkflow objects."""

from __future__ import annotations

from engine.tasks import TaskView

__all__ = ["TaskView"]
