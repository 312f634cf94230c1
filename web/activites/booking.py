"""A family's booking request: checks (child of the family, window, sessions, eligibility, documents,
overlaps, double booking), the price computed by the server, then places or the draw."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.db import utcnow
from web.core.i18n import SOURCE, _, _l, in_language, local_date
from web.core.presentation import PARIS
from web.famille.models import Child
from web.famille.services import children_of

from . import rules
from .allocation import allocate, journal, waiting_rank
from .journal_texts import AWAITS_DRAW, stored
from .models import (
    ACTIVE,
    ActivityBooking,
    ActivityDraw,
    ActivityOffer,
    ActivitySession,
    BookingStatus,
    FamilyQuotient,
)

MISSING_DOCUMENTS = _l(
    "Confirmez que vous fournirez les documents qui manquent, ou donnez-les ci-dessous "
    "(choisis dans vos documents ou téléversés)."
)


class BookingError(ValueError):
    """A request that cannot be booked; the message is a sentence for the family, in its language."""


def paris(value: datetime) -> str:
    """« 15/01/2027 à 09:00 », Paris time: for the French texts stored in the bookings' journal (the
    pages format dates with `local_date`, in the reader's language)."""
    return value.astimezone(PARIS).strftime("%d/%m/%Y à %H:%M")


def window_end(offer: ActivityOffer) -> datetime | None:
    if offer.opens_at is None or not offer.fair_minutes:
        return None
    return offer.opens_at + timedelta(minutes=offer.fair_minutes)


def window_state(offer: ActivityOffer, now: datetime, drawn: bool) -> str:
    """« ferme », « avant », « tirage » (fair window or draw not yet run) or « ouvert »."""
    if offer.closed_at is not None or (offer.closes_at is not None and now >= offer.closes_at):
        return "ferme"
    if offer.opens_at is None or now < offer.opens_at:
        return "avant"
    end = window_end(offer)
    if end is not None and (now < end or not drawn):
        return "tirage"
    return "ouvert"


def is_drawn(session: Session, activity_id: int) -> bool:
    return session.scalar(select(ActivityDraw.id).where(ActivityDraw.activity_id == activity_id)) is not None


@dataclass(frozen=True)
class Outcome:
    session_label: str
    status: BookingStatus
    rank: int | None
    price_cents: int


@dataclass(frozen=True)
class RequestResult:
    ref: str
    child_name: str
    outcomes: list[Outcome]
    draw_at: datetime | None

    def summary(self) -> str:
        """The outcome, session by session, in the current language (`demarche_data`: in French)."""
        parts = []
        for o in self.outcomes:
            if o.status == BookingStatus.PLACED:
                parts.append(_("%(session)s : place attribuée", session=o.session_label))
            elif o.status == BookingStatus.WAITING:
                parts.append(
                    _("%(session)s : liste d'attente, rang %(rank)s", session=o.session_label, rank=o.rank)
                )
            else:
                parts.append(
                    _(
                        "%(session)s : tirage au sort le %(when)s",
                        session=o.session_label,
                        when=local_date(self.draw_at),
                    )
                )
        return _("%(child)s — %(outcomes)s.", child=self.child_name, outcomes=_(" ; ").join(parts))


def _check_window(session: Session, offer: ActivityOffer, now: datetime) -> str:
    state = window_state(offer, now, is_drawn(session, offer.activity_id))
    if state == "ferme":
        raise BookingError(_("Les inscriptions à cette activité sont closes."))
    if state == "avant":
        if offer.opens_at is None:
            raise BookingError(
                _(
                    "Les inscriptions à cette activité ne sont pas encore ouvertes : "
                    "elles ouvrent prochainement."
                )
            )
        raise BookingError(
            _(
                "Les inscriptions à cette activité ne sont pas encore ouvertes : elles ouvrent le %(when)s.",
                when=local_date(offer.opens_at),
            )
        )
    return state


def _check_child(offer: ActivityOffer, child: Child, chosen: list[ActivitySession]) -> None:
    for s in chosen:
        age = rules.age_on(child.birth_date, s.starts_on)
        if offer.min_age is not None and (age is None or age < offer.min_age):
            raise BookingError(
                _(
                    "%(child)s n'a pas l'âge requis (%(age)s ans au moins) pour « %(session)s ».",
                    child=child.first_name, age=offer.min_age, session=s.label,
                )
            )  # fmt: skip
        if offer.max_age is not None and (age is None or age > offer.max_age):
            raise BookingError(
                _(
                    "%(child)s dépasse l'âge prévu (%(age)s ans au plus) pour « %(session)s ».",
                    child=child.first_name, age=offer.max_age, session=s.label,
                )
            )  # fmt: skip
    if offer.class_list and (child.class_name or "") not in offer.class_list:
        raise BookingError(
            _(
                "Cette activité est réservée aux classes %(classes)s : %(child)s est en %(class_name)s.",
                classes=", ".join(offer.class_list), child=child.first_name,
                class_name=child.class_name or _("classe non connue"),
            )
        )  # fmt: skip


def _check_overlaps(session: Session, child: Child, chosen: list[ActivitySession]) -> None:
    spans = [(s, (s.starts_on, s.ends_on, s.weekday_list)) for s in chosen]
    for i, (a, span_a) in enumerate(spans):
        for b, span_b in spans[i + 1 :]:
            if rules.overlap(span_a, span_b):
                raise BookingError(
                    _(
                        "Les sessions « %(first)s » et « %(second)s » ont lieu les mêmes jours : "
                        "choisissez-en une.",
                        first=a.label,
                        second=b.label,
                    )
                )
    held = session.scalars(
        select(ActivityBooking).where(
            ActivityBooking.child_id == child.id, ActivityBooking.status.in_(ACTIVE)
        )
    ).all()
    for booking in held:
        if booking.session_id in {s.id for s in chosen}:
            raise BookingError(already_booked(child.first_name, booking.session.label))
        other = booking.session
        for s, span in spans:
            if rules.overlap(span, (other.starts_on, other.ends_on, other.weekday_list)):
                raise BookingError(
                    _(
                        "« %(session)s » a lieu les mêmes jours que « %(other)s » (%(activity)s), "
                        "où %(child)s est déjà inscrit(e).",
                        session=s.label, other=other.label, activity=booking.activity.name,
                        child=child.first_name,
                    )
                )  # fmt: skip


def _quotient(session: Session, record_id: int) -> int | None:
    row = session.get(FamilyQuotient, record_id)
    return row.quotient if row else None


def request_booking(
    session: Session,
    user: Any,
    offer: ActivityOffer,
    child_id: Any,
    session_ids: list[Any],
    documents_ok: bool,
) -> RequestResult:
    """Check and book; raises BookingError (French) and gives no place when anything is wrong."""
    now = utcnow()
    state = _check_window(session, offer, now)
    child = next((c for c in children_of(session, user) if str(c.id) == str(child_id)), None)
    if child is None:
        raise BookingError(_("Choisissez un enfant de votre dossier famille."))
    by_id = {str(s.id): s for s in offer.sessions}
    if not session_ids:
        raise BookingError(_("Choisissez au moins une session."))
    if any(str(i) not in by_id for i in session_ids):
        raise BookingError(_("Une des sessions choisies n'existe pas pour cette activité."))
    chosen = sorted({by_id[str(i)] for i in session_ids}, key=lambda s: s.starts_on)
    closed = [s.label for s in chosen if s.closed]
    if closed:
        raise BookingError(
            _("La session « %(session)s » est close : elle ne prend plus d'inscription.", session=closed[0])
        )
    _check_child(offer, child, chosen)
    if offer.document_list and not documents_ok:
        raise BookingError(str(MISSING_DOCUMENTS))
    _check_overlaps(session, child, chosen)
    quotient = _quotient(session, child.family_record_id)
    ref = f"INS-{now:%Y%m%d}-{secrets.token_hex(4).upper()}"
    outcomes = []
    for s in chosen:
        days = len(rules.days_of(s.starts_on, s.ends_on, s.weekday_list))
        price = rules.price_of(offer.price_rule, offer.price_cents, offer.quotient_bands, days, quotient)
        booking = ActivityBooking(
            session_id=s.id, activity_id=offer.activity_id, child_id=child.id,
            family_record_id=child.family_record_id, user_id=user.id, request_ref=ref,
            status=BookingStatus.DRAW, child_slot=child.id, price_cents=price.cents,
            price_detail=price.detail, received_at=now,
        )  # fmt: skip
        try:
            with session.begin_nested():
                session.add(booking)
                session.flush()
        except IntegrityError:
            raise BookingError(already_booked(child.first_name, s.label)) from None
        if state == "tirage":
            journal(session, booking, stored(AWAITS_DRAW, when=paris(window_end(offer))))  # type: ignore[arg-type]
        else:
            allocate(session, booking)
        outcomes.append(Outcome(s.label, booking.status, waiting_rank(session, booking), price.cents))
    end = window_end(offer)
    return RequestResult(ref, child.full_name, outcomes, end if end and state == "tirage" else None)


def already_booked(child: str, session_label: str) -> str:
    return _("%(child)s est déjà inscrit(e) à « %(session)s ».", child=child, session=session_label)


def demarche_data(offer: ActivityOffer, result: RequestResult) -> dict[str, Any]:
    """The start data of « Inscription à une activité » (workflows/inscription_activite.bpmn)."""
    return {
        "demande": result.ref,
        "activite": offer.activity.name,
        "enfant": result.child_name,
        "resume": _french_summary(result),
        "validation_requise": "oui" if offer.validation_required else "non",
        "service": offer.activity.service,
    }


def _french_summary(result: RequestResult) -> str:
    """The summary kept with the démarche's data (read later by the agents): French, as stored data is."""
    with in_language(SOURCE):
        return result.summary()
