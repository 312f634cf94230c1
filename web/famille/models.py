"""The family record (« dossier famille ») as the town's services know it: members, children, the
services each child is known to, the town's activities and the children's enrolments.

Invoices and activity booking (other issues) hang on FamilyRecord, Child and Activity.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import Base, UTCDateTime, utcnow
from web.core.i18n import _l
from web.structures.models import Facility


class ActivityKind(enum.StrEnum):
    CENTRE_DE_LOISIRS = "centre de loisirs"
    RESTAURATION_SCOLAIRE = "restauration scolaire"
    ACCUEIL_PERISCOLAIRE = "accueil périscolaire"
    CONSERVATOIRE = "conservatoire"
    SPORT = "sport"
    SEJOUR = "séjour"

    @property
    def label(self) -> str:
        """The type as a family reads it, in the page's language (the value is a code, in French)."""
        return str(ACTIVITY_KIND_LABELS[self])


ACTIVITY_KIND_LABELS = {
    ActivityKind.CENTRE_DE_LOISIRS: _l("centre de loisirs"),
    ActivityKind.RESTAURATION_SCOLAIRE: _l("restauration scolaire"),
    ActivityKind.ACCUEIL_PERISCOLAIRE: _l("accueil périscolaire"),
    ActivityKind.CONSERVATOIRE: _l("conservatoire"),
    ActivityKind.SPORT: _l("sport"),
    ActivityKind.SEJOUR: _l("séjour"),
}


class FamilyRecord(Base):
    """A household as known to one of the town's services (Enfance, ...); several accounts may share it."""

    __tablename__ = "family_record"
    __table_args__ = (UniqueConstraint("service", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    # The id of the household in the service's management software (CSV import key); None if typed by hand.
    external_id: Mapped[str | None] = mapped_column(String(50))
    address: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    members: Mapped[list[FamilyMember]] = relationship(
        back_populates="record", cascade="all, delete-orphan", order_by="FamilyMember.position"
    )
    children: Mapped[list[Child]] = relationship(
        back_populates="record", cascade="all, delete-orphan", order_by="Child.birth_date"
    )

    def __repr__(self) -> str:
        return f"<FamilyRecord {self.id} {self.service} {self.name!r}>"

    @property
    def label(self) -> str:
        return f"{self.name} ({self.external_id})" if self.external_id else self.name


class FamilyMember(Base):
    """A responsible adult of the household (« responsable 1 », « responsable 2 »)."""

    __tablename__ = "family_member"
    __table_args__ = (UniqueConstraint("family_record_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    family_record_id: Mapped[int] = mapped_column(ForeignKey("family_record.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=1)
    last_name: Mapped[str] = mapped_column(String(150))
    first_name: Mapped[str] = mapped_column(String(150))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(30))

    record: Mapped[FamilyRecord] = relationship(back_populates="members")

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class ChildService(Base):
    """A service of the town that knows the child (Enfance, Sports, Conservatoire...)."""

    __tablename__ = "child_service"

    child_id: Mapped[int] = mapped_column(ForeignKey("child.id", ondelete="CASCADE"), primary_key=True)
    service: Mapped[str] = mapped_column(String(100), primary_key=True)


class Child(Base):
    """A child of a household: identity, school and class, services that know it, enrolments."""

    __tablename__ = "child"

    id: Mapped[int] = mapped_column(primary_key=True)
    family_record_id: Mapped[int] = mapped_column(
        ForeignKey("family_record.id", ondelete="CASCADE"), index=True
    )
    external_id: Mapped[str | None] = mapped_column(String(50), unique=True)
    last_name: Mapped[str] = mapped_column(String(150))
    first_name: Mapped[str] = mapped_column(String(150))
    birth_date: Mapped[date | None] = mapped_column(Date)
    school: Mapped[str | None] = mapped_column(String(200))
    class_name: Mapped[str | None] = mapped_column(String(50))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    record: Mapped[FamilyRecord] = relationship(back_populates="children")
    enrolments: Mapped[list[Enrolment]] = relationship(
        back_populates="child", cascade="all, delete-orphan", lazy="selectin"
    )
    service_links: Mapped[list[ChildService]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ChildService.service"
    )

    def __repr__(self) -> str:
        return f"<Child {self.id} {self.first_name} {self.last_name}>"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def services(self) -> list[str]:
        return [link.service for link in self.service_links]


class Activity(Base):
    """One of the town's activities (centre de loisirs du mercredi, cantine de l'école Jean Macé, ...)."""

    __tablename__ = "activity"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[ActivityKind] = mapped_column(String(40))
    # The agent group (service) that runs it: Enfance, Sports, Culture...
    service: Mapped[str] = mapped_column(String(100))
    # Where it takes place, as text; `facility` links it to the town facility's page when it is one.
    place: Mapped[str | None] = mapped_column(String(300))
    facility_id: Mapped[int | None] = mapped_column(
        ForeignKey("facility.id", ondelete="SET NULL"), index=True
    )

    facility: Mapped[Facility | None] = relationship(lazy="joined")

    @property
    def kind_label(self) -> str:
        """The type in the page's language (« accueil périscolaire » → « after-school care »)."""
        try:
            return ActivityKind(self.kind).label
        except ValueError:
            return str(self.kind)

    def __repr__(self) -> str:
        return f"<Activity {self.id} {self.external_id} {self.name!r}>"


class Enrolment(Base):
    """A child enrolled in an activity (booking of dates and invoices come in other issues)."""

    __tablename__ = "enrolment"
    __table_args__ = (UniqueConstraint("child_id", "activity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("child.id", ondelete="CASCADE"))
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    child: Mapped[Child] = relationship(back_populates="enrolments")
    activity: Mapped[Activity] = relationship(lazy="joined")
