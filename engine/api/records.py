"""Door: the engine's tables, for the web SQL that still reads them directly.

Transitional (issue 9): the queries of web/delais, web/backoffice, web/accounts/reset.py and
web/core/devmail.py over these tables are to move behind functions of this package that return
frozen views; until then they import the mapped classes from here, never from engine.models.
"""

from __future__ import annotations

from engine.db import utcnow
from engine.models import (
    HistoryEvent,
    HumanTask,
    HumanTaskState,
    InstanceStatus,
    OutboxMessage,
    OutboxStatus,
    ProcessDefinition,
    ProcessInstance,
    Visibility,
)

__all__ = [
    "HistoryEvent",
    "HumanTask",
    "HumanTaskState",
    "InstanceStatus",
    "OutboxMessage",
    "OutboxStatus",
    "ProcessDefinition",
    "ProcessInstance",
    "Visibility",
    "utcnow",
]
