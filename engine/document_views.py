"""The door's documents as frozen views (engine/documents.py keeps the table and the checks)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from . import documents
from .events import Actor
from .models import ProcessInstance
from .snapshots import InstanceView


@dataclass(frozen=True)
class DocumentView:
    """One file given during a démarche, without its bytes: who gave it, at which step."""

    id: int
    instance_id: int
    step: str
    field: str
    uploaded_by_id: int | None
    role: str
    filename: str
    mime: str
    size: int
    sha256: str
    created_at: datetime


@dataclass(frozen=True)
class DocumentFile(DocumentView):
    """A document with its bytes, for its download."""

    content: bytes = b""


def _view(document: documents.Document) -> DocumentView:
    return DocumentView(
        document.id,
        document.instance_id,
        document.step,
        document.field,
        document.uploaded_by_id,
        document.role,
        document.filename,
        document.mime,
        document.size,
        document.sha256,
        document.created_at,
    )


def documents_of(session: Session, instance_id: int) -> list[DocumentView]:
    """The request's documents, oldest first, without their bytes (the caller checked access)."""
    return [_view(document) for document in documents.documents_of(session, instance_id)]


def get_document(session: Session, document_id: int, user: Actor) -> DocumentFile:
    """A document the user may download, with its bytes; NotFound for a missing id and anyone else's."""
    document = documents.get_document(session, document_id, user)
    return DocumentFile(*vars(_view(document)).values(), content=document.content)


def add_document(
    session: Session,
    instance: InstanceView | int,
    *,
    step: str,
    field: str,
    actor: Actor | None,
    role: str,
    filename: str,
    mime: str,
    content: bytes,
    label: str,
) -> DocumentView:
    """Store a checked file for the request (a view or its id) and note it in the timeline; flushes."""
    row = session.get(ProcessInstance, instance if isinstance(instance, int) else instance.id)
    assert row is not None  # the caller has just loaded it (get_task)  # noqa: S101
    document = documents.add_document(
        session,
        row,
        step=step,
        field=field,
        actor=actor,
        role=role,
        filename=filename,
        mime=mime,
        content=content,
        label=label,
    )
    return _view(document)
