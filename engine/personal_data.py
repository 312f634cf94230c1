"""A family's requests as plain rows (the « Télécharger mes données » export) and their erasure
(account closure, retention): Flask-free, exposed by engine/api/personal_data.py.

Rows are JSON-ready dicts (ISO dates, no bytes). Erasure keeps, per request, only an anonymous shell
(reference, démarche, dates, final status) for the services' statistics: the workflow state and its
data, the tasks, the timeline, the documents and the mails of the request are deleted.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from .data import current_data
from .db import utcnow
from .documents import Document
from .events import Actor
from .i18n import N_
from .models import (
    HistoryEvent,
    HumanTask,
    InstanceStatus,
    OutboxMessage,
    ProcessDefinition,
    ProcessInstance,
    Visibility,
)

log = logging.getLogger(__name__)
ERASED_LABEL = N_("Clôturée avec le compte")


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _data(session: Session, instance: ProcessInstance, requester: Actor) -> dict[str, Any]:
    """What the request holds (the latest step's data), JSON-ready; {} if it cannot be read."""
    try:
        data = current_data(session, instance, requester)
    except Exception:  # a workflow that no longer loads: its summary stays in the export
        log.warning("Data of instance %s not readable for the export", instance.id, exc_info=True)
        return {}
    return json.loads(json.dumps(data, default=str))


def request_rows(session: Session, requester: Actor) -> list[dict[str, Any]]:
    """One row per request of the family: reference, démarche, status, dates, and its data."""
    requester_id = requester.id
    rows = session.execute(
        select(ProcessInstance, ProcessDefinition.title)
        .join(ProcessDefinition, ProcessInstance.definition_id == ProcessDefinition.id)
        .where(ProcessInstance.requester_id == requester_id)
        .order_by(ProcessInstance.created_at, ProcessInstance.id)
    ).all()
    return [
        {
            "id": instance.id,
            "reference": instance.reference or "",
            "demarche": title,
            "statut": instance.status_label or str(instance.status),
            "creee_le": _iso(instance.created_at),
            "deposee_le": _iso(instance.submitted_at),
            "terminee_le": _iso(instance.completed_at),
            "resume": instance.data_summary or {},
            "donnees": _data(session, instance, requester),
        }
        for instance, title in rows
    ]


def timeline_rows(session: Session, requester_id: int) -> list[dict[str, Any]]:
    """The public timeline of every request of the family (never the agents' internal notes)."""
    events = session.execute(
        select(HistoryEvent)
        .join(ProcessInstance, HistoryEvent.instance_id == ProcessInstance.id)
        .where(ProcessInstance.requester_id == requester_id, HistoryEvent.visibility == Visibility.PUBLIC)
        .order_by(HistoryEvent.instance_id, HistoryEvent.created_at, HistoryEvent.id)
    ).scalars()
    return [
        {
            "demande_id": event.instance_id,
            "date": _iso(event.created_at),
            "evenement": event.label,
            "commentaire": event.comment or "",
            "par": event.actor_role or "",
        }
        for event in events
    ]


def request_document_rows(session: Session, requester_id: int) -> list[tuple[dict[str, Any], bytes]]:
    """The documents joined to the family's requests, with their bytes."""
    documents = session.execute(
        select(Document)
        .join(ProcessInstance, Document.instance_id == ProcessInstance.id)
        .where(ProcessInstance.requester_id == requester_id)
        .order_by(Document.id)
    ).scalars()
    return [
        (
            {
                "id": document.id,
                "demande_id": document.instance_id,
                "etape": document.step,
                "nom": document.filename,
                "type": document.mime,
                "taille": document.size,
                "sha256": document.sha256,
                "ajoute_le": _iso(document.created_at),
            },
            document.content,
        )
        for document in documents
    ]


def message_rows(session: Session, requester_id: int, recipients: Iterable[str]) -> list[dict[str, Any]]:
    """Mails and SMS sent to the family: to its addresses, or about its requests."""
    wanted = [r for r in recipients if r]
    own = select(ProcessInstance.id).where(ProcessInstance.requester_id == requester_id)
    condition = OutboxMessage.instance_id.in_(own)
    if wanted:
        condition = or_(condition, OutboxMessage.recipient.in_(wanted))
    messages = session.execute(select(OutboxMessage).where(condition).order_by(OutboxMessage.id)).scalars()
    return [
        {
            "id": message.id,
            "canal": message.channel,
            "destinataire": message.recipient,
            "objet": message.subject,
            "texte": message.body_text,
            "statut": str(message.status),
            "cree_le": _iso(message.created_at),
            "envoye_le": _iso(message.sent_at),
        }
        for message in messages
    ]


@dataclass(frozen=True)
class Erasure:
    """What erasing a family's requests did: the running ones cancelled (references), and counts."""

    cancelled: tuple[str, ...]
    anonymised: int


def running_requests(session: Session, requester_id: int, *, except_id: int | None = None) -> list[str]:
    """References (or titles) of the family's requests still running, for the closure's confirmation."""
    rows = session.execute(
        select(ProcessInstance.id, ProcessInstance.reference, ProcessDefinition.title)
        .join(ProcessDefinition, ProcessInstance.definition_id == ProcessDefinition.id)
        .where(ProcessInstance.requester_id == requester_id, ProcessInstance.status == InstanceStatus.RUNNING)
        .order_by(ProcessInstance.id)
    ).all()
    return [f"{reference or 'brouillon'} — {title}" for id_, reference, title in rows if id_ != except_id]


def erase_requests(
    session: Session, requester_id: int, recipients: Iterable[str], *, except_id: int | None = None
) -> Erasure:
    """Cancel the running requests and reduce every request of the family to an anonymous shell; flushes.

    Idempotent: a second run finds no request of this requester any more."""
    ids = [
        i
        for i in session.execute(
            select(ProcessInstance.id).where(ProcessInstance.requester_id == requester_id)
        ).scalars()
        if i != except_id
    ]
    cancelled = tuple(running_requests(session, requester_id, except_id=except_id))
    now = utcnow()
    if ids:
        for model in (HumanTask, HistoryEvent, Document, OutboxMessage):
            session.execute(delete(model).where(model.instance_id.in_(ids)))  # type: ignore[attr-defined]
        session.execute(
            update(ProcessInstance)
            .where(ProcessInstance.id.in_(ids), ProcessInstance.status == InstanceStatus.RUNNING)
            .values(status=InstanceStatus.CANCELLED, completed_at=now)
        )
        session.execute(
            update(ProcessInstance)
            .where(ProcessInstance.id.in_(ids))
            .values(
                requester_id=None,
                requester_name="",
                guest_key_hash=None,
                serialization="",
                data_summary={},
                status_label=ERASED_LABEL,
                next_timer_at=None,
                updated_at=now,
            )
        )
    wanted = [r for r in recipients if r]
    if wanted:
        session.execute(delete(OutboxMessage).where(OutboxMessage.recipient.in_(wanted)))
    session.flush()
    return Erasure(cancelled, len(ids))
