"""Messages to the families (through web/notifications: their preferred channel, the outbox)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import api
from web.accounts.models import User
from web.notifications.routing import notify

from .allocation import waiting_rank
from .models import ActivityBooking, ActivityDraw, ActivityOffer, BookingStatus


@dataclass(frozen=True)
class _Request:
    """The démarche of a booking, by id: all the timeline needs (no ORM row walked)."""

    id: int


def timeline(session: Session, booking: ActivityBooking, event_type: str, label: str) -> None:
    """An entry in the timeline of the booking's démarche « Inscription à une activité »."""
    if booking.instance_id is not None:
        api.add_event(session, _Request(booking.instance_id), event_type, label)  # type: ignore[arg-type]


def _tell(session: Session, user_id: int | None, message: str) -> None:
    user = User.load_plain(session, user_id) if user_id else None
    if user is not None:
        notify(session, user, message)


def describe(session: Session, booking: ActivityBooking) -> str:
    if booking.status == BookingStatus.PLACED:
        return f"{booking.session.label} : place attribuée"
    if booking.status == BookingStatus.WAITING:
        return f"{booking.session.label} : liste d'attente, rang {waiting_rank(session, booking)}"
    return f"{booking.session.label} : {booking.status.value}"


def tell_draw_outcome(session: Session, offer: ActivityOffer) -> int:
    """One message per drawn request: its outcome, session by session."""
    draw = session.scalars(select(ActivityDraw).where(ActivityDraw.activity_id == offer.activity_id)).one()
    groups: dict[str, list[ActivityBooking]] = defaultdict(list)
    for booking in session.scalars(
        select(ActivityBooking)
        .where(ActivityBooking.activity_id == offer.activity_id)
        .order_by(ActivityBooking.id)
    ):
        if booking.received_at <= draw.ran_at and booking.status in (
            BookingStatus.PLACED,
            BookingStatus.WAITING,
        ):
            groups[booking.request_ref].append(booking)
    for ref, bookings in groups.items():
        first = bookings[0]
        outcome = " ; ".join(describe(session, b) for b in bookings)
        _tell(
            session,
            first.user_id,
            f"Tirage au sort de « {offer.activity.name} » pour {first.child.first_name} "
            f"(demande {ref}) : {outcome}.",
        )
    return len(groups)


def tell_promoted(session: Session, promoted: list[ActivityBooking]) -> None:
    for booking in promoted:
        timeline(
            session,
            booking,
            "inscription_promue",
            "Place attribuée depuis la liste d'attente : "
            f"{booking.child.first_name}, {booking.session.label}",
        )
        _tell(
            session,
            booking.user_id,
            f"Bonne nouvelle : une place s'est libérée. {booking.child.first_name} est inscrit(e) à "
            f"« {booking.activity.name} », {booking.session.label} (demande {booking.request_ref}).",
        )
