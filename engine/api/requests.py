"""Door: a family's requests: start, list, timeline, cancel, drafts, documents, data, estimates."""

from __future__ import annotations

from engine.document_views import DocumentFile, DocumentView, add_document, documents_of, get_document
from engine.documents import metadata
from engine.drafts import (
    Draft,
    discard_draft,
    draft_of,
    drafts_for,
    task_already_done,
)
from engine.estimate import Estimate, expected_completion
from engine.events import Actor
from engine.execution import Guest, is_requester
from engine.instances import (
    CANCELLED_LABEL,
    HistoryEntry,
    RequestView,
    history,
    instances_for,
)
from engine.viewed import (
    cancel,
    current_data,
    discard,
    get_instance,
    lane_form_keys,
    reload,
    reread,
    save_draft,
    start,
    start_or_resume,
)

__all__ = [
    "CANCELLED_LABEL",
    "Actor",
    "DocumentFile",
    "DocumentView",
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
    "reload",
    "reread",
    "save_draft",
    "start",
    "start_or_resume",
    "task_already_done",
]
