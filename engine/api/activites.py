"""Door: what the activities' pages ask of the engine (the lanes a démarche's user tasks can go to)."""

from __future__ import annotations

from engine.task_lanes import user_task_lanes

__all__ = ["user_task_lanes"]
