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
from typing import TYPE_CHECKING, Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from engine import api
from engine.api import TaskView
from forms.password_policy import check_password
from forms.registry import TaskForm
from forms.validators import image_kind
from web.accounts import bp
from web.accounts.models import ServiceKey, TokenPurpose, User
from web.accounts.services import find_by_login
from web.accounts.tokens import consume, peek
from web.core.access import family_required
from web.core.i18n import _, _l, current_language
from web.extensions import db
from web.tasks.actors import current_actor
from web.tasks.hooks import HookResult, before_complete, before_render

if TYPE_CHECKING:
    from web.famille.models import FamilyRecord

log = logging.getLogger(__name__)

DEMARCHE = "inscription"
GENERIC_KEY_ERROR = _l("Cette clé n'est pas valable. Vérifiez-la ou laissez le champ vide.")


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
        flash(_("Vous avez déjà un espace : vous êtes connecté."), "info")
        return redirect(url_for("accounts.home"))
    session = db.session()
    existing = [t for t in api.tasks_for(session, actor) if t.demarche_key == DEMARCHE]
    if existing:  # a second click, or the back button: resume the same draft
        return redirect(url_for("tasks.show", task_id=existing[0].id))
    instance = api.start(session, DEMARCHE, actor)
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

    answer = form["captcha_reponse"].data or ""
    if current_app.config["CAPTCHA_ENABLED"] and not answer:
        form["captcha_reponse"].errors.append(_("Recopiez le texte de contrôle."))
        return None
    if not captcha.verify(session, request.form.get("captcha_id"), answer):
        form["captcha_reponse"].errors.append(
            _("Le texte recopié ne correspond pas : recopiez le nouveau texte.")
        )
        return None
    ok = True
    username = form["nom_utilisateur"].data
    if find_by_login(session, username) is not None:
        form["nom_utilisateur"].errors.append(
            _("Ce nom d'utilisateur est déjà pris : choisissez-en un autre.")
        )
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
        form["cle_enfance"].errors.append(str(GENERIC_KEY_ERROR))
        ok = False
    if not ok:
        return None
    # The language of the pages the account was made in: the account keeps it (compte_creer).
    language = {"langue": current_language()}
    return HookResult(secrets={"cle_enfance": key, **language} if key else language)


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
    flash(_("Votre espace est activé : vous pouvez vous connecter."), "success")
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
            form.cle.errors.append(_("Trop d'essais : réessayez dans une heure."))
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
            if linked:
                flash(_("La clé est enregistrée : votre espace est relié au dossier du service."), "success")
                return redirect(url_for("accounts.service_keys"))
            form.cle.errors.append(str(GENERIC_KEY_ERROR))
    return render_template("accounts/service_keys.html", form=form, records=user.family_records)
