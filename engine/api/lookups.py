"""Door: reads for the town's own work (delivery hooks, digests, operations, demo) — views only."""

from __future__ import annotations

from engine.lookups import (
    agent_inbox,
    family_task_open,
    latest_running_request,
    open_tasks_in_lane,
    request_of,
    service_context,
)

__all__ = [
    "agent_inbox",
    "family_task_open",
    "latest_running_request",
    "open_tasks_in_lane",
    "request_of",
    "service_context",
]
