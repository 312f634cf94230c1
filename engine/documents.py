"""Documents joined to a request (a « justificatif de domicile », pieces sent with an answer).

The bytes live in the `document` table, written in the same transaction as the task completion
that brings them; the workflow data only ever holds `metadata(document)` (id, name, type, size).
A document is visible to the requesting family and to the agents who may see the instance (those
of a group that has or had a task in it): anyone else gets NotFound, as for a missing id.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, select
from sqlalchemy.orm import Mapped, Session, defer, mapped_column

from . import stored_messages as stored
from .access import get_instance
from .db import Base, UTCDateTime, utcnow
from .errors import NotFound
from .events import Actor, add_event
from .i18n import _
from .models import ProcessInstance
from .stored_messages import french

log = logging.getLogger(__name__)


class Document(Base):
    """One file given during a démarche, with who gave it and at which step."""

    __tablename__ = "document"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    #: Title of the user task during which the file was given (« Saisir la nouvelle adresse »).
    step: Mapped[str] = mapped_column(String(200))
    #: Form field that received it (« justificatif_domicile »).
    field: Mapped[str] = mapped_column(String(100))
    uploaded_by_id: Mapped[int | None] = mapped_column(Integer)
    #: « Famille » or « Service Accueil », as in the timeline.
    role: Mapped[str] = mapped_column(String(100))
    filename: Mapped[str] = mapped_column(String(200))
    mime: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<Document {self.id} {self.filename!r} {self.mime}>"


def metadata(document: Any) -> dict[str, Any]:
    """What the workflow data keeps about a document: never its bytes."""
    return {"id": document.id, "nom": document.filename, "type": document.mime, "taille": document.size}


def add_document(
    session: Session,
    instance: ProcessInstance,
    *,
    step: str,
    field: str,
    actor: Actor | None,
    role: str,
    filename: str,
    mime: str,
    content: bytes,
    label: str,
) -> Document:
    """Store a checked file for the instance and note it in the public timeline; flushes.

    The caller has checked the content (forms.documents) and commits with the task completion.
    """
    document = Document(
        instance_id=instance.id,
        step=step[:200],
        field=field[:100],
        uploaded_by_id=actor.id if actor else None,
        role=role,
        filename=filename[:200],
        mime=mime,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        created_at=utcnow(),
    )
    session.add(document)
    add_event(
        session,
        instance,
        "document_added",
        french(stored.DOCUMENT_ADDED, label=label, filename=document.filename),
        actor=actor,
        role=role,
    )
    session.flush()
    log.info("Document %s (%s, %s bytes) added to instance %s", document.id, mime, document.size, instance.id)
    return document


def documents_of(session: Session, instance_id: int) -> Sequence[Document]:
    """The instance's documents, oldest first, without their bytes."""
    return (
        session.execute(
            select(Document)
            .options(defer(Document.content))
            .where(Document.instance_id == instance_id)
            .order_by(Document.created_at, Document.id)
        )
        .scalars()
        .all()
    )


def get_document(session: Session, document_id: int, user: Actor) -> Document:
    """A document the user may download; NotFound for a missing id and for anyone else's."""
    document = session.get(Document, document_id)
    if document is None:
        raise NotFound(_("Ce document n'existe pas."))
    try:
        get_instance(session, document.instance_id, user)
    except NotFound:
        log.warning("Document %s refused to user %s", document_id, getattr(user, "id", None))
        raise NotFound(_("Ce document n'existe pas.")) from None
    return document
