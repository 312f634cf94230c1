"""« Accusé de réception »: what a family receives (by mail) and sees (on the request page) when it
files a request.

Code des relations entre le public et l'administration, article L112-11 and its decree (articles
R112-11-1 and following): an electronic request gets an electronic acknowledgement stating the date
it was received and the service in charge of it (with its address). Guichet adds the reference and
the maximum duration of the démarche (its `dureeMaximale`) with the date it ends.

Not stated: whether silence is worth acceptance or refusal (« décision implicite ») and the appeal
routes. The law asks for them on requests that can lead to an implicit decision, but which one
applies depends on each démarche's legal basis; the diagrams do not carry it yet, and a wrong
mention would mislead the family, so none is made up here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from engine import api
from web.core.i18n import _
from web.core.mail import queue_mail


@dataclass(frozen=True)
class Receipt:
    instance_id: int
    reference: str
    demarche: str
    received_at: datetime
    service: str
    max_duration: str | None
    deadline_at: datetime | None


def receipt_for(session: Session, instance: Any) -> Receipt | None:
    """The acknowledgement of a filed request (None for a draft, a signup, a password reset)."""
    if instance.submitted_at is None or not instance.reference or instance.requester_id is None:
        return None
    services = api.services_of(session, instance.id)
    return Receipt(
        instance_id=instance.id,
        reference=instance.reference,
        demarche=instance.definition.title,
        received_at=instance.submitted_at,
        service=", ".join(_("Service %(name)s", name=name) for name in services or ["Accueil"]),
        max_duration=instance.definition.max_duration,
        deadline_at=instance.deadline_at,
    )


def send_receipt(session: Session, instance: Any, user: Any, receipt: Receipt | None = None) -> bool:
    """Mail the acknowledgement to the family that just filed the request; False when none is due.
    `receipt`: the caller's `receipt_for(session, instance)` if it has it (one query fewer)."""
    receipt = receipt or receipt_for(session, instance)
    email = getattr(user, "email", None)
    if receipt is None or not email:
        return False
    queue_mail(session, "accuse_reception", email, instance_id=instance.id, user=user, receipt=receipt)
    return True
