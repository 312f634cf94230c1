"""The BPMN service operations of the accounts area, one function per operation id.

Démarches that call them (`git grep <key>` finds this file):
- changement_telephone: compte_mettre_a_jour_telephones
- changement_adresse: compte_mettre_a_jour_adresse
- changement_courriel: courriel_verification_envoyer, courriel_appliquer (web/accounts/email_change.py)
- mot_de_passe_oublie: reinitialisation_demander (web/accounts/reset.py)
- inscription: compte_creer, compte_envoyer_activation, compte_activer, compte_purger
  (web/accounts/signup.py)

Registered by `web.app.discover_operations`, which imports every `web.*.operations` module.
"""

from __future__ import annotations

import base64
import logging
from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import delete, func, select

from engine.api import ServiceContext, service
from engine.db import utcnow
from forms.fields import CONTACT_FIELDS, IDENTITY_FIELDS
from web.accounts.email_change import HOURS, address_taken, base_url, masked
from web.accounts.models import AccountToken, LoginAttempt, TokenPurpose, User
from web.accounts.reset import (
    ATTEMPT_KIND,
    MAX_MAILS_PER_HOUR,
    NOBODY,
    find_account,
    login_key,
    mails_sent_last_hour,
    send_activation_again,
    send_reset_link,
)
from web.accounts.services import AccountError, create_user
from web.accounts.signup import link_service_key
from web.accounts.tokens import ACTIVATION_TTL, EMAIL_CHANGE_TTL, issue
from web.core.i18n import current_language, language_of
from web.core.mail import queue_mail

DEMARCHES = (
    "changement_telephone",
    "changement_adresse",
    "changement_courriel",
    "mot_de_passe_oublie",
    "inscription",
)

log = logging.getLogger(__name__)


@service("compte_mettre_a_jour_telephones")
def compte_mettre_a_jour_telephones(
    ctx: ServiceContext, telephone: str | None, mobile: str | None
) -> dict[str, Any]:
    """Remplace le téléphone et le mobile du compte de la famille qui a fait la demande (vide : supprimé)."""
    user = User.load_plain(ctx.session, ctx.requester_id)
    if user is None:
        raise AccountError("Le compte de la famille n'existe plus.")
    user.telephone = telephone or None
    user.mobile = mobile or None
    if user.contact_prefere in ("telephone", "mobile") and not getattr(user, user.contact_prefere):
        user.contact_prefere = "courriel"  # the preferred number was removed: fall back to e-mail
    log.info("Phone numbers of user %s updated by démarche %s", user.id, ctx.reference)
    return {"mise_a_jour": True}


@service("compte_mettre_a_jour_adresse")
def compte_mettre_a_jour_adresse(
    ctx: ServiceContext,
    adresse_ligne1: str,
    adresse_ligne2: str | None,
    code_postal: str,
    commune: str,
) -> dict[str, Any]:
    """Met à jour l'adresse postale du compte de la famille qui a fait la demande, et sa date d'effet
    quand les données de la demande en ont une (variable « date_effet »)."""
    user = User.load_plain(ctx.session, ctx.requester_id)
    if user is None:
        raise AccountError("Le compte de la famille n'existe plus.")
    user.adresse_ligne1 = adresse_ligne1
    user.adresse_ligne2 = adresse_ligne2 or None
    user.code_postal = code_postal
    user.commune = commune
    date_effet = ctx.data.get("date_effet")
    if date_effet:
        user.adresse_date_effet = (
            date_effet if isinstance(date_effet, date) else date.fromisoformat(date_effet)
        )
    log.info("Address of user %s updated by démarche %s", user.id, ctx.reference)
    return {"mise_a_jour": True}


@service("courriel_verification_envoyer")
def courriel_verification_envoyer(ctx: ServiceContext, nouveau_courriel: str) -> dict[str, Any]:
    """Envoie le lien de vérification (24 h, usage unique) à la nouvelle adresse ; prévient l'ancienne."""
    user = ctx.session.get(User, ctx.requester_id)
    if user is None:
        raise AccountError("Le compte de la famille n'existe plus.")
    raw = issue(
        ctx.session,
        user.id,
        TokenPurpose.EMAIL_CHANGE,
        EMAIL_CHANGE_TTL,
        instance_id=ctx.instance_id,
        payload=nouveau_courriel,
    )
    queue_mail(
        ctx.session,
        "courriel_verification",
        nouveau_courriel,
        instance_id=ctx.instance_id,
        user=user,
        link=f"{base_url()}/courriel/verifier/{raw}",
        hours=HOURS,
    )
    queue_mail(
        ctx.session,
        "courriel_changement_demande",
        user.email,
        instance_id=ctx.instance_id,
        user=user,
        masked=masked(nouveau_courriel),
        requested_at=utcnow(),
        hours=HOURS,
    )
    log.info("E-mail change of user %s: verification link sent (%s)", user.id, ctx.reference)
    return {"envoye": True}


@service("courriel_appliquer")
def courriel_appliquer(ctx: ServiceContext) -> dict[str, Any]:
    """Remplace l'adresse du compte par celle du lien ouvert ; refuse si un autre compte l'a prise."""
    new_address = ctx.secret("nouveau_courriel")
    if not new_address:
        raise AccountError("La nouvelle adresse se confirme uniquement par le lien envoyé à cette adresse.")
    user = ctx.session.get(User, ctx.requester_id)
    if user is None:
        raise AccountError("Le compte de la famille n'existe plus.")
    if address_taken(ctx.session, user.id, new_address):
        log.info("E-mail change of user %s refused: address taken meanwhile", user.id)
        return {"applique": False}
    old_address = user.email
    user.email = new_address
    ctx.session.flush()
    queue_mail(
        ctx.session,
        "courriel_modifie",
        old_address,
        instance_id=ctx.instance_id,
        user=user,
        masked=masked(new_address),
        changed_at=utcnow(),
    )
    log.info("E-mail of user %s changed by démarche %s", user.id, ctx.reference)
    return {"applique": True}


@service("reinitialisation_demander")
def reinitialisation_demander(ctx: ServiceContext) -> dict[str, Any]:
    """Envoie un lien de réinitialisation (ou d'activation) au compte qui correspond au nom d'utilisateur
    ou à l'adresse saisis, à l'adresse enregistrée sur le compte, 3 fois par heure au plus ; ne dit
    jamais si un compte correspond."""
    db_session = ctx.session
    login = str(ctx.secret("identifiant") or "")[:320]
    user = find_account(db_session, login)
    account = user if user is not None and user.is_enabled else None
    # From here on, the same statements run whether or not an account matches.
    under_limit = mails_sent_last_hour(db_session, account.id if account else NOBODY) < MAX_MAILS_PER_HOUR
    recipient = account if under_limit else None
    if recipient is not None and recipient.activated_at is None:
        send_activation_again(db_session, recipient)
    else:
        send_reset_link(db_session, recipient, ctx.instance_id)
    sent = recipient is not None
    db_session.add(
        LoginAttempt(
            kind=ATTEMPT_KIND,
            login_key=login_key(login),
            ip=str(ctx.secret("ip") or "")[:45],
            user_id=user.id if user is not None else None,
            succeeded=sent,
            created_at=utcnow(),
        )
    )
    if recipient is not None:
        log.info("Password reset requested: mail queued for user %s", recipient.id)
    else:
        log.info("Password reset requested: no mail (unknown, disabled or throttled account)")
    return {"traitee": True}  # the same whatever happened: it is kept in the data until the end


@service("compte_creer")
def compte_creer(ctx: ServiceContext) -> dict[str, Any]:
    """Crée l'espace inactif de la famille avec ce qu'elle a saisi.

    Si l'adresse de courriel est déjà celle d'un espace, prévient son titulaire et ne crée rien.
    """
    data = ctx.data
    session = ctx.session
    email = str(data["courriel"]).strip()
    password_hash = ctx.secret("mot_de_passe_hash")
    if not password_hash:
        raise ValueError("compte_creer must follow the authentication screen in the same step")
    owner = session.execute(select(User).where(func.lower(User.email) == email.lower())).scalar_one_or_none()
    if owner is not None:
        queue_mail(session, "inscription_adresse_deja_utilisee", owner.email, user=owner)
        log.info("Signup with the address of user %s: notice sent, no account created", owner.id)
        return {"cree": False}
    profile = {name: data.get(name) or None for name in IDENTITY_FIELDS + CONTACT_FIELDS}
    profile["contact_prefere"] = data.get("contact_prefere") or "courriel"
    profile["nom"] = data.get("nom") or ""
    profile["prenom"] = data.get("prenom") or ""
    # The language of the signup's pages (web/accounts/signup.py puts it in the secrets).
    profile["langue"] = language_of(ctx.secret("langue")) or current_language()
    if data.get("photo_base64"):
        profile["photo"] = base64.b64decode(data["photo_base64"])
        profile["photo_mime"] = data.get("photo_mime")
    user = create_user(
        session,
        username=str(data["nom_utilisateur"]),
        password_hash=password_hash,
        email=email,
        activated=False,
        **profile,
    )
    if ctx.secret("cle_enfance"):
        link_service_key(session, user, ctx.secrets["cle_enfance"])
    ctx.requester_id = user.id
    session.flush()
    return {"cree": True}


@service("compte_envoyer_activation")
def compte_envoyer_activation(ctx: ServiceContext) -> dict[str, Any]:
    """Envoie le lien d'activation à usage unique et le nom d'utilisateur, jamais le mot de passe."""
    if ctx.requester_id is None:
        return {"envoye": False}
    user = ctx.session.get(User, ctx.requester_id)
    raw = issue(ctx.session, user.id, TokenPurpose.ACTIVATION, ACTIVATION_TTL, instance_id=ctx.instance_id)
    base = current_app.config["BASE_URL"].rstrip("/")
    queue_mail(
        ctx.session,
        "inscription_activation",
        user.email,
        instance_id=ctx.instance_id,
        user=user,
        link=f"{base}/activation/{raw}",
        hours=int(ACTIVATION_TTL.total_seconds() // 3600),
    )
    return {"envoye": True}


@service("compte_activer")
def compte_activer(ctx: ServiceContext) -> dict[str, Any]:
    """Active l'espace de la famille (après le clic sur le lien du courriel)."""
    from engine.db import utcnow

    user = ctx.session.get(User, ctx.requester_id)
    user.activated_at = utcnow()
    log.info("Account %s activated", user.id)
    return {"active": True}


@service("compte_purger")
def compte_purger(ctx: ServiceContext) -> dict[str, Any]:
    """Supprime l'espace jamais activé à l'expiration du lien."""
    if ctx.requester_id is None:
        return {"supprime": False}
    user = ctx.session.get(User, ctx.requester_id)
    if user is None or user.activated_at is not None:
        return {"supprime": False}
    ctx.session.execute(delete(AccountToken).where(AccountToken.user_id == user.id))
    ctx.session.delete(user)
    ctx.requester_id = None
    log.info("Never-activated account %s purged", user.id)
    return {"supprime": True}
