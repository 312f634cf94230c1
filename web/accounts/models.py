"""Users and agent groups."""

from __future__ import annotations

import enum
import secrets
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Select,
    String,
    Table,
    bindparam,
    select,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Mapped, lazyload, mapped_column, relationship

from engine.db import Base, UTCDateTime, utcnow

if TYPE_CHECKING:  # the record lives in web/famille, which sits above accounts
    from web.famille.models import FamilyRecord


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
    # Automatic assignment of the group's new tasks: engine.autoassign.Policy ("aucune", ...).
    assignment_policy: Mapped[str] = mapped_column(String(20), default="aucune", server_default="aucune")

    def __repr__(self) -> str:
        return f"<AgentGroup {self.id} {self.name}>"


_PLAIN: Select[Any] | None = None  # User.load_plain's statement, built at its first use


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
    # Null until the family clicks the activation link; agents created by an admin are active at once.
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # IDENTITÉ
    civilite: Mapped[str | None] = mapped_column(String(20))
    nom: Mapped[str] = mapped_column(String(150), default="")
    nom_naissance: Mapped[str | None] = mapped_column(String(150))
    prenom: Mapped[str] = mapped_column(String(150), default="")
    date_naissance: Mapped[date | None] = mapped_column(Date)
    pays_naissance: Mapped[str | None] = mapped_column(String(100))
    departement_naissance: Mapped[str | None] = mapped_column(String(100))
    commune_naissance: Mapped[str | None] = mapped_column(String(150))
    photo: Mapped[bytes | None] = mapped_column(LargeBinary)
    photo_mime: Mapped[str | None] = mapped_column(String(20))
    # MOYENS DE CONTACT
    telephone: Mapped[str | None] = mapped_column(String(20))
    mobile: Mapped[str | None] = mapped_column(String(20))
    fax: Mapped[str | None] = mapped_column(String(20))
    contact_prefere: Mapped[str] = mapped_column(String(20), default="courriel")
    #: « fr » or « en » (web/core/i18n.py): the pages' and the mails' language; None follows the browser.
    langue: Mapped[str | None] = mapped_column(String(5))
    adresse_ligne1: Mapped[str | None] = mapped_column(String(200))
    adresse_ligne2: Mapped[str | None] = mapped_column(String(200))
    code_postal: Mapped[str | None] = mapped_column(String(10))
    commune: Mapped[str | None] = mapped_column(String(150))
    # Since when the family lives at this address (« date d'effet » of « Changement d'adresses postales »).
    adresse_date_effet: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    agent_groups: Mapped[list[AgentGroup]] = relationship(secondary=user_group, lazy="selectin")
    family_records: Mapped[list[FamilyRecord]] = relationship(secondary="user_family", lazy="selectin")

    def __repr__(self) -> str:
        return f"<User {self.id} {self.username} {self.role}>"

    @classmethod
    def load_plain(cls, session: Any, user_id: int | None) -> User | None:
        """The account without its two collections, loaded only if used (one SELECT instead of three).

        As `session.get` (the account already in the session is returned without a query), but through
        one statement built once: its cache key is computed once, not at every request's user loading."""
        if user_id is None:
            return None
        known = session.identity_map.get(cls.__mapper__.identity_key_from_primary_key((user_id,)))
        if known is not None and not sa_inspect(known).expired:
            return known  # type: ignore[no-any-return]
        global _PLAIN
        if _PLAIN is None:
            _PLAIN = (
                select(cls)
                .options(lazyload(cls.agent_groups), lazyload(cls.family_records))
                .where(cls.id == bindparam("user_id"))
            )
        return session.execute(_PLAIN, {"user_id": user_id}).scalars().first()  # type: ignore[no-any-return]

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


class TokenPurpose(enum.StrEnum):
    ACTIVATION = "activation"
    RESET = "reset"
    EMAIL_CHANGE = "email_change"


class AccountToken(Base):
    """A single-use secret sent by mail (activation, password reset, e-mail check); only its hash is kept."""

    __tablename__ = "account_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[TokenPurpose] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    instance_id: Mapped[int | None] = mapped_column(Integer)
    # For an e-mail change: the address to apply once the link is clicked.
    payload: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<AccountToken {self.id} {self.purpose} user={self.user_id}>"


class CaptchaChallenge(Base):
    """A CAPTCHA code shown as an image and as audio; single use, expiring; only its hash is kept."""

    __tablename__ = "captcha_challenge"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    answer_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<CaptchaChallenge {self.id[:8]}>"


class LoginAttempt(Base):
    """One login (or reset request) attempt, for throttling and the audit trail; never the password."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_login_created", "login_key", "created_at"),
        Index("ix_login_attempt_ip_created", "ip", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="login")
    # SHA-256 of the lower-cased login typed, so the table holds no list of typed names.
    login_key: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str] = mapped_column(String(45))
    user_id: Mapped[int | None] = mapped_column(Integer)
    succeeded: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<LoginAttempt {self.id} {self.kind} ok={self.succeeded}>"


class ServiceKey(Base):
    """« Clé espace citoyens »: issued by a service to a family it knows; single use; only its hash kept."""

    __tablename__ = "service_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    family_record_id: Mapped[int] = mapped_column(ForeignKey("family_record.id", ondelete="CASCADE"))
    issued_by_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_by_id: Mapped[int | None] = mapped_column(Integer)

    family_record: Mapped[FamilyRecord] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<ServiceKey {self.id} family={self.family_record_id}>"


user_family = Table(
    "user_family",
    Base.metadata,
    Column("user_id", ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
    Column("family_record_id", ForeignKey("family_record.id", ondelete="CASCADE"), primary_key=True),
)
