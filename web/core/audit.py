"""The audit log of security events (ASVS 16.2.1/16.2.2/16.2.5, 16.3.1-16.3.3): one call, one row.

    from web.core.audit import audit, Event
    audit(Event.DATA_EXPORT, actor=user, target=f"famille {family_id}", details={"format": "json"})

Who (`actor`: an account, or the logged-in user when omitted; none for the system), what (`event`
and a short `target`), when (UTC) and from where (the client's IP address, after ProxyFix) are
written to `audit_event`. Never a secret: a `details` key that names one (password, token, code,
key, secret…) is refused with a ValueError, so a caller cannot store one by accident; values are
cut to 200 characters.

Where the row is written:
- in a POST (or any state-changing request): in the request's unit of work (flushed, committed with
  the request, rolled back with it: an action that failed leaves no « success » row);
- in a GET (exports, downloads; a GET never writes): in a unit of work of its own, committed at once;
- `separate=True`: in a unit of work of its own whatever the method, for an event that must outlive
  a rollback (call it before the request's session wrote anything: SQLite's write lock);
- outside a request (CLI commands, jobs): in the current session, committed with the command;
- `session=...` (a job's or a service operation's own session, the session of a bank answer kept
  whatever the status): in that session, flushed, committed or rolled back with it.

Rows are never updated; `purge()` (a scheduler job, idempotent) deletes those older than
`AUDIT_RETENTION_DAYS` (docs/operator-guide.md, « Journal de sécurité »).
"""

from __future__ import annotations

import enum
import json
import re
from datetime import datetime, timedelta
from typing import Any, Protocol

from flask import current_app, has_request_context, request
from flask_login import current_user
from sqlalchemy import Integer, String, Text, delete
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.db import Base, UTCDateTime, utcnow
from web.core.i18n import _l
from web.core.transaction import SAFE_METHODS, separate_unit_of_work
from web.extensions import db


class Event(enum.StrEnum):
    """Every kind of security event; `LABELS` gives the admin page's French names."""

    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 (an event name)
    PASSWORD_RESET = "password_reset"  # noqa: S105 (an event name)
    EMAIL_CHANGED = "email_changed"
    USERNAME_CHANGED = "username_changed"
    ROLE_CHANGED = "role_changed"
    GROUPS_CHANGED = "groups_changed"
    ACCOUNT_ENABLED = "account_enabled"
    PUBLISH = "publish"
    ROLLBACK = "rollback"
    DEPLOY = "deploy"
    EXPORT = "export"
    DATA_EXPORT = "data_export"
    ACCOUNT_CLOSED = "account_closed"
    PAYMENT = "payment"
    INVOICE_CANCELLED = "invoice_cancelled"
    ACTIVITY_DRAW = "activity_draw"


LABELS = {
    Event.LOGIN: _l("Connexion"),
    Event.LOGIN_FAILED: _l("Échec de connexion"),
    Event.LOGOUT: _l("Déconnexion"),
    Event.PASSWORD_CHANGED: _l("Mot de passe modifié"),
    Event.PASSWORD_RESET: _l("Mot de passe réinitialisé"),
    Event.EMAIL_CHANGED: _l("Adresse électronique modifiée"),
    Event.USERNAME_CHANGED: _l("Nom d'utilisateur modifié"),
    Event.ROLE_CHANGED: _l("Rôle modifié"),
    Event.GROUPS_CHANGED: _l("Services modifiés"),
    Event.ACCOUNT_ENABLED: _l("Compte activé ou désactivé"),
    Event.PUBLISH: _l("Publication d'une démarche"),
    Event.ROLLBACK: _l("Retour à une version d'une démarche"),
    Event.DEPLOY: _l("Déploiement d'une démarche (ligne de commande)"),
    Event.EXPORT: _l("Export d'une file (CSV, ODS)"),
    Event.DATA_EXPORT: _l("Export des données d'un compte"),
    Event.ACCOUNT_CLOSED: _l("Clôture d'un compte"),
    Event.PAYMENT: _l("Paiement (appliqué, refusé, signalé)"),
    Event.INVOICE_CANCELLED: _l("Facture annulée par un agent"),
    Event.ACTIVITY_DRAW: _l("Tirage au sort d'une activité"),
}

#: A details key matching this is refused: the log never holds a secret (ASVS 16.2.5).
SECRET_KEY = re.compile(
    r"pass|token|jeton|secret|hash|captcha|cookie|(^|_)(code|cle|key|otp|pin)$", re.IGNORECASE
)
MAX_TEXT = 200


class AuditEvent(Base):
    """One security event: never updated; deleted only by the retention purge."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    event: Mapped[str] = mapped_column(String(40), index=True)
    # The account's id and user name at the time (no foreign key: the row outlives a closed account).
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor_name: Mapped[str] = mapped_column(String(150), default="")
    target: Mapped[str] = mapped_column(String(MAX_TEXT), default="")
    details: Mapped[str] = mapped_column(Text, default="{}")
    ip: Mapped[str] = mapped_column(String(45), default="")

    def __repr__(self) -> str:
        return f"<AuditEvent {self.id} {self.event} by {self.actor_id}>"


class Actor(Protocol):
    id: int
    username: str


def _clean(value: Any) -> str:
    return str(value)[:MAX_TEXT]


def _details(details: dict[str, Any] | None) -> str:
    cleaned: dict[str, str] = {}
    for key, value in (details or {}).items():
        if SECRET_KEY.search(key):
            raise ValueError(f"audit: the detail « {key} » looks like a secret; the log never holds one")
        cleaned[_clean(key)] = _clean(value)
    return json.dumps(cleaned, ensure_ascii=False, sort_keys=True)


def _who(actor: Actor | None) -> tuple[int | None, str]:
    if actor is None and has_request_context() and current_user and current_user.is_authenticated:
        actor = current_user  # type: ignore[assignment]
    if actor is None:
        return None, ""
    return actor.id, _clean(actor.username)


def audit(
    event: Event | str,
    actor: Actor | None = None,
    target: object = "",
    details: dict[str, Any] | None = None,
    *,
    separate: bool = False,
    session: Session | None = None,
) -> None:
    """Record one security event (see the module's docstring for where it is written)."""
    actor_id, actor_name = _who(actor)
    row = AuditEvent(
        created_at=utcnow(),
        event=Event(event).value,
        actor_id=actor_id,
        actor_name=actor_name,
        target=_clean(target),
        details=_details(details),
        ip=(request.remote_addr or "")[:45] if has_request_context() else "",
    )
    if session is not None:
        session.add(row)
        session.flush()
        return
    if has_request_context() and (separate or request.method in SAFE_METHODS):
        with separate_unit_of_work() as own:
            own.add(row)
        return
    current = db.session()
    current.add(row)
    current.flush()


def purge(session: Session, now: datetime | None = None) -> int:
    """Delete the events older than `AUDIT_RETENTION_DAYS`; idempotent. Returns the rows deleted."""
    days = int(current_app.config["AUDIT_RETENTION_DAYS"])
    limit = (now or utcnow()) - timedelta(days=days)
    result = session.execute(delete(AuditEvent).where(AuditEvent.created_at < limit))
    return int(getattr(result, "rowcount", 0) or 0)
