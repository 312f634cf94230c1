"""The account's rows of the security log (web/core/audit.py) in the export; pseudonymised at closure.

The security log is kept `AUDIT_RETENTION_DAYS` whatever happens to the account (security of the
service: who did what, from where). At closure its rows stop naming the account: the actor's name and
any target holding the user name or the mail address become « compte-clos-<id> »; the account's id,
the event, the date and the address IP stay until the purge.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from web.core.audit import LABELS, AuditEvent
from web.core.personal_data import Provider, register

from .closure import CLOSED_PREFIX


def rows(session: Session, user: Any) -> list[dict[str, Any]]:
    events = session.scalars(select(AuditEvent).where(AuditEvent.actor_id == user.id).order_by(AuditEvent.id))
    return [
        {
            "date": e.created_at.isoformat(),
            "evenement": LABELS.get(e.event, e.event),  # type: ignore[call-overload]
            "objet": e.target,
            "details": e.details,
            "adresse_ip": e.ip,
        }
        for e in events
    ]


def erase(session: Session, user: Any) -> None:
    """Replace the account's names in its rows of the security log (flush only)."""
    alias = f"{CLOSED_PREFIX}{user.id}"
    names = [n for n in {user.username, user.email} if n and not n.startswith(CLOSED_PREFIX)]
    clauses = [AuditEvent.actor_id == user.id]
    clauses += [AuditEvent.target.contains(n, autoescape=True) for n in names]
    clauses += [AuditEvent.details.contains(n, autoescape=True) for n in names]
    for event in session.scalars(select(AuditEvent).where(or_(*clauses))):
        if event.actor_id == user.id:
            event.actor_name = alias
        for name in names:
            event.target = event.target.replace(name, alias)
            event.details = event.details.replace(name, alias)
    session.flush()


def kept() -> str:
    days = current_app.config["AUDIT_RETENTION_DAYS"]
    return (
        f"Le journal de sécurité (connexions, changements de mot de passe…) est gardé {days} jours pour "
        "la sécurité du service, sans votre nom ni votre courriel."
    )


register(
    Provider(
        "journal_de_securite",
        "Journal de sécurité",
        "Les événements de sécurité de votre compte : connexions, changements de mot de passe ou de "
        "courriel, exports de vos données, avec la date et l'adresse IP.",
        rows,
        erase=erase,
        kept=kept,
        order=85,  # before the account (90): it still reads the user name and the mail address
    )
)
