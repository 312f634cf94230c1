"""« Modifier mon profil »: « Modifier mon espace » and « Modifier les identifiants de mon espace personnel ».

The address, the e-mail and the phones are shown read-only: they change through their démarches,
which check them (« Changement d'adresses postales », « Changement de courriels », « Changement de
téléphones »).
"""

from __future__ import annotations

import logging

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user
from sqlalchemy import func, or_, select
from werkzeug.wrappers import Response

from engine import api
from engine.db import utcnow
from forms.accounts import CredentialsForm, LanguageForm, ProfileForm
from web.core.access import family_required
from web.core.audit import Event, audit
from web.core.i18n import _, _l, current_language
from web.core.mail import queue_mail
from web.extensions import db

from . import bp, sessions, throttle
from .models import User
from .passwords import hash_password, verify_password
from .services import end_all_sessions

log = logging.getLogger(__name__)

ADDRESS_DEMARCHE = "changement_adresse"
PHONES_DEMARCHE = "changement_telephone"
WRONG_PASSWORD = _l("Le mot de passe actuel est incorrect.")  # (a message)
USERNAME_TAKEN = _l("Ce nom d'utilisateur est déjà utilisé : choisissez-en un autre.")
NOTHING_CHANGED = _l("Indiquez un nouveau nom d'utilisateur ou un nouveau mot de passe.")


@bp.get("/profil")
@login_required
def profile() -> str:
    """« Modifier mon profil »: the two pages below, and the language (web/accounts/language.py)."""
    language_form = LanguageForm(data={"langue": current_language()})
    return render_template("accounts/profile.html", language_form=language_form)


def _address_demarche() -> dict[str, str] | None:
    """Title and catalogue link of « Changement d'adresses postales », when it is published."""
    return _demarche_link(ADDRESS_DEMARCHE)


def _demarche_link(key: str) -> dict[str, str] | None:
    """Title and catalogue link of a published démarche."""
    for definition in api.published_definitions(db.session()):
        if definition.key == key:
            url = url_for("demarches.catalogue", _anchor=f"demarche-{definition.key}")
            return {"title": definition.title, "url": url}
    return None


@bp.route("/profil/espace", methods=["GET", "POST"])
@family_required
def edit_space() -> str | Response | tuple[str, int]:
    """« Modifier mon espace »: IDENTITÉ, ADRESSE (read-only), MOYENS DE CONTACT."""
    user: User = current_user._get_current_object()  # a real User, not the proxy (login_user below)
    form = ProfileForm(obj=user, phones={"telephone": user.telephone, "mobile": user.mobile})
    if form.validate_on_submit():
        values = form.values()
        changed = sorted(name for name, value in values.items() if getattr(user, name) != value)
        for name in changed:
            setattr(user, name, values[name])
        log.info("Profile of user %s updated by its owner: %s", user.id, ", ".join(changed) or "no change")
        flash(_("Votre espace a été mis à jour."), "success")
        return redirect(url_for("accounts.profile"))
    status = 400 if form.errors else 200
    return render_template(
        "accounts/edit_space.html",
        form=form,
        user=user,
        address_demarche=_address_demarche(),
        phones_demarche=_demarche_link(PHONES_DEMARCHE),
    ), status


def _username_taken(user: User, wanted: str) -> bool:
    """Another account already answers to this login (its user name or its e-mail)."""
    other = db.session.execute(
        select(User.id).where(
            User.id != user.id, or_(User.username == wanted, func.lower(User.email) == wanted.lower())
        )
    ).first()
    return other is not None


@bp.route("/profil/identifiants", methods=["GET", "POST"])
@login_required
def edit_credentials() -> str | Response | tuple[str, int]:
    """« Modifier les identifiants de mon espace personnel »: user name and/or password."""
    user: User = current_user._get_current_object()  # a real User, not the proxy (login_user below)
    form = CredentialsForm(
        account_email=user.email, town=current_app.config["TOWN_NAME"], data={"username": user.username}
    )
    status = 200
    if form.validate_on_submit():
        status = 400
        new_username = form.username.data
        if new_username == user.username and not form.changes_password():
            form.username.errors.append(NOTHING_CHANGED)
        elif _current_password_ok(user, form):
            if new_username != user.username and _username_taken(user, new_username):
                form.username.errors.append(USERNAME_TAKEN)
            else:
                return _apply_credentials(user, form)
    elif form.errors:
        status = 400
    return render_template("accounts/edit_credentials.html", form=form), status


def _current_password_ok(user: User, form: CredentialsForm) -> bool:
    """Check « Mot de passe actuel », throttled and recorded like a login (kind « reauth »)."""
    db_session = db.session()
    ip = throttle.client_ip(request.remote_addr)
    attempt = throttle.begin(db_session, login=user.username, ip=ip, kind=throttle.KIND_REAUTH)
    verdict = throttle.check(db_session, user.username, ip, attempt=attempt)
    if not verdict.allowed:
        throttle.finish(
            attempt, login=user.username, succeeded=False, user_id=user.id, refused=f"{verdict.refusal}"
        )
        form.current_password.errors.append(verdict.message)
        return False
    ok = verify_password(user.password_hash, form.current_password.data)
    throttle.finish(attempt, login=user.username, succeeded=ok, user_id=user.id)
    if not ok:
        log.warning("Credentials change refused for user %s: wrong current password", user.id)
        form.current_password.errors.append(WRONG_PASSWORD)
    return ok


def _apply_credentials(user: User, form: CredentialsForm) -> Response:
    """Save, end every session of the account, log this browser in again, mail the owner."""
    changed_username = form.username.data != user.username
    changed_password = form.changes_password()
    if changed_username:
        user.username = form.username.data
    if changed_password:
        user.password_hash = hash_password(form.new_password.data)
        user.password_changed_at = utcnow()
    end_all_sessions(user)  # every other browser is logged out at its next request (ASVS 7.4.3)
    if changed_password:
        audit(Event.PASSWORD_CHANGED, actor=user, target=user.username)
    if changed_username:
        audit(Event.USERNAME_CHANGED, actor=user, target=user.username)
    queue_mail(
        db.session(),
        "identifiants_modifies",
        user.email,
        user=user,
        changed_username=changed_username,
        changed_password=changed_password,
        changed_at=utcnow(),
    )
    log.info(
        "Credentials of user %s changed by its owner (user name: %s, password: %s); all sessions ended",
        user.id,
        "changed" if changed_username else "kept",
        "changed" if changed_password else "kept",
    )
    session.clear()  # a fresh session for this browser, with the new nonce
    login_user(user)
    sessions.start()
    flash(_("Vos identifiants ont été modifiés. Vos autres sessions ont été fermées."), "success")
    return redirect(url_for("accounts.profile"))
