"""What changes a booking after it is made: the family cancels, an agent refuses or moves a child, an
agent closes an activity; and what the pages list. Each frees places and promotes the waiting list."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db import utcnow
from web.famille.models import Activity
from web.famille.services import agent_services, records_of

from .allocation import allocate, journal, release, waiting_rank
from .booking import BookingError
from .cancel_billing import bill_cancelled_booking
from .models import ACTIVE, ActivityBooking, ActivityOffer, ActivitySession, BookingEvent, BookingStatus
from .notices import tell_promoted, timeline


class NotFound(LookupError):
    """Not there for this user (a 404: never say whether it exists)."""


def cancel_deadline(booking: ActivityBooking, offer: ActivityOffer) -> Any:
    return booking.session.starts_on - timedelta(days=offer.cancel_days)


def bookings_of(session: Session, user: Any) -> list[ActivityBooking]:
    ids = [r.id for r in records_of(user)]
    if not ids:
        return []
    return list(
        session.scalars(
            select(ActivityBooking)
            .where(ActivityBooking.family_record_id.in_(ids))
            .order_by(ActivityBooking.received_at.desc(), ActivityBooking.id)
        )
    )


def family_booking(session: Session, user: Any, booking_id: int) -> ActivityBooking:
    booking = session.get(ActivityBooking, booking_id)
    if booking is None or booking.family_record_id not in {r.id for r in records_of(user)}:
        raise NotFound(booking_id)
    return booking


def cancel_by_family(session: Session, user: Any, booking_id: int) -> ActivityBooking:
    booking = family_booking(session, user, booking_id)
    offer = session.get(ActivityOffer, booking.activity_id)
    if booking.status not in ACTIVE:
        raise BookingError("Cette inscription est déjà annulée.")
    deadline = cancel_deadline(booking, offer)  # type: ignore[arg-type]
    if utcnow().date() > deadline:
        raise BookingError(
            f"L'annulation en ligne était possible jusqu'au {deadline:%d/%m/%Y} : contactez le service "
            f"{booking.activity.service}."
        )
    promoted = release(session, booking, BookingStatus.CANCELLED, "Annulée par la famille.")
    bill_cancelled_booking(session, booking, actor="la famille")
    timeline(
        session,
        booking,
        "inscription_annulee",
        f"Inscription annulée par la famille : {booking.child.first_name}, {booking.session.label}",
    )
    tell_promoted(session, promoted)
    return booking


def refuse(session: Session, request_ref: str, reason: str) -> int:
    """An agent refused the request (BPMN validation): its bookings end, places go to the waiting list."""
    count = 0
    for booking in session.scalars(select(ActivityBooking).where(ActivityBooking.request_ref == request_ref)):
        if booking.status in ACTIVE:
            tell_promoted(
                session,
                release(session, booking, BookingStatus.REFUSED, f"Refusée par le service : {reason}"),
            )
            count += 1
    return count


def validate(session: Session, request_ref: str, by: str) -> None:
    for booking in session.scalars(select(ActivityBooking).where(ActivityBooking.request_ref == request_ref)):
        booking.validated_at = utcnow()
        journal(session, booking, f"Demande validée par le service ({by}).")


def offer_for_agent(session: Session, user: Any, activity_id: int) -> ActivityOffer:
    offer = session.get(ActivityOffer, activity_id)
    if offer is None or offer.activity.service not in agent_services(user):
        raise NotFound(activity_id)
    return offer


def agent_activities(session: Session, user: Any) -> list[tuple[Activity, ActivityOffer | None]]:
    services = agent_services(user)
    rows = session.scalars(
        select(Activity).where(Activity.service.in_(services)).order_by(Activity.name)
    ).all()
    return [(a, session.get(ActivityOffer, a.id)) for a in rows]


def session_lists(
    session: Session, session_id: int
) -> tuple[list[ActivityBooking], list[ActivityBooking], list[ActivityBooking]]:
    """(placed by place number, waiting by rank, awaiting the draw) of one session."""
    rows = session.scalars(
        select(ActivityBooking).where(
            ActivityBooking.session_id == session_id, ActivityBooking.status.in_(ACTIVE)
        )
    ).all()
    placed = sorted((b for b in rows if b.status == BookingStatus.PLACED), key=lambda b: b.place_no or 0)
    waiting = sorted((b for b in rows if b.status == BookingStatus.WAITING), key=lambda b: b.ticket or 0)
    drawing = [b for b in rows if b.status == BookingStatus.DRAW]
    return placed, waiting, drawing


def move(session: Session, offer: ActivityOffer, booking_id: int, target_id: int, by: str) -> ActivityBooking:
    """Move a child to another session of the same activity; the new session must have a free place."""
    booking = session.get(ActivityBooking, booking_id)
    target = session.get(ActivitySession, target_id)
    if booking is None or booking.activity_id != offer.activity_id or booking.status not in ACTIVE:
        raise BookingError("Cette inscription n'existe pas ou n'est plus active.")
    if target is None or target.activity_id != offer.activity_id or target.id == booking.session_id:
        raise BookingError("Choisissez une autre session de cette activité.")
    if session.scalar(
        select(ActivityBooking.id).where(
            ActivityBooking.session_id == target.id, ActivityBooking.child_slot == booking.child_id
        )
    ):
        raise BookingError(f"{booking.child.first_name} est déjà inscrit(e) à « {target.label} ».")
    moved = ActivityBooking(
        session_id=target.id, activity_id=booking.activity_id, child_id=booking.child_id,
        family_record_id=booking.family_record_id, user_id=booking.user_id, request_ref=booking.request_ref,
        status=BookingStatus.DRAW, child_slot=booking.child_id, price_cents=booking.price_cents,
        price_detail=booking.price_detail, validated_at=booking.validated_at, instance_id=booking.instance_id,
        received_at=booking.received_at,
    )  # fmt: skip
    session.add(moved)
    session.flush()
    allocate(session, moved, why=f" (déplacé depuis « {booking.session.label} » par {by})")
    if moved.status != BookingStatus.PLACED:
        raise BookingError(f"La session « {target.label} » est complète : le déplacement n'est pas fait.")
    tell_promoted(
        session,
        release(session, booking, BookingStatus.CANCELLED, f"Déplacé vers « {target.label} » par {by}."),
    )
    return moved


def close(session: Session, offer: ActivityOffer, by: str) -> None:
    """Close an activity: no more requests, sessions closed; the bookings made stay."""
    offer.closed_at = utcnow()
    for s in offer.sessions:
        s.closed = True
    session.flush()


def events_of(session: Session, booking_ids: list[int]) -> dict[int, list[BookingEvent]]:
    found: dict[int, list[BookingEvent]] = {i: [] for i in booking_ids}
    if booking_ids:
        for event in session.scalars(
            select(BookingEvent)
            .where(BookingEvent.booking_id.in_(booking_ids))
            .order_by(BookingEvent.at, BookingEvent.id)
        ):
            found[event.booking_id].append(event)
    return found


__all__ = ["waiting_rank"]
