"""The family's store: add (checked content, quota), list, find (404 for anyone else), rename, delete."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import date

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.db import utcnow
from engine.errors import NotFound
from forms.documents import CheckedFile, size_text
from web.core.i18n import _

from .models import StoredBlob, StoredDocument
from .storage import blob_for, read_blob, release_if_unused


def N_(text: str) -> str:  # noqa: N802 - the usual gettext marker name
    """A French msgid stored as is (the document's type) and translated where it is shown."""
    return text


DEFAULT_TYPES = [
    N_("Justificatif de domicile"),
    N_("Livret de famille"),
    N_("Pièce d'identité"),
    N_("Avis d'imposition"),
    N_("Attestation CAF"),
    N_("Carnet de vaccination"),
    N_("Attestation d'assurance"),
    N_("Autre document"),
]
DEFAULT_QUOTA = 50 * 1024 * 1024
_CONTROL = re.compile(r"[\x00-\x1f\x7f/\\\\]")


class QuotaExceeded(ValueError):
    """The family's store would go over COFFRE_QUOTA_BYTES; the message is for the family."""


def document_types() -> list[str]:
    return list(current_app.config.get("COFFRE_DOCUMENT_TYPES") or DEFAULT_TYPES)


def quota_bytes() -> int:
    return int(current_app.config.get("COFFRE_QUOTA_BYTES", DEFAULT_QUOTA))


def clean_name(name: str) -> str:
    """A display name without control characters or path separators (which are refused by the form)."""
    name = unicodedata.normalize("NFC", name or "")
    return " ".join(_CONTROL.sub(" ", name).split())[:200]


def has_bad_characters(name: str) -> bool:
    return bool(_CONTROL.search(name or ""))


def used_bytes(session: Session, user_id: int) -> int:
    """What the family's documents weigh (a content stored once still counts once per document)."""
    total = session.scalar(
        select(func.coalesce(func.sum(StoredBlob.size), 0))
        .join(StoredDocument, StoredDocument.blob_id == StoredBlob.id)
        .where(StoredDocument.user_id == user_id)
    )
    return int(total or 0)


def check_quota(session: Session, user_id: int, adding: int) -> None:
    used, quota = used_bytes(session, user_id), quota_bytes()
    if used + adding > quota:
        raise QuotaExceeded(
            _(
                "Votre espace de documents est plein : ce fichier (%(size)s) dépasserait la place "
                "disponible (%(free)s libres sur %(quota)s). "
                "Supprimez un document dont vous n'avez plus besoin, puis recommencez.",
                size=size_text(adding),
                free=size_text(max(quota - used, 0)),
                quota=size_text(quota),
            )
        )


def add(
    session: Session,
    user_id: int,
    checked: CheckedFile,
    *,
    name: str | None = None,
    kind: str | None = None,
    valid_until: date | None = None,
) -> StoredDocument:
    """Store a checked file for the family; the same content already there is not added twice."""
    blob = blob_for(session, checked.content, checked.mime)
    same = session.execute(
        select(StoredDocument).where(StoredDocument.user_id == user_id, StoredDocument.blob_id == blob.id)
    ).scalar_one_or_none()
    if same is not None:
        return same
    check_quota(session, user_id, len(checked.content))
    document = StoredDocument(
        user_id=user_id,
        blob_id=blob.id,
        name=clean_name(name or checked.filename) or checked.filename,
        kind=kind or "Autre document",
        valid_until=valid_until,
        created_at=utcnow(),
    )
    session.add(document)
    session.flush()
    return document


def documents_of(session: Session, user_id: int) -> Sequence[StoredDocument]:
    return (
        session.execute(
            select(StoredDocument)
            .where(StoredDocument.user_id == user_id)
            .order_by(StoredDocument.created_at.desc(), StoredDocument.id.desc())
        )
        .scalars()
        .all()
    )


def get(session: Session, user_id: int, document_id: int) -> StoredDocument:
    """The family's document; NotFound for a missing id and for anyone else's (the same answer)."""
    document = session.get(StoredDocument, document_id)
    if document is None or document.user_id != user_id:
        raise NotFound(_("Ce document n'existe pas."))
    return document


def content_of(document: StoredDocument) -> bytes:
    return read_blob(document.blob)


def as_checked(document: StoredDocument) -> CheckedFile:
    """The stored document as a checked upload (its content was checked when it was added)."""
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}[document.mime]
    name = document.name
    stem = name.rsplit(".", 1)[0] if name.lower().endswith(f".{extension}") else name
    return CheckedFile(f"{stem}.{extension}"[:200], document.mime, content_of(document))


def rename(session: Session, document: StoredDocument, name: str, kind: str, until: date | None) -> None:
    document.name = clean_name(name)
    document.kind = kind
    document.valid_until = until
    document.updated_at = utcnow()
    session.flush()


def delete(session: Session, document: StoredDocument) -> None:
    blob_id = document.blob_id
    session.delete(document)
    release_if_unused(session, blob_id)


def delete_all_of(session: Session, user_id: int) -> int:
    """Every document of the family (account closure); returns how many."""
    documents = list(documents_of(session, user_id))
    for document in documents:
        delete(session, document)
    return len(documents)
