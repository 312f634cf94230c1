"""Town facilities (« structures de la ville »): their opening hours and exceptional closures."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import Base, UTCDateTime, utcnow
from web.core.i18n import _l


class FacilityKind(enum.StrEnum):
    """The facility types families filter by (the labels are the French UI)."""

    ECOLE = "ecole"
    CRECHE = "creche"
    CENTRE_LOISIRS = "centre_loisirs"
    EQUIPEMENT_SPORTIF = "equipement_sportif"
    BIBLIOTHEQUE = "bibliotheque"
    AUTRE = "autre"

    @property
    def label(self) -> str:
        return str(KIND_LABELS[self])


KIND_LABELS = {
    FacilityKind.ECOLE: _l("École"),
    FacilityKind.CRECHE: _l("Crèche"),
    FacilityKind.CENTRE_LOISIRS: _l("Centre de loisirs"),
    FacilityKind.EQUIPEMENT_SPORTIF: _l("Équipement sportif"),
    FacilityKind.BIBLIOTHEQUE: _l("Médiathèque, bibliothèque"),
    FacilityKind.AUTRE: _l("Autre structure"),
}


class Facility(Base):
    """A town facility as families see it; archived ones leave the public pages, never the database."""

    __tablename__ = "facility"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    #: `name` without accents, lower case: the accent-insensitive search on SQLite and PostgreSQL alike.
    search_name: Mapped[str] = mapped_column(String(120), index=True)
    kind: Mapped[FacilityKind] = mapped_column(
        Enum(FacilityKind, native_enum=False, length=30, values_callable=lambda e: [m.value for m in e])
    )
    address: Mapped[str] = mapped_column(String(200))
    postal_code: Mapped[str] = mapped_column(String(5))
    commune: Mapped[str] = mapped_column(String(80))
    area: Mapped[str] = mapped_column(String(80), default="")  # quartier or secteur
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164
    email: Mapped[str | None] = mapped_column(String(254))
    website: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    services: Mapped[str] = mapped_column(Text, default="")  # one service offered per line
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    openings: Mapped[list[OpeningRange]] = relationship(
        back_populates="facility",
        cascade="all, delete-orphan",
        order_by="(OpeningRange.weekday, OpeningRange.start_minute)",
        lazy="selectin",
    )
    closures: Mapped[list[Closure]] = relationship(
        back_populates="facility",
        cascade="all, delete-orphan",
        order_by="Closure.start_date",
        lazy="selectin",
    )

    @property
    def service_list(self) -> list[str]:
        return [line.strip() for line in self.services.splitlines() if line.strip()]

    def __repr__(self) -> str:
        return f"<Facility {self.id} {self.name!r}>"


class OpeningRange(Base):
    """One opening range of a weekday (0 = Monday), in minutes since midnight; 1440 is 24:00."""

    __tablename__ = "facility_opening"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint(
            "start_minute >= 0 AND start_minute < end_minute AND end_minute <= 1440", name="range"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)
    start_minute: Mapped[int] = mapped_column(Integer)
    end_minute: Mapped[int] = mapped_column(Integer)

    facility: Mapped[Facility] = relationship(back_populates="openings")

    def __repr__(self) -> str:
        return f"<OpeningRange {self.id} {self.weekday} {self.start_minute}-{self.end_minute}>"


class Closure(Base):
    """An exceptional closure, both days included (« Fermé exceptionnellement du … au … »)."""

    __tablename__ = "facility_closure"
    __table_args__ = (CheckConstraint("start_date <= end_date", name="dates"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id", ondelete="CASCADE"), index=True)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    facility: Mapped[Facility] = relationship(back_populates="closures")

    def __repr__(self) -> str:
        return f"<Closure {self.id} {self.start_date}–{self.end_date}>"
