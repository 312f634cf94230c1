"""Agents' absences (the groups' assignment policy is a column of AgentGroup)."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, UTCDateTime, utcnow


class AbsenceMode(enum.StrEnum):
    GROUP = "groupe"  # « Remettre mes tâches dans la file du service »
    DELEGATE = "collegue"  # « Confier mes tâches à un collègue »


class AgentAbsence(Base):
    """An agent away (dates optional): no automatic assignment, their open tasks moved at the start."""

    __tablename__ = "agent_absence"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    mode: Mapped[AbsenceMode] = mapped_column(String(20), default=AbsenceMode.GROUP)
    delegate_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(Integer)
    # When the agent's open tasks were moved (at once, or by the scheduler on the first day).
    tasks_moved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # « Je suis de retour » before the end date (or an absence without end date).
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<AgentAbsence {self.id} user={self.user_id} {self.starts_on}..{self.ends_on}>"
