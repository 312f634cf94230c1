"""The family's requests (démarches): their data, public timelines, documents, and the mails and SMS sent.

At closure (engine/personal_data.py): running requests are cancelled, and every request is reduced to
an anonymous shell (reference, démarche, dates, final status); its data, timeline, documents and
mails are deleted, as are the mails and SMS sent to the account's addresses.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from engine import api
from web.core.i18n import _l
from web.core.personal_data import CLOSING_INSTANCE, Provider, register


def _addresses(user: Any) -> list[str]:
    return [a for a in (user.email, getattr(user, "mobile", None), getattr(user, "telephone", None)) if a]


def requests(session: Session, user: Any) -> list[dict[str, Any]]:
    return api.request_rows(session, user)


def timelines(session: Session, user: Any) -> list[dict[str, Any]]:
    return api.timeline_rows(session, user.id)


def documents(session: Session, user: Any) -> list[dict[str, Any]]:
    rows = []
    for row, _content in api.request_document_rows(session, user.id):
        rows.append({**row, "fichier": f"documents-des-demandes/{row['id']}-{row['nom']}"})
    return rows


def document_files(session: Session, user: Any) -> list[tuple[str, bytes]]:
    return [
        (f"documents-des-demandes/{row['id']}-{row['nom']}", content)
        for row, content in api.request_document_rows(session, user.id)
    ]


def messages(session: Session, user: Any) -> list[dict[str, Any]]:
    return api.message_rows(session, user.id, _addresses(user))


def erase(session: Session, user: Any) -> None:
    api.erase_requests(session, user.id, _addresses(user), except_id=session.info.get(CLOSING_INSTANCE))


for provider in (
    Provider("demandes", _l("Demandes"),
             _l("Vos demandes : référence, démarche, statut, dates et données saisies."), requests, order=40),
    Provider("historique_des_demandes", _l("Historique des demandes"),
             _l("L'historique public de chaque demande (sans les notes internes des agents)."),
             timelines, order=41),
    Provider("documents_des_demandes", _l("Documents des demandes"),
             _l("Les fichiers joints à vos demandes ; ils sont dans le dossier documents-des-demandes/."),
             documents, files=document_files, order=42),
    Provider("courriels_et_sms", _l("Courriels et SMS"),
             _l("Les courriels et SMS que Guichet vous a envoyés (ou doit encore envoyer)."), messages,
             erase=erase, order=43),
):  # fmt: skip
    register(provider)
