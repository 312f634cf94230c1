"""« Mes documents » in the export (the list and the files themselves), and deleted at closure."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from web.core.i18n import _l
from web.core.personal_data import Provider, register

from . import services


def document_rows(session: Session, user: Any) -> list[dict[str, Any]]:
    return [
        {
            "id": d.id,
            "nom": d.name,
            "type_document": d.kind,
            "format": d.mime,
            "taille": d.size,
            "valable_jusqu_au": d.valid_until.isoformat() if d.valid_until else "",
            "ajoute_le": d.created_at.isoformat(),
            "fichier": f"mes-documents/{d.id}-{services.as_checked(d).filename}",
        }
        for d in services.documents_of(session, user.id)
    ]


def document_files(session: Session, user: Any) -> list[tuple[str, bytes]]:
    files = []
    for document in services.documents_of(session, user.id):
        checked = services.as_checked(document)
        files.append((f"mes-documents/{document.id}-{checked.filename}", checked.content))
    return files


def erase(session: Session, user: Any) -> None:
    services.delete_all_of(session, user.id)


register(
    Provider(
        "mes_documents",
        _l("Mes documents"),
        _l(
            "Les documents de votre espace « Mes documents » ; "
            "les fichiers sont dans le dossier mes-documents/."
        ),
        document_rows,
        files=document_files,
        erase=erase,
        order=30,
    )
)
