"""The account's rows of the security log (web/core/audit.py) in the export, and what closure keeps.

The security log is kept `AUDIT_RETENTION_DAYS` whatever happens to the account (security of the
service: who did what, from where). At closure its rows stop naming the account
(web/accounts/personal_data.py, `_pseudonymise_audit`): the account's id, the event, the date and
the address IP stay until the purge.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from web.core.audit import LABELS, AuditEvent
from web.core.i18n import _, _l
from web.core.personal_data import Provider, register


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


def kept() -> str:
    days = current_app.config["AUDIT_RETENTION_DAYS"]
    return _(
        "Le journal de sécurité (connexions, changements de mot de passe…) est gardé %(days)s jours pour "
        "la sécurité du service, sans votre nom ni votre courriel.",
        days=days,
    )


register(
    Provider(
        "journal_de_securite",
        _l("Journal de sécurité"),
        _l(
            "Les événements de sécurité de votre compte : connexions, changements de mot de passe ou de "
            "courriel, exports de vos données, avec la date et l'adresse IP."
        ),
        rows,
        kept=kept,
        order=85,
    )
)
