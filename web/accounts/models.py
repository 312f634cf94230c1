"""Users and agent groups."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import Base, UTCDateTime, utcnow


class Role(enum.StrEnum):
    FAMILLE = "famille"
    AGENT = "agent"
    ANALYSTE = "analyste"
    ADMIN = "admin"


user_group = Table(
    "user_group",
    Base.metadata,
    Column("user_id", ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
    Column("group_id", ForeignKey("agent_group.id", ondelete="CASCADE"), primary_key=True),
)


class AgentGroup(Base):
    """A service of the town; a BPMN lane of the same name routes tasks to its agents."""

    __tablename__ = "agent_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)

    def __repr__(self) -> str:
        return f"<AgentGroup {self.id} {self.name}>"


class User(Base):
    """An account. Families are requesters; agents act in the lanes of their groups."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(150), unique=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(String(20), default=Role.FAMILLE)
    is_enabled: Mapped[bool] = mapped_column(default=True)
    # Changing it logs out every session of the account (logout, password change).
    session_nonce: Mapped[str] = mapped_column(String(32), default=lambda: secrets.token_hex(16))
    civilite: Mapped[str | None] = mapped_column(String(20))
    nom: Mapped[str] = mapped_column(String(150), default="")
    prenom: Mapped[str] = mapped_column(String(150), default="")
    adresse_ligne1: Mapped[str | None] = mapped_column(String(200))
    adresse_ligne2: Mapped[str | None] = mapped_column(String(200))
    code_postal: Mapped[str | None] = mapped_column(String(10))
    commune: Mapped[str | None] = mapped_column(String(150))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    agent_groups: Mapped[list[AgentGroup]] = relationship(secondary=user_group, lazy="selectin")

    def __repr__(self) -> str:
        return f"<User {self.id} {self.username} {self.role}>"

    # Flask-Login: the id carries the nonce, so a stolen cookie dies with a logout.
    @property
    def is_active(self) -> bool:
        return self.is_enabled

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_nonce}"

    # engine.execution.Actor
    @property
    def display_name(self) -> str:
        full = f"{self.prenom} {self.nom}".strip()
        return full or self.username

    @property
    def groups(self) -> frozenset[str]:
        if self.role == Role.FAMILLE:
            return frozenset()
        return frozenset(group.name for group in self.agent_groups)

    @property
    def is_staff(self) -> bool:
        return self.role != Role.FAMILLE

    @property
    def address_lines(self) -> list[str]:
        lines = [
            self.adresse_ligne1,
            self.adresse_ligne2,
            f"{self.code_postal or ''} {self.commune or ''}".strip(),
        ]
        return [line for line in lines if line]
