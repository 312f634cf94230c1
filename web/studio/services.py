"""The analysts' drafts (one per analyst and démarche, never live) and the publication audit trail."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db import utcnow
from web.core import audit as security

from .models import StudioAction, StudioAudit, StudioDraft


def draft(session: Session, user_id: int, key: str) -> StudioDraft | None:
    return session.execute(
        select(StudioDraft).where(StudioDraft.user_id == user_id, StudioDraft.key == key)
    ).scalar_one_or_none()


def save_draft(session: Session, user_id: int, key: str, xml: str, base_version: int) -> StudioDraft:
    """Create or replace the analyst's draft of a démarche (only flushes)."""
    current = draft(session, user_id, key)
    if current is None:
        current = StudioDraft(user_id=user_id, key=key, base_version=base_version, bpmn_xml=xml)
        session.add(current)
    current.bpmn_xml = xml
    current.base_version = base_version
    current.updated_at = utcnow()
    session.flush()
    return current


def discard_draft(session: Session, user_id: int, key: str) -> None:
    current = draft(session, user_id, key)
    if current is not None:
        session.delete(current)
        session.flush()


def drafts_of(session: Session, user_id: int) -> Sequence[StudioDraft]:
    return (
        session.execute(select(StudioDraft).where(StudioDraft.user_id == user_id).order_by(StudioDraft.key))
        .scalars()
        .all()
    )


def record(
    session: Session,
    *,
    actor: str,
    action: StudioAction,
    key: str,
    version: int,
    from_version: int | None,
    comment: str,
) -> None:
    session.add(
        StudioAudit(
            at=utcnow(),
            actor=actor[:150],
            action=action,
            key=key,
            version=version,
            from_version=from_version,
            comment=comment,
        )
    )
    event = security.Event.PUBLISH if action == StudioAction.PUBLISH else security.Event.ROLLBACK
    details = {"auteur": actor, "depuis": from_version or "-"}
    security.audit(event, target=f"{key} version {version}", details=details)
    session.flush()


def audit(session: Session, key: str | None = None, limit: int = 50) -> Sequence[StudioAudit]:
    query = select(StudioAudit).order_by(StudioAudit.at.desc(), StudioAudit.id.desc()).limit(limit)
    if key is not None:
        query = query.where(StudioAudit.key == key)
    return session.execute(query).scalars().all()
