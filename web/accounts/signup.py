"""« Créer mon espace »: the signup démarche (workflows/inscription.bpmn) seen from the web.

The wizard screens are ordinary user tasks of a guest visitor; this module starts the démarche,
checks what needs the database before VALIDER (captcha, user name, service key), provides the
service operations the diagram calls, and serves the activation link.

Anti-enumeration: an e-mail address already used by an account gets the same screens and answers
as a new one; the owner of the address receives a notice instead, and no account is created.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from engine import api
from engine.api import TaskView
from engine.runtime import ServiceContext, service
from forms.fields import CONTACT_FIELDS, IDENTITY_FIELDS
from forms.password_policy import check_password
from forms.registry import TaskForm
from forms.validators import image_kind
from web.accounts import bp
from web.accounts.models import AccountToken, FamilyRecord, ServiceKey, TokenPurpose, User
from web.accounts.services import create_user, find_by_login
from web.accounts.tokens import ACTIVATION_TTL, consume, issue, peek
from web.core.access import family_required
from web.core.mail import queue_mail
from web.core.transaction import commit
from web.extensions import db
from web.tasks.hooks import HookResult, before_complete, before_render
from web.tasks.views import current_actor

log = logging.getLogger(__name__)

DEMARCHE = "inscription"
GENERIC_KEY_ERROR = "Cette clé n'est pas valable. Vérifiez-la ou laissez le champ vide."


def key_hash(raw: str) -> str:
    """Service keys are compared without spaces, dashes or case."""
    normalised = "".join(ch for ch in raw.upper() if ch.isalnum())
    return hashlib.sha256(normalised.encode()).hexdigest()


@bp.post("/creer-mon-espace")
def start_signup() -> Response:
    """« Créer mon espace »: start the signup démarche for this visitor."""
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)
    actor = current_actor(create_guest=True)
    if getattr(actor, "is_authenticated", False):
        flash("Vous avez déjà un espace : vous êtes connecté.", "info")
        return redirect(url_for("accounts.home"))
    session = db.session()
    existing = [t for t in api.tasks_for(session, actor) if t.instance.definition.key == DEMARCHE]
    if existing:  # a second click, or the back button: resume the same draft
        return redirect(url_for("tasks.show", task_id=existing[0].id))
    instance = api.start(session, DEMARCHE, actor)
    commit()
    (first,) = [t for t in api.tasks_for(session, actor) if t.instance_id == instance.id]
    return redirect(url_for("tasks.show", task_id=first.id))


# --- Checks before the screens are completed ---------------------------------------------------------


@before_render("inscription.authentification")
def fresh_captcha(session: Session, form: TaskForm, actor: Any, task: TaskView) -> dict[str, Any]:
    """Each display of the screen gets a new, single-use captcha (the old answer is never kept)."""
    from web.accounts import captcha

    challenge_id = captcha.replace(session, request.form.get("captcha_id"))
    form["captcha_reponse"].data = ""
    return {"captcha_id": challenge_id}


@before_complete("inscription.identite")
def keep_photo(session: Session, form: TaskForm, actor: Any, task: TaskView) -> HookResult:
    """The photo (already checked by content) travels in the task data until the account exists."""
    storage = form["photo"].data
    if storage is None or not getattr(storage, "filename", ""):
        return HookResult()
    content = storage.read()
    return HookResult(
        data={"photo_base64": base64.b64encode(content).decode(), "photo_mime": image_kind(content)}
    )


@before_complete("inscription.authentification")
def check_credentials(session: Session, form: TaskForm, actor: Any, task: TaskView) -> HookResult | None:
    """Captcha first (so that user names cannot be probed by a robot), then the user name and the key."""
    from web.accounts import captcha

    if not captcha.verify(session, request.form.get("captcha_id"), form["captcha_reponse"].data or ""):
        form["captcha_reponse"].errors.append(
            "Le texte recopié ne correspond pas : recopiez le nouveau texte."
        )
        return None
    ok = True
    username = form["nom_utilisateur"].data
    if find_by_login(session, username) is not None:
        form["nom_utilisateur"].errors.append("Ce nom d'utilisateur est déjà pris : choisissez-en un autre.")
        ok = False
    email = str(task.data.get("courriel") or "")
    problems = check_password(
        form["mot_de_passe"].data, username=username, email=email, town=current_app.config["TOWN_NAME"]
    )
    if problems:
        form["mot_de_passe"].errors.extend(problems)
        ok = False
    key = form["cle_enfance"].data
    if key and _usable_key(session, key) is None:
        form["cle_enfance"].errors.append(GENERIC_KEY_ERROR)
        ok = False
    if not ok:
        return None
    return HookResult(secrets={"cle_enfance": key} if key else {})


KEY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud or copied from paper


def issue_service_key(session: Session, *, record: FamilyRecord, issued_by_id: int | None) -> str:
    """Create a single-use « clé espace citoyens » for a family record of a service; return it once."""
    import secrets

    raw = "-".join("".join(secrets.choice(KEY_ALPHABET) for _ in range(4)) for _ in range(4))
    session.add(ServiceKey(key_hash=key_hash(raw), family_record_id=record.id, issued_by_id=issued_by_id))
    session.flush()
    log.info("Service key issued for family record %s (%s) by %s", record.id, record.service, issued_by_id)
    return raw


def _usable_key(session: Session, raw: str) -> ServiceKey | None:
    return session.execute(
        select(ServiceKey).where(ServiceKey.key_hash == key_hash(raw), ServiceKey.used_at.is_(None))
    ).scalar_one_or_none()


def link_service_key(session: Session, user: User, raw: str) -> bool:
    """Link the account to the family record of a valid key and use the key up; False if not valid."""
    from engine.db import utcnow

    key = _usable_key(session, raw)
    if key is None:
        return False
    key.used_at = utcnow()
    key.used_by_id = user.id
    if key.family_record not in user.family_records:
        user.family_records.append(key.family_record)
    log.info("Service key %s linked user %s to family record %s", key.id, user.id, key.family_record_id)
    return True


# --- Service operations called by workflows/inscription.bpmn -----------------------------------------


@service("compte_creer")
def create_account(ctx: ServiceContext) -> dict[str, Any]:
    """Crée l'espace inactif de la famille avec ce qu'elle a saisi.

    Si l'adresse de courriel est déjà celle d'un espace, prévient son titulaire et ne crée rien.
    """
    data = ctx.data
    session = ctx.session
    email = str(data["courriel"]).strip()
    password_hash = ctx.secrets.get("mot_de_passe_hash")
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
    if ctx.secrets.get("cle_enfance"):
        link_service_key(session, user, ctx.secrets["cle_enfance"])
    ctx.instance.requester_id = user.id
    session.flush()
    return {"cree": True}


@service("compte_envoyer_activation")
def send_activation(ctx: ServiceContext) -> dict[str, Any]:
    """Envoie le lien d'activation à usage unique et le nom d'utilisateur, jamais le mot de passe."""
    if ctx.instance.requester_id is None:
        return {"envoye": False}
    user = ctx.session.get(User, ctx.instance.requester_id)
    raw = issue(ctx.session, user.id, TokenPurpose.ACTIVATION, ACTIVATION_TTL, instance_id=ctx.instance.id)
    base = current_app.config["BASE_URL"].rstrip("/")
    queue_mail(
        ctx.session,
        "inscription_activation",
        user.email,
        instance_id=ctx.instance.id,
        user=user,
        link=f"{base}/activation/{raw}",
        hours=int(ACTIVATION_TTL.total_seconds() // 3600),
    )
    return {"envoye": True}


@service("compte_activer")
def activate_account(ctx: ServiceContext) -> dict[str, Any]:
    """Active l'espace de la famille (après le clic sur le lien du courriel)."""
    from engine.db import utcnow

    user = ctx.session.get(User, ctx.instance.requester_id)
    user.activated_at = utcnow()
    log.info("Account %s activated", user.id)
    return {"active": True}


@service("compte_purger")
def purge_account(ctx: ServiceContext) -> dict[str, Any]:
    """Supprime l'espace jamais activé à l'expiration du lien."""
    if ctx.instance.requester_id is None:
        return {"supprime": False}
    user = ctx.session.get(User, ctx.instance.requester_id)
    if user is None or user.activated_at is not None:
        return {"supprime": False}
    ctx.session.execute(delete(AccountToken).where(AccountToken.user_id == user.id))
    ctx.session.delete(user)
    ctx.instance.requester_id = None
    log.info("Never-activated account %s purged", user.id)
    return {"supprime": True}


# --- The activation link -----------------------------------------------------------------------------


@bp.get("/activation/<token>")
def activation_page(token: str) -> str:
    """Show a button (a POST): link scanners that fetch the URL must not activate the account."""
    valid = peek(db.session(), token, TokenPurpose.ACTIVATION) is not None
    return render_template("accounts/activation.html", token=token, valid=valid, form=FlaskForm()), (
        200 if valid else 410
    )


@bp.post("/activation/<token>")
def activate(token: str) -> Response:
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)
    session = db.session()
    used = consume(session, token, TokenPurpose.ACTIVATION)
    if used is None:
        return redirect(url_for("accounts.activation_page", token=token))
    user = session.get(User, used.user_id)
    tasks = [t for t in api.tasks_for(session, user) if t.instance_id == used.instance_id]
    if not tasks:
        abort(410)
    api.complete(session, tasks[0].id, user, {})
    commit()
    flash("Votre espace est activé : vous pouvez vous connecter.", "success")
    return redirect(url_for("accounts.login"))


# --- « SERVICES » later, from « Modifier mon profil » ------------------------------------------------

KEY_TRIES_PER_HOUR = 10


@bp.route("/profil/services", methods=["GET", "POST"])
@family_required
def service_keys() -> str | Response:
    """Enter a « clé espace citoyens » after signup; wrong keys are limited per account and hour."""
    from datetime import timedelta

    from engine.db import utcnow
    from forms.accounts import EnterServiceKeyForm
    from web.accounts.models import LoginAttempt

    form = EnterServiceKeyForm()
    session = db.session()
    user: User = current_user._get_current_object()
    if form.validate_on_submit():
        since = utcnow() - timedelta(hours=1)
        failures = session.execute(
            select(func.count())
            .select_from(LoginAttempt)
            .where(
                LoginAttempt.kind == "service_key",
                LoginAttempt.user_id == user.id,
                LoginAttempt.succeeded.is_(False),
                LoginAttempt.created_at >= since,
            )
        ).scalar_one()
        if failures >= KEY_TRIES_PER_HOUR:
            form.cle.errors.append("Trop d'essais : réessayez dans une heure.")
        else:
            linked = link_service_key(session, user, form.cle.data)
            session.add(
                LoginAttempt(
                    kind="service_key",
                    login_key=key_hash(form.cle.data)[:64],
                    ip=request.remote_addr or "",
                    user_id=user.id,
                    succeeded=linked,
                    created_at=utcnow(),
                )
            )
            commit()
            if linked:
                flash("La clé est enregistrée : votre espace est relié au dossier du service.", "success")
                return redirect(url_for("accounts.service_keys"))
            form.cle.errors.append(GENERIC_KEY_ERROR)
    return render_template("accounts/service_keys.html", form=form, records=user.family_records)
