"""What the pages read and change of the family records; every lookup is scoped to who asks."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from engine.db import utcnow

from .models import Activity, Child, ChildService, Enrolment, FamilyMember, FamilyRecord

log = logging.getLogger(__name__)

ENFANCE = "Enfance"  # the service whose key and import fill the records (« Clé Espace Citoyens Enfance »)


class NotFound(LookupError):
    """The record or child does not exist for this user (a 404: never say whether it exists)."""


def records_of(user: Any) -> list[FamilyRecord]:
    """The records an account is linked to (through its service keys); none for agents."""
    if user is None or not getattr(user, "is_authenticated", False) or user.is_staff:
        return []
    return list(user.family_records)


def children_of(session: Session, user: Any) -> list[Child]:
    ids = [r.id for r in records_of(user)]
    if not ids:
        return []
    return list(
        session.scalars(
            select(Child)
            .where(Child.family_record_id.in_(ids))
            .options(selectinload(Child.enrolments), selectinload(Child.service_links))
            .order_by(Child.birth_date, Child.first_name)
        )
    )


def audience_of(session: Session, user: Any) -> tuple[set[int], set[str]]:
    """The activity ids the family's children are enrolled in, and the services that know them."""
    ids = [r.id for r in records_of(user)]
    if not ids:
        return set(), set()
    activity_ids = set(
        session.scalars(
            select(Enrolment.activity_id)
            .join(Child, Child.id == Enrolment.child_id)
            .where(Child.family_record_id.in_(ids))
        )
    )
    services = set(
        session.scalars(
            select(ChildService.service)
            .join(Child, Child.id == ChildService.child_id)
            .where(Child.family_record_id.in_(ids))
        )
    )
    services |= {r.service for r in records_of(user)}
    return activity_ids, services


# --- Agents --------------------------------------------------------------------------------------


def agent_services(user: Any) -> set[str]:
    return set(user.groups)


def may_manage_records(user: Any) -> bool:
    """Agents of the Enfance service import and correct the records (admins: only if members)."""
    return bool(getattr(user, "is_staff", False)) and ENFANCE in user.groups


def record_for_agent(session: Session, record_id: int, user: Any) -> FamilyRecord:
    record = session.get(FamilyRecord, record_id)
    if record is None or record.service not in agent_services(user):
        raise NotFound(record_id)
    return record


def child_for_agent(session: Session, record: FamilyRecord, child_id: int) -> Child:
    child = session.get(Child, child_id)
    if child is None or child.family_record_id != record.id:
        raise NotFound(child_id)
    return child


def member_for_agent(session: Session, record: FamilyRecord, member_id: int) -> FamilyMember:
    member = session.get(FamilyMember, member_id)
    if member is None or member.family_record_id != record.id:
        raise NotFound(member_id)
    return member


def search_records(session: Session, user: Any, text: str = "", limit: int = 200) -> list[FamilyRecord]:
    query = select(FamilyRecord).where(FamilyRecord.service.in_(agent_services(user)))
    text = text.strip()
    if text:
        like = f"%{text.lower()}%"
        child_match = select(Child.family_record_id).where(
            or_(func.lower(Child.last_name).like(like), func.lower(Child.first_name).like(like))
        )
        query = query.where(
            or_(
                func.lower(FamilyRecord.name).like(like),
                func.lower(FamilyRecord.external_id).like(like),
                FamilyRecord.id.in_(child_match),
            )
        )
    return list(session.scalars(query.order_by(FamilyRecord.name).limit(limit)))


def find_record_for_key(session: Session, service: str, text: str) -> FamilyRecord | None:
    """The record a key is issued for: its id in the software (« F-0042 ») or its exact name."""
    text = text.strip()
    by_id = session.scalars(
        select(FamilyRecord).where(FamilyRecord.service == service, FamilyRecord.external_id == text)
    ).first()
    if by_id is not None:
        return by_id
    matches = list(
        session.scalars(
            select(FamilyRecord).where(
                FamilyRecord.service == service, func.lower(FamilyRecord.name) == text.lower()
            )
        )
    )
    return matches[0] if len(matches) == 1 else None


def activities(session: Session) -> list[Activity]:
    return list(session.scalars(select(Activity).order_by(Activity.name)))


CHILD_FIELDS = {
    "nom": ("last_name", "nom"),
    "prenom": ("first_name", "prénom"),
    "date_naissance": ("birth_date", "date de naissance"),
    "ecole": ("school", "école"),
    "classe": ("class_name", "classe"),
}


def correct_child(child: Child, values: dict[str, Any], *, by: str) -> list[str]:
    """Apply corrections to a child (agent page or accepted correction request); returns what changed."""
    changes = []
    for key, value in values.items():
        attr, label = CHILD_FIELDS[key]
        old = getattr(child, attr)
        if isinstance(value, str):
            value = value.strip() or None
        if attr in ("last_name", "first_name") and not value:
            continue
        if old != value:
            setattr(child, attr, value)
            changes.append(label)
    if changes:
        child.updated_at = utcnow()
        child.record.updated_at = child.updated_at
        log.info("Child %s corrected by %s: %s", child.id, by, ", ".join(changes))
    return changes


MEMBER_FIELDS = {
    "nom": ("last_name", "nom"),
    "prenom": ("first_name", "prénom"),
    "telephone": ("phone", "téléphone"),
    "courriel": ("email", "courriel"),
}


def _apply(target: Any, fields: dict[str, tuple[str, str]], values: dict[str, Any]) -> list[str]:
    changes = []
    for key, value in values.items():
        attr, label = fields[key]
        if isinstance(value, str):
            value = value.strip() or None
        if attr in ("last_name", "first_name") and not value:
            continue
        if getattr(target, attr) != value:
            setattr(target, attr, value)
            changes.append(label)
    return changes


def correct_address(record: FamilyRecord, address: str | None, *, by: str) -> list[str]:
    """An agent corrects the household's address; returns what changed (« adresse » or nothing)."""
    changes = _apply(record, {"adresse": ("address", "adresse")}, {"adresse": address})
    if changes:
        record.updated_at = utcnow()
        log.info("Family record %s address corrected by %s", record.id, by)
    return changes


def correct_member(member: FamilyMember, values: dict[str, Any], *, by: str) -> list[str]:
    """An agent corrects a responsible adult of the record; returns what changed."""
    changes = _apply(member, MEMBER_FIELDS, values)
    if changes:
        member.record.updated_at = utcnow()
        log.info(
            "Family member %s of record %s corrected by %s: %s",
            member.id,
            member.family_record_id,
            by,
            ", ".join(changes),
        )
    return changes
