"""Door: a family's requests as export rows, and their erasure at closure (engine/personal_data.py)."""

from __future__ import annotations

from engine.personal_data import (
    ERASED_LABEL,
    Erasure,
    erase_requests,
    message_rows,
    request_document_rows,
    request_rows,
    running_requests,
    timeline_rows,
)
from engine.retention import (
    StaleDraft,
    discard_stale_draft,
    purge_closed_documents,
    purge_old_messages,
    stale_drafts,
)

__all__ = [
    "ERASED_LABEL",
    "Erasure",
    "StaleDraft",
    "discard_stale_draft",
    "erase_requests",
    "message_rows",
    "purge_closed_documents",
    "purge_old_messages",
    "request_document_rows",
    "request_rows",
    "running_requests",
    "stale_drafts",
    "timeline_rows",
]
