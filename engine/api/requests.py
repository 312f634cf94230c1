"""Door: a family's requests: start, list, timeline, cancel, drafts, documents, data, estimates."""

from __future__ import annotations

from engine.access import get_instance
from engine.data import current_data, lane_form_keys
from engine.documents import Document, add_document, documents_of, get_document, metadata
from engine.drafts import (
    Draft,
    discard_draft,
    draft_of,
    drafts_for,
    save_draft,
    start_or_resume,
    task_already_done,
)
from engine.estimate import Estimate, expected_completion
from engine.events import Actor
from engine.execution import Guest, is_requester
from engine.instances import (
    CANCELLED_LABEL,
    HistoryEntry,
    RequestView,
    cancel,
    discard,
    history,
    instances_for,
    start,
)

__all__ = [
    "CANCELLED_LABEL",
    "Actor",
    "Document",
    "Draft",
    "Estimate",
    "Guest",
    "HistoryEntry",
    "RequestView",
    "add_document",
    "cancel",
    "current_data",
    "discard",
    "discard_draft",
    "documents_of",
    "draft_of",
    "drafts_for",
    "expected_completion",
    "get_document",
    "get_instance",
    "history",
    "instances_for",
    "is_requester",
    "lane_form_keys",
    "metadata",
    "save_draft",
    "start",
    "start_or_resume",
    "task_already_done",
]
