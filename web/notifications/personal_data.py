"""Family notifications (the SMS or mail texts about requests): erased at closure; the export lists
what was actually sent (web/demarches/personal_data.py, « Courriels et SMS »)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from web.core.i18n import _l
from web.core.personal_data import Provider, register

from .models import Notification


def rows(session: Session, user: Any) -> list[dict[str, Any]]:
    notifications = session.execute(
        select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    ).scalars()
    return [
        {
            "demande_id": n.instance_id,
            "canal": str(n.channel),
            "message": n.message,
            "statut": str(n.status),
            "cree_le": n.created_at.isoformat(),
        }
        for n in notifications
    ]


def erase(session: Session, user: Any) -> None:
    session.execute(delete(Notification).where(Notification.user_id == user.id))


register(
    Provider(
        "notifications",
        _l("Notifications"),
        _l("Les avis sur vos demandes, avec le canal choisi (courriel ou SMS) et leur état d'envoi."),
        rows,
        erase=erase,
        order=44,
    )
)
