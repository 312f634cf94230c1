"""The famille `Enrolment` rows follow the portal's bookings: a child who holds a place in a session of
an activity is enrolled in it (« Ma famille », the family dashboard, the news audiences read them);
once none of its bookings of that activity holds a place (cancelled, refused, moved away), the row
goes. Rows the service's software imported (web/famille CSV import) are the same rows: a booking
cancelled on the portal removes the enrolment too, which is what the family expects to see."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from web.famille.models import Enrolment

from .models import ActivityBooking, BookingStatus


def sync_enrolment(session: Session, child_id: int, activity_id: int) -> None:
    """Add or remove the child's enrolment in the activity after its bookings changed (flush only)."""
    placed = session.scalar(
        select(ActivityBooking.id)
        .where(
            ActivityBooking.child_id == child_id,
            ActivityBooking.activity_id == activity_id,
            ActivityBooking.status == BookingStatus.PLACED,
        )
        .limit(1)
    )
    existing = session.scalar(
        select(Enrolment.id).where(Enrolment.child_id == child_id, Enrolment.activity_id == activity_id)
    )
    if placed is not None and existing is None:
        try:
            with session.begin_nested():  # another request may enrol the same child at the same time
                session.add(Enrolment(child_id=child_id, activity_id=activity_id))
                session.flush()
        except IntegrityError:
            pass  # enrolled by the other request: the row is there, which is what we want
    elif placed is None and existing is not None:
        session.execute(delete(Enrolment).where(Enrolment.id == existing))
        session.flush()
    _expire_children(session, child_id)


def _expire_children(session: Session, child_id: int) -> None:
    """The Child loaded in this session reads its enrolments again (selectin relation)."""
    from web.famille.models import Child

    child = session.identity_map.get(session.identity_key(Child, (child_id,)))
    if child is not None:
        session.expire(child, ["enrolments"])


def resync_enrolments(session: Session) -> int:
    """Enrol again every child holding a place (after an import of the service's file, which replaces
    the children's activities with the file's): how many rows were added."""
    placed = session.execute(
        select(ActivityBooking.child_id, ActivityBooking.activity_id)
        .where(ActivityBooking.status == BookingStatus.PLACED)
        .distinct()
    ).all()
    have = set(session.execute(select(Enrolment.child_id, Enrolment.activity_id)).tuples())
    added = [Enrolment(child_id=c, activity_id=a) for c, a in placed if (c, a) not in have]
    session.add_all(added)
    session.flush()
    return len(added)
