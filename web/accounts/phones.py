"""The BPMN service operation of « Changement de téléphones »: the requester's new phone numbers."""

from __future__ import annotations

import logging
from typing import Any

from engine.runtime import ServiceContext, service

from .models import User
from .services import AccountError

log = logging.getLogger(__name__)


@service("compte_mettre_a_jour_telephones")
def update_phones(ctx: ServiceContext, telephone: str | None, mobile: str | None) -> dict[str, Any]:
    """Remplace le téléphone et le mobile du compte de la famille qui a fait la demande (vide : supprimé)."""
    user = User.load_plain(ctx.session, ctx.instance.requester_id)
    if user is None:
        raise AccountError("Le compte de la famille n'existe plus.")
    user.telephone = telephone or None
    user.mobile = mobile or None
    if user.contact_prefere in ("telephone", "mobile") and not getattr(user, user.contact_prefere):
        user.contact_prefere = "courriel"  # the preferred number was removed: fall back to e-mail
    log.info("Phone numbers of user %s updated by démarche %s", user.id, ctx.instance.reference)
    return {"mise_a_jour": True}
