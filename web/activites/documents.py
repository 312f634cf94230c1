"""The documents an activity asks for, given with the booking request: each one chosen in « Mes
documents » or uploaded (forms/documents.py and web/coffre/choice.py do the checking), then joined
to the request's démarche, where the agents see them (task page, dossier, session page)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from engine import api
from forms.documents import document_fields

from .models import ActivityBooking, ActivityOffer

STEP = "Demande d'inscription"


def missing_documents(offer: ActivityOffer, form: Any) -> list[str]:
    """The documents of the activity the form gives no file for."""
    given = {field.label.text for field in document_fields(form) if getattr(field, "documents", None)}
    return [name for name in offer.document_list if name not in given]


def attach_documents(session: Session, instance_id: int, form: Any, actor: Any) -> int:
    """Join the given files to the request's démarche (flush only); how many."""
    count = 0
    for field in document_fields(form):
        for checked in getattr(field, "documents", None) or []:
            api.add_document(
                session,
                instance_id,
                step=STEP,
                field=field.name,
                actor=actor,
                role=api.lane_label(api.REQUESTER_LANE),
                filename=checked.filename,
                mime=checked.mime,
                content=checked.content,
                label=field.label.text,
            )
            count += 1
    return count


def request_documents(
    session: Session, offer: ActivityOffer, bookings: list[ActivityBooking]
) -> dict[int, list[tuple[str, Any]]]:
    """The documents joined to each booking's démarche, by instance id: (document name, DocumentView)."""
    names = offer.document_list
    found: dict[int, list[tuple[str, Any]]] = {}
    for instance_id in {b.instance_id for b in bookings if b.instance_id is not None}:
        found[instance_id] = [
            (_name(names, d.field) or d.filename, d) for d in api.documents_of(session, instance_id)
        ]
    return found


def _name(names: list[str], field: str) -> str | None:
    number = field.removeprefix("piece_")
    if field.startswith("piece_") and number.isdigit() and 0 < int(number) <= len(names):
        return names[int(number) - 1]
    return None
