"""« Changement de courriels » (workflows/changement_courriel.bpmn) seen from the web.

- Before the first screen is completed, a hook re-authenticates the family (ASVS 7.5.1) with the
  throttled check of « Modifier les identifiants » (kind « reauth » in `login_attempt`), then
  refuses an address already used by another account. The password never reaches the engine.
- `courriel_verification_envoyer` issues a single-use EMAIL_CHANGE token (24 h) whose payload is the
  new address, mails the link to the NEW address and warns the OLD one.
- The link (GET page with a POST button, like the activation link: a scanner fetching the URL
  changes nothing) completes the « verification » task and hands the token's payload to
  `courriel_appliquer` as a secret: the new address comes from the consumed token only.
- `courriel_appliquer` re-checks that no other account took the address meanwhile, sets it and
  tells the old address.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from engine import api
from engine.api import TaskView
from forms.registry import TaskForm
from web.accounts import bp, throttle
from web.accounts.models import TokenPurpose, User
from web.accounts.passwords import verify_password
from web.accounts.tokens import EMAIL_CHANGE_TTL, consume, peek
from web.core.audit import Event, audit
from web.core.i18n import _, _l
from web.extensions import db
from web.tasks.hooks import HookResult, before_complete

log = logging.getLogger(__name__)

DEMARCHE = "changement_courriel"
VERIFICATION_KEY = "changement_courriel.verification"
WRONG_PASSWORD = _l("Le mot de passe actuel est incorrect.")  # (a message)
ADDRESS_TAKEN = _l("Cette adresse de courriel est déjà utilisée par un autre espace : indiquez-en une autre.")
SAME_ADDRESS = _l("C'est déjà l'adresse de courriel de votre espace : indiquez la nouvelle adresse.")
USE_THE_LINK = _l(
    "Pour confirmer la nouvelle adresse, ouvrez le lien reçu à cette adresse : "
    "cette étape ne peut pas être validée depuis cette page."
)
HOURS = int(EMAIL_CHANGE_TTL.total_seconds() // 3600)


def address_taken(session: Session, user_id: int | None, address: str) -> bool:
    """Another account already answers to this address, as its e-mail or as its user name (a login)."""
    wanted = address.strip()
    other = session.execute(
        select(User.id).where(
            User.id != (user_id if user_id is not None else -1),
            or_(func.lower(User.email) == wanted.lower(), User.username == wanted),
        )
    ).first()
    return other is not None


def masked(address: str) -> str:
    """« l***@exemple.fr »: enough for the owner to recognise the address, little for anyone else."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


# --- Checks before the screens are completed ---------------------------------------------------------


def reauthenticate(session: Session, user: User, field: Any) -> bool:
    """The current password, checked and recorded like a login (kind « reauth », throttled).

    The same steps as « Modifier les identifiants » (web/accounts/profile.py): the attempt is
    committed on its own before it is checked (throttle.begin), no verification when the throttle refuses.
    """
    ip = throttle.client_ip(request.remote_addr)
    attempt = throttle.begin(session, login=user.username, ip=ip, kind=throttle.KIND_REAUTH)
    verdict = throttle.check(session, user.username, ip, attempt=attempt)
    if not verdict.allowed:
        throttle.finish(
            attempt, login=user.username, succeeded=False, user_id=user.id, refused=f"{verdict.refusal}"
        )
        field.errors.append(verdict.message)
        return False
    ok = verify_password(user.password_hash, field.data or "")
    throttle.finish(attempt, login=user.username, succeeded=ok, user_id=user.id)
    if not ok:
        log.warning("E-mail change refused for user %s: wrong current password", user.id)
        field.errors.append(WRONG_PASSWORD)
    return ok


@before_complete("changement_courriel.saisie")
def check_new_address(session: Session, form: TaskForm, actor: Any, task: TaskView) -> HookResult | None:
    """The current password first (so addresses cannot be probed without it), then the address."""
    user = session.get(User, actor.id) if isinstance(actor, User) else None
    if user is None:
        abort(403)
    if not reauthenticate(session, user, form["mot_de_passe_actuel"]):
        return None
    new_address = form["nouveau_courriel"].data
    if new_address.lower() == (user.email or "").lower():
        form["nouveau_courriel"].errors.append(SAME_ADDRESS)
    elif address_taken(session, user.id, new_address):
        form["nouveau_courriel"].errors.append(ADDRESS_TAKEN)
    if form["nouveau_courriel"].errors:
        return None
    return HookResult()


@before_complete(VERIFICATION_KEY)
def only_by_the_link(session: Session, form: TaskForm, actor: Any, task: TaskView) -> HookResult | None:
    """The task page must not confirm an address nobody opened: only the mailed link completes it."""
    form.form_errors.append(USE_THE_LINK)
    return None


# --- Service operations ------------------------------------------------------------------------------


def base_url() -> str:
    return str(current_app.config["BASE_URL"]).rstrip("/")


# --- The verification link ---------------------------------------------------------------------------


@bp.get("/courriel/verifier/<token>")
def verification_page(token: str) -> tuple[str, int]:
    """Show a button (a POST): link scanners that fetch the URL must not confirm the address."""
    found = peek(db.session(), token, TokenPurpose.EMAIL_CHANGE)
    return render_template(
        "accounts/courriel_verification.html",
        token=token,
        valid=found is not None,
        address=found.payload if found is not None else None,
        form=FlaskForm(),
    ), (200 if found is not None else 410)


@bp.post("/courriel/verifier/<token>")
def verify(token: str) -> Response:
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)
    session = db.session()
    used = consume(session, token, TokenPurpose.EMAIL_CHANGE)
    if used is None:
        return redirect(url_for("accounts.verification_page", token=token))
    user = session.get(User, used.user_id)
    tasks = [
        t
        for t in api.tasks_for(session, user)
        if t.instance_id == used.instance_id and t.form_key == VERIFICATION_KEY
    ]
    if user is None or not tasks:
        abort(410)
    api.complete(session, tasks[0].id, user, {}, secrets={"nouveau_courriel": used.payload})
    applied = user.email == used.payload
    if applied:
        audit(Event.EMAIL_CHANGED, actor=user, target=user.username)
        flash(
            _("Votre nouvelle adresse de courriel est enregistrée : elle sert désormais à vous connecter."),
            "success",
        )
    else:
        flash(
            _(
                "Cette adresse est désormais utilisée par un autre espace : votre adresse n'a pas été "
                "modifiée."
            ),
            "info",
        )
    if current_user.is_authenticated and current_user.id == used.user_id:
        return redirect(url_for("demarches.show_request", instance_id=used.instance_id))
    return redirect(url_for("accounts.login"))
