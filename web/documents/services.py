"""Store the checked files of a task form in the `document` table, within the completion's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from engine.api import TaskView, add_document, lane_label, metadata
from forms.documents import document_fields
from forms.registry import TaskForm, source_text


def store_form_documents(session: Session, form: TaskForm, actor: Any, task: TaskView) -> dict[str, Any]:
    """Add every file of the form's document fields; returns their metadata by field name.

    A single-file field gives one dict (or None), a multiple one a list: that is what the task data
    holds, never the bytes. Nothing is committed here: the view commits with the completion.
    """
    data: dict[str, Any] = {}
    fields = document_fields(form)
    if not fields:
        return data
    for field in fields:
        stored = [
            metadata(
                add_document(
                    session,
                    task.instance_id,
                    step=task.title,
                    field=field.name,
                    actor=actor,
                    role=lane_label(task.lane),
                    filename=checked.filename,
                    mime=checked.mime,
                    content=checked.content,
                    label=source_text(field.label.text),
                )
            )
            for checked in getattr(field, "documents", [])
        ]
        multiple = field.type == "MultipleFileField"
        data[field.name] = stored if multiple else (stored[0] if stored else None)
    return data
