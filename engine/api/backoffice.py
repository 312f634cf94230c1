"""Door: the agents' side: queues, counts, neighbours, exports, claims, dossier, absences."""

from __future__ import annotations

from engine.assignment import BulkResult, bulk_claim
from engine.autoassign import (
    POLICY_LABELS,
    STALE_MESSAGE,
    Candidate,
    Policy,
    check_current,
    move_tasks_of,
    set_directory,
)
from engine.closed import ClosedRow, iter_closed
from engine.queue_choices import FilterChoices, filter_choices
from engine.queue_counts import COUNT_CAP as QUEUE_COUNT_CAP
from engine.queue_counts import queue_counts
from engine.queue_neighbour import neighbour
from engine.queues import (
    Assignment,
    QueuePage,
    QueueQuery,
    QueueRow,
    SortKey,
    iter_queue,
    normalise,
    queue_page,
)
from engine.viewed import (
    add_internal_comment,
    agent_task,
    assign,
    bpmn_of,
    claim,
    current_elements,
    instance_data,
    open_tasks,
    release,
)

__all__ = [
    "POLICY_LABELS",
    "QUEUE_COUNT_CAP",
    "STALE_MESSAGE",
    "Assignment",
    "BulkResult",
    "Candidate",
    "ClosedRow",
    "FilterChoices",
    "Policy",
    "QueuePage",
    "QueueQuery",
    "QueueRow",
    "SortKey",
    "add_internal_comment",
    "agent_task",
    "assign",
    "bpmn_of",
    "bulk_claim",
    "check_current",
    "claim",
    "current_elements",
    "filter_choices",
    "instance_data",
    "iter_closed",
    "iter_queue",
    "move_tasks_of",
    "neighbour",
    "normalise",
    "open_tasks",
    "queue_counts",
    "queue_page",
    "release",
    "set_directory",
]
