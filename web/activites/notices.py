"""Messages to the families (through web/notifications: their preferred channel, the outbox), each in
its recipient's language. The timeline entries of the démarche are stored texts, kept in French."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import api
from web.accounts.models import User
from web.core.i18n import _, in_language
from web.notifications.routing import notify

from .allocation import waiting_rank
from .models import STATUS_LABELS, ActivityBooking, ActivityDraw, ActivityOffer, BookingStatus


@dataclass(frozen=True)
class _Request:
    """The démarche of a booking, by id: all the timeline needs (no ORM row walked)."""

    id: int


def timeline(session: Session, booking: ActivityBooking, event_type: str, label: str) -> None:
    """An entry in the timeline of the booking's démarche « Inscription à une activité »."""
    if booking.instance_id is not None:
        api.add_event(session, _Request(booking.instance_id), event_type, label)  # type: ignore[arg-type]


def _tell(session: Session, user_id: int | None, message: Callable[[], str]) -> None:
    """Queue `message()`, written in the recipient's language."""
    user = User.load_plain(session, user_id) if user_id else None
    if user is not None:
        with in_language(getattr(user, "langue", None)):
            text = message()
        notify(session, user, text)


def describe(session: Session, booking: ActivityBooking) -> str:
    if booking.status == BookingStatus.PLACED:
        return _("%(session)s : place attribuée", session=booking.session.label)
    if booking.status == BookingStatus.WAITING:
        return _(
            "%(session)s : liste d'attente, rang %(rank)s",
            session=booking.session.label,
            rank=waiting_rank(session, booking),
        )
    return f"{booking.session.label} : {STATUS_LABELS[booking.status]}"


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
        _tell(session, bookings[0].user_id, _draw_message(session, offer, ref, bookings))
    return len(groups)


def _draw_message(
    session: Session, offer: ActivityOffer, ref: str, bookings: list[ActivityBooking]
) -> Callable[[], str]:
    def message() -> str:
        return _(
            "Tirage au sort de « %(activity)s » pour %(child)s (demande %(ref)s) : %(outcome)s.",
            activity=offer.activity.name,
            child=bookings[0].child.first_name,
            ref=ref,
            outcome=_(" ; ").join(describe(session, b) for b in bookings),
        )

    return message


def tell_promoted(session: Session, promoted: list[ActivityBooking]) -> None:
    for booking in promoted:
        timeline(
            session,
            booking,
            "inscription_promue",
            "Place attribuée depuis la liste d'attente : "
            f"{booking.child.first_name}, {booking.session.label}",
        )
        _tell(session, booking.user_id, _promoted_message(booking))


def _promoted_message(booking: ActivityBooking) -> Callable[[], str]:
    return lambda: _(
        "Bonne nouvelle : une place s'est libérée. %(child)s est inscrit(e) à « %(activity)s », "
        "%(session)s (demande %(ref)s).",
        child=booking.child.first_name,
        activity=booking.activity.name,
        session=booking.session.label,
        ref=booking.request_ref,
    )
