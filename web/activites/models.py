"""Booking data of the activities of web/famille: the booking settings of an activity, its sessions,
the children's bookings of a session, the fair-window draws and the bookings' journal.

The database holds the rush (issue 15 point 4), whatever the concurrency:
- `activity_session.allocated` counts the places given, CHECK 0 <= allocated <= places: a place is
  taken by one conditional UPDATE (`allocated < places`), which also serialises the writers;
- `activity_booking (session_id, place_no)` is unique: one place number is never given twice;
- `activity_booking (session_id, child_slot)` is unique, `child_slot` being the child's id while the
  booking is active (NULL once cancelled or refused): a child is never booked twice for a session;
- `activity_booking (session_id, ticket)` is unique: waiting-list tickets (ranks) are never shared;
- `activity_draw.activity_id` is unique: one draw per activity, so the draw job is idempotent.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import Base, UTCDateTime, utcnow
from web.core.i18n import _l
from web.famille.models import ACTIVITY_KIND_LABELS, Activity, Child


class PriceRule(enum.StrEnum):
    FLAT = "forfait"
    PER_DAY = "par_jour"
    QUOTIENT = "quotient"


PRICE_RULE_LABELS = {
    PriceRule.FLAT: _l("Forfait par session"),
    PriceRule.PER_DAY: _l("Prix par jour d'accueil"),
    PriceRule.QUOTIENT: _l("Selon le quotient familial (par jour d'accueil)"),
}

#: The kinds of activities (codes stored in `activity.kind`, web/famille/models.py) as people read them.
KIND_LABELS = ACTIVITY_KIND_LABELS  # one list of labels (web/famille/models.py)


def kind_label(kind: str | None) -> str:
    """An activity's kind in the reader's language (an unknown code is shown as stored)."""
    label = KIND_LABELS.get(kind)  # type: ignore[call-overload]  # StrEnum keys: a plain str finds them
    return str(label) if label is not None else (kind or "")


class BookingStatus(enum.StrEnum):
    DRAW = "tirage"  # received in a fair window, waits for the draw
    PLACED = "inscrit"  # holds a place
    WAITING = "attente"  # on the waiting list (ticket = rank order)
    CANCELLED = "annule"
    REFUSED = "refuse"


STATUS_LABELS = {
    BookingStatus.DRAW: _l("En attente du tirage au sort"),
    BookingStatus.PLACED: _l("Inscrit"),
    BookingStatus.WAITING: _l("Liste d'attente"),
    BookingStatus.CANCELLED: _l("Annulée"),
    BookingStatus.REFUSED: _l("Refusée"),
}
ACTIVE = (BookingStatus.DRAW, BookingStatus.PLACED, BookingStatus.WAITING)


class ActivityOffer(Base):
    """How an activity is booked: who may, when, for how much, with which documents."""

    __tablename__ = "activity_offer"
    __table_args__ = (
        CheckConstraint("fair_minutes >= 0", name="fair_minutes"),
        CheckConstraint("price_cents >= 0", name="price"),
    )

    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"), primary_key=True)
    description: Mapped[str | None] = mapped_column(Text)
    min_age: Mapped[int | None] = mapped_column(Integer)
    max_age: Mapped[int | None] = mapped_column(Integer)
    # Classes admitted, comma separated (« CP,CE1,CE2 »); None: any class.
    classes: Mapped[str | None] = mapped_column(String(200))
    price_rule: Mapped[PriceRule] = mapped_column(String(20), default=PriceRule.FLAT)
    price_cents: Mapped[int] = mapped_column(Integer, default=0)
    # Quotient bands, « 600:350;1200:700;:1100 » = up to 600 → 3,50 €, up to 1200 → 7,00 €, above → 11,00 €.
    quotient_bands: Mapped[str | None] = mapped_column(String(300))
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Fair window: requests of the first `fair_minutes` after opening are ranked by a draw.
    fair_minutes: Mapped[int] = mapped_column(Integer, default=0)
    # Published priority criteria of the draw, « fratrie:2;residence:1;quotient:1 » (weights added).
    draw_criteria: Mapped[str | None] = mapped_column(String(200))
    validation_required: Mapped[bool] = mapped_column(Boolean, default=False)
    # Documents to provide, one per line.
    documents: Mapped[str | None] = mapped_column(Text)
    # The family may cancel until this many days before the session starts.
    cancel_days: Mapped[int] = mapped_column(Integer, default=7)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    activity: Mapped[Activity] = relationship(lazy="joined")
    sessions: Mapped[list[ActivitySession]] = relationship(
        primaryjoin="ActivityOffer.activity_id == foreign(ActivitySession.activity_id)",
        order_by="ActivitySession.starts_on",
        viewonly=True,
        lazy="selectin",
    )

    @property
    def document_list(self) -> list[str]:
        return [line.strip() for line in (self.documents or "").splitlines() if line.strip()]

    @property
    def class_list(self) -> list[str]:
        return [c.strip() for c in (self.classes or "").split(",") if c.strip()]


class ActivitySession(Base):
    """A period of an activity (a holiday week, a school year on Wednesdays) with its places."""

    __tablename__ = "activity_session"
    __table_args__ = (
        CheckConstraint("places >= 0", name="places"),
        CheckConstraint("allocated >= 0 AND allocated <= places", name="allocated"),
        CheckConstraint("ends_on >= starts_on", name="dates"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    # Days of the week it runs, « 0,1,2,3,4 » (0 = lundi).
    weekdays: Mapped[str] = mapped_column(String(20), default="0,1,2,3,4")
    places: Mapped[int] = mapped_column(Integer)
    allocated: Mapped[int] = mapped_column(Integer, default=0)
    # Last waiting-list ticket given (tickets only grow; the rank shown is the position among the waiting).
    tickets: Mapped[int] = mapped_column(Integer, default=0)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)

    @property
    def weekday_list(self) -> list[int]:
        return [int(d) for d in self.weekdays.split(",") if d.strip().isdigit()]


class ActivityBooking(Base):
    """One child booked for one session (several sessions of one request share `request_ref`)."""

    __tablename__ = "activity_booking"
    __table_args__ = (
        UniqueConstraint("session_id", "child_slot", name="uq_activity_booking_child"),
        UniqueConstraint("session_id", "place_no", name="uq_activity_booking_place"),
        UniqueConstraint("session_id", "ticket", name="uq_activity_booking_ticket"),
        CheckConstraint("place_no IS NULL OR place_no >= 1", name="place"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("activity_session.id", ondelete="CASCADE"), index=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"), index=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id", ondelete="CASCADE"), index=True)
    family_record_id: Mapped[int] = mapped_column(ForeignKey("family_record.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    request_ref: Mapped[str] = mapped_column(String(40), index=True)
    status: Mapped[BookingStatus] = mapped_column(String(20))
    child_slot: Mapped[int | None] = mapped_column(Integer)
    place_no: Mapped[int | None] = mapped_column(Integer)
    ticket: Mapped[int | None] = mapped_column(Integer)
    # Price computed by the server at booking (cents), for the invoice (web/factures, `factures_emettre`).
    price_cents: Mapped[int] = mapped_column(Integer, default=0)
    price_detail: Mapped[str | None] = mapped_column(String(300))
    validated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    instance_id: Mapped[int | None] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    session: Mapped[ActivitySession] = relationship(lazy="joined")
    child: Mapped[Child] = relationship(lazy="joined")
    activity: Mapped[Activity] = relationship(lazy="joined")


class ActivityDraw(Base):
    """The fair window's draw of an activity: its seed and result, kept for audit."""

    __tablename__ = "activity_draw"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"), unique=True)
    seed: Mapped[str] = mapped_column(String(64))
    rule: Mapped[str] = mapped_column(String(300))
    # JSON: [{"demande": request_ref, "poids": w, "cle": key, "rang": n}, ...] in draw order.
    result: Mapped[str] = mapped_column(Text, default="[]")
    ran_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BookingEvent(Base):
    """The journal of a booking (« Place attribuée », « Promu depuis la liste d'attente »...)."""

    __tablename__ = "activity_booking_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("activity_booking.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    text: Mapped[str] = mapped_column(String(500))


class FamilyQuotient(Base):
    """The family quotient (CAF) the Enfance service knows for a household, for the price bands."""

    __tablename__ = "family_quotient"

    family_record_id: Mapped[int] = mapped_column(
        ForeignKey("family_record.id", ondelete="CASCADE"), primary_key=True
    )
    quotient: Mapped[int] = mapped_column(Integer)
    # Whether the household lives in the town (priority criterion « residence »).
    resident: Mapped[bool] = mapped_column(Boolean, default=True)
