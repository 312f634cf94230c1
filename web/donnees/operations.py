"""BPMN service operations of « Clôturer mon compte » (workflows/cloture_compte.bpmn).

Registered by `web.app.discover_operations`, which imports every `web.*.operations` module.
"""

from __future__ import annotations

import logging
from typing import Any

from engine import api
from engine.api import ServiceContext, service
from web.accounts.models import User
from web.core.audit import Event, audit
from web.core.i18n import in_language
from web.core.mail import queue_mail, recipient_language
from web.core.personal_data import CLOSING_INSTANCE, discover, erase_all, kept_after_closure, review_reasons

from .closure import CLOSED_PREFIX

#: The démarches whose behaviour lives here (`git grep cloture_compte` finds this file).
DEMARCHES = ("cloture_compte",)

log = logging.getLogger(__name__)


def N_(text: str) -> str:  # noqa: N802 - the gettext convention
    """A timeline label stored in French (the msgid) and translated where the timeline is shown."""
    return text


def _requester(ctx: ServiceContext) -> User | None:
    return User.load_plain(ctx.session, ctx.requester_id)


@service("compte_cloture_verifier")
def compte_cloture_verifier(ctx: ServiceContext) -> dict[str, Any]:
    """Dit si un agent doit vérifier la clôture (par exemple une facture impayée), et pourquoi."""
    user = _requester(ctx)
    if user is None:
        return {"revue": False, "motifs": ""}
    discover()
    reasons = review_reasons(ctx.session, user)
    if reasons:  # the agent reads why in the timeline (the family too: it is about its own account)
        ctx.add_event(
            "revue_demandee", N_("Vérification demandée au service Accueil"), comment="; ".join(reasons)
        )
    return {"revue": bool(reasons), "motifs": "; ".join(reasons)}


@service("compte_cloturer")
def compte_cloturer(ctx: ServiceContext) -> dict[str, Any]:
    """Clôture le compte du demandeur : annule ses demandes en cours, efface ou anonymise ses données
    (chaque domaine, web/core/personal_data.py), met fin à ses sessions, puis lui envoie la confirmation.
    Une seconde exécution ne fait rien (compte déjà clôturé)."""
    user = _requester(ctx)
    if user is None or user.username.startswith(CLOSED_PREFIX):
        return {"deja_cloture": True}
    discover()
    email, language = user.email, recipient_language(user)  # read before the erasure
    cancelled = api.running_requests(ctx.session, user.id, except_id=ctx.instance_id)
    with in_language(language):  # the confirmation mail, in the family's language
        kept = [str(line) for line in kept_after_closure(ctx.session, user)]
    ctx.session.info[CLOSING_INSTANCE] = ctx.instance_id  # the closure itself runs on: not erased now
    try:
        erase_all(ctx.session, user)
    finally:
        ctx.session.info.pop(CLOSING_INSTANCE, None)
    # Who acted: the family (its own closure) or the agent who accepted the review; the account is
    # named by its id only (its name is already erased).
    audit(
        Event.ACCOUNT_CLOSED,
        target=f"compte {user.id}",
        details={"demande": ctx.reference, "demandes_annulees": len(cancelled)},
        session=ctx.session,
    )
    queue_mail(
        ctx.session,
        "compte_cloture",
        email,
        instance_id=ctx.instance_id,
        language=language,
        cancelled=cancelled,
        kept=kept,
    )
    log.info(
        "Account %s closed by démarche %s (%s requests cancelled)", user.id, ctx.reference, len(cancelled)
    )
    return {"deja_cloture": False, "demandes_annulees": len(cancelled)}
