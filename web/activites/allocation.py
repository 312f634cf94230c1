"""Giving places: first come first served outside fair windows, in draw order after one; releasing a
place promotes the waiting list. Every write is guarded by the database (web/activites/models.py):

1. `UPDATE activity_session SET allocated = allocated + 1 WHERE id = :id AND allocated < places AND NOT
   closed` takes a place or nothing. On PostgreSQL the updated row stays locked until commit (the
   row-lock the engine's jobs take with `FOR UPDATE`), on SQLite the statement takes the database's
   write lock: the writers of one session are serialised, the place number read next is fresh;
2. the place number is the smallest free one, unique per session (a second writer would fail);
3. otherwise `tickets = tickets + 1 ... RETURNING tickets` gives a unique waiting ticket.
Views and services only flush: the request's transaction commits once (web/core/transaction.py).
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from engine.db import utcnow

from .billing import invoice_late_place
from .enrolments import sync_enrolment
from .journal_texts import PLACED, PROMOTED, WAITING, stored
from .models import ActivityBooking, ActivitySession, BookingEvent, BookingStatus

log = logging.getLogger(__name__)


def journal(session: Session, booking: ActivityBooking, text: str) -> None:
    session.add(BookingEvent(booking_id=booking.id, at=utcnow(), text=text[:500]))


def take_place(session: Session, session_id: int) -> int | None:
    """A free place number of the session, or None when it is full or closed (see the module)."""
    taken = session.execute(
        update(ActivitySession)
        .where(
            ActivitySession.id == session_id,
            ActivitySession.allocated < ActivitySession.places,
            ActivitySession.closed.is_(False),
        )
        .values(allocated=ActivitySession.allocated + 1)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        return None
    used = set(
        session.scalars(
            select(ActivityBooking.place_no).where(
                ActivityBooking.session_id == session_id, ActivityBooking.place_no.is_not(None)
            )
        )
    )
    number = 1
    while number in used:
        number += 1
    return number


def next_ticket(session: Session, session_id: int) -> int:
    return int(
        session.execute(
            update(ActivitySession)
            .where(ActivitySession.id == session_id)
            .values(tickets=ActivitySession.tickets + 1)
            .returning(ActivitySession.tickets)
            .execution_options(synchronize_session=False)
        ).scalar_one()
    )


def allocate(session: Session, booking: ActivityBooking, /, *, how: str = "", **values: Any) -> None:
    """Give the booking a place, or a waiting-list ticket when the session is full. `how` and `values`
    say how, for the journal (web/activites/journal_texts.py: « tirage », « apres_tirage », « deplace »)."""
    number = take_place(session, booking.session_id)
    booking.updated_at = utcnow()
    if number is not None:
        booking.status, booking.place_no, booking.ticket = BookingStatus.PLACED, number, None
        session.flush()
        journal(session, booking, stored(PLACED[how], **values))
        sync_enrolment(session, booking.child_id, booking.activity_id)
        return
    booking.status, booking.place_no = BookingStatus.WAITING, None
    booking.ticket = next_ticket(session, booking.session_id)
    session.flush()
    journal(session, booking, stored(WAITING[how], **values, rank=waiting_rank(session, booking)))


def waiting_rank(session: Session, booking: ActivityBooking) -> int | None:
    """The position on the waiting list (1 = next to get a place)."""
    if booking.status != BookingStatus.WAITING or booking.ticket is None:
        return None
    ahead = session.scalar(
        select(func.count()).where(
            ActivityBooking.session_id == booking.session_id,
            ActivityBooking.status == BookingStatus.WAITING,
            ActivityBooking.ticket <= booking.ticket,
        )
    )
    return int(ahead or 0)


def release(session: Session, booking: ActivityBooking, status: BookingStatus, text: str) -> list[Any]:
    """End an active booking (cancelled, refused, moved) and promote the waiting list; the promoted."""
    had_place = booking.status == BookingStatus.PLACED
    booking.status, booking.child_slot, booking.place_no, booking.ticket = status, None, None, None
    booking.updated_at = utcnow()
    session.flush()
    journal(session, booking, text)
    if not had_place:
        return []
    sync_enrolment(session, booking.child_id, booking.activity_id)
    session.execute(
        update(ActivitySession)
        .where(ActivitySession.id == booking.session_id, ActivitySession.allocated > 0)
        .values(allocated=ActivitySession.allocated - 1)
        .execution_options(synchronize_session=False)
    )
    return promote(session, booking.session_id)


def promote(session: Session, session_id: int) -> list[ActivityBooking]:
    """Give the free places of a session to the waiting list, in ticket order."""
    promoted = []
    while True:
        first = session.scalars(
            select(ActivityBooking)
            .where(ActivityBooking.session_id == session_id, ActivityBooking.status == BookingStatus.WAITING)
            .order_by(ActivityBooking.ticket)
            .limit(1)
        ).first()
        if first is None:
            break
        number = take_place(session, session_id)
        if number is None:
            break
        first.status, first.place_no, first.ticket = BookingStatus.PLACED, number, None
        first.updated_at = utcnow()
        session.flush()
        journal(session, first, stored(PROMOTED))
        sync_enrolment(session, first.child_id, first.activity_id)
        invoice_late_place(session, first)
        promoted.append(first)
    return promoted
