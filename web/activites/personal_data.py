"""Activity bookings, waiting ranks, the bookings' journal and the family quotient in the export; closure.

The rule at closure (docs/guide-famille.md, « Clôturer mon compte »):
- a booking that has not begun — its session starts after today, or it still waits (draw, waiting
  list) — is cancelled as a family cancellation is (the place is freed and the waiting list promoted,
  the promoted families are told), whatever the online cancellation deadline;
- a booking whose session has begun or is over stays with the family record of the Enfance service
  (attendance lists, invoicing), as do cancelled and refused ones and the family quotient: they are the
  service's records, not the account's. Every booking forgets the account and its démarche.

It runs before the requests are erased (order 35 < 40): the démarches of the bookings are still there
when places are released, and the family's own timelines are not written to (they are erased next).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine.db import utcnow
from web.core.personal_data import Provider, register
from web.core.presentation import PARIS
from web.famille.services import records_of

from .allocation import release, waiting_rank
from .cancel_billing import bill_cancelled_booking
from .manage import bookings_of, events_of
from .models import ACTIVE, STATUS_LABELS, ActivityBooking, BookingStatus, FamilyQuotient
from .notices import tell_promoted

CLOSED = "Annulée : le compte de la famille a été clôturé."


def _iso(value: Any) -> str:
    return value.isoformat() if value is not None else ""


def booking_rows(session: Session, user: Any) -> list[dict[str, Any]]:
    return [
        {
            "demande": b.request_ref,
            "activite": b.activity.name,
            "session": b.session.label,
            "du": _iso(b.session.starts_on),
            "au": _iso(b.session.ends_on),
            "enfant": f"{b.child.first_name} {b.child.last_name}",
            "statut": STATUS_LABELS.get(BookingStatus(b.status), str(b.status)),
            "place": b.place_no or "",
            "rang_liste_attente": waiting_rank(session, b) or "",
            "prix_centimes": b.price_cents,
            "detail_du_prix": b.price_detail or "",
            "recue_le": _iso(b.received_at),
            "validee_le": _iso(b.validated_at),
            "modifiee_le": _iso(b.updated_at),
        }
        for b in bookings_of(session, user)
    ]


def journal_rows(session: Session, user: Any) -> list[dict[str, Any]]:
    bookings = {b.id: b for b in bookings_of(session, user)}
    return [
        {"demande": bookings[i].request_ref, "session": bookings[i].session.label, "date": _iso(e.at),
         "texte": e.text}
        for i, events in events_of(session, list(bookings)).items()
        for e in events
    ]  # fmt: skip


def quotient_rows(session: Session, user: Any) -> list[dict[str, Any]]:
    rows = []
    for record in records_of(user):
        quotient = session.get(FamilyQuotient, record.id)
        if quotient is not None:
            rows.append(
                {
                    "dossier_famille": record.name,
                    "quotient_familial": quotient.quotient,
                    "reside_dans_la_commune": "oui" if quotient.resident else "non",
                }
            )
    return rows


def _all_bookings(session: Session, user: Any) -> list[ActivityBooking]:
    ids = [r.id for r in records_of(user)]
    clauses = [ActivityBooking.user_id == user.id]
    if ids:
        clauses.append(ActivityBooking.family_record_id.in_(ids))
    return list(session.scalars(select(ActivityBooking).where(or_(*clauses)).order_by(ActivityBooking.id)))


def not_begun(booking: ActivityBooking, today: Any) -> bool:
    if booking.status not in ACTIVE:
        return False
    return booking.status != BookingStatus.PLACED or booking.session.starts_on > today


def erase(session: Session, user: Any) -> None:
    """Cancel what has not begun (places freed, waiting lists promoted); unlink the rest. Flush only."""
    today = utcnow().astimezone(PARIS).date()
    # The waiting ones first: a sibling promoted by a released place must not keep a place it waited for.
    bookings = sorted(_all_bookings(session, user), key=lambda b: b.status == BookingStatus.PLACED)
    for booking in bookings:
        if not_begun(booking, today):
            tell_promoted(session, release(session, booking, BookingStatus.CANCELLED, CLOSED))
            bill_cancelled_booking(session, booking, actor="clôture du compte")
        booking.user_id, booking.instance_id = None, None
    session.flush()


KEPT = (
    "Les inscriptions aux activités déjà commencées ou passées, et votre quotient familial, restent au "
    "dossier famille du service Enfance (listes de présence, facturation) ; les inscriptions à venir et "
    "les places en liste d'attente sont annulées."
)

for provider in (
    Provider("inscriptions_activites", "Inscriptions aux activités",
             "Les inscriptions de vos enfants aux activités : session, statut, place ou rang en liste "
             "d'attente, prix calculé.", booking_rows, erase=erase, kept=KEPT, order=35),
    Provider("journal_des_inscriptions", "Journal des inscriptions",
             "L'historique de chaque inscription (place attribuée, liste d'attente, annulation...).",
             journal_rows, order=36),
    Provider("quotient_familial", "Quotient familial",
             "Le quotient familial de votre foyer connu du service Enfance, qui fixe certains tarifs.",
             quotient_rows, order=37),
):  # fmt: skip
    register(provider)
