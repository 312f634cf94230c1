"""The BPMN service operations that write to the family: `famille_notifier`, `courriel_envoyer`.

`famille_notifier` (by the family's preferred channel) is called by the démarches
changement_adresse and changement_telephone; `courriel_envoyer` (a mail from a template, e.g. a
refusal with `motif`) by none of the shipped ones. Registered by `web.app.discover_operations`.
"""

from __future__ import annotations

from typing import Any

from engine.api import ServiceContext, service
from web.accounts.models import User
from web.core.mail import mail_data, queue_mail
from web.notifications.models import DeliveryStatus
from web.notifications.routing import notify

DEMARCHES = ("changement_adresse", "changement_telephone")


@service("famille_notifier")
def famille_notifier(
    ctx: ServiceContext, message: str, modele: str | None = None, **donnees: Any
) -> dict[str, Any]:
    """Prévient la famille qui a fait la demande par son moyen de contact préféré (courriel ou SMS),
    avec repli sur l'autre moyen. `message` : le texte du SMS (et du courriel quand `modele` est vide) ;
    `modele` : le courriel de templates/emails/ à envoyer par courriel ; les autres paramètres (par
    exemple `motif`, `question`) sont lus par le modèle sous `donnees`."""
    user = User.load_plain(ctx.session, ctx.requester_id)
    if user is None:
        return {"canal": None, "statut": DeliveryStatus.FAILED.value}
    notification = notify(
        ctx.session, user, str(message), instance=ctx.view, template=modele or None, donnees=donnees
    )
    return {"canal": notification.channel.value, "statut": notification.status.value}


@service("courriel_envoyer")
def courriel_envoyer(ctx: ServiceContext, modele: str, **donnees: Any) -> dict[str, Any]:
    """Envoie à la famille qui a fait la demande le courriel `modele` (dossier templates/emails/).
    Les autres paramètres (par exemple `motif`) sont lus par le modèle sous `donnees`."""
    user = User.load_plain(ctx.session, ctx.requester_id)
    if user is None:
        return {"envoye": False}
    queue_mail(
        ctx.session,
        modele,
        user.email,
        instance_id=ctx.instance_id,
        user=user,
        instance=ctx.view,
        demarche=ctx.demarche_title,
        donnees=mail_data(donnees),
    )
    return {"envoye": True}
