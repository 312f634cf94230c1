"""« OUBLI DE MOT DE PASSE »: the démarche workflows/mot_de_passe_oublie.bpmn seen from the web, and
the page behind the link it mails.

1. « J'ai oublié mon mot de passe. » POSTs to /mot-de-passe-oublie, which starts the démarche for a
   guest visitor and sends them to its only screen (/taches/<id>, the generic task page). A POST,
   not a GET: every GET of the portal leaves the database unchanged (so link prefetchers and
   crawlers create nothing); GET /mot-de-passe-oublie shows a page with the same button.
2. VALIDER runs the service operation `reinitialisation_demander`. The typed login reaches it as a
   secret of that one call (never task data, history or logs) and the instance ends at once with
   the same status, so the visitor's last page is the same whether or not an account matches. If an
   enabled account matches (user name, or e-mail case-insensitively), at most 3 mails an hour:
   an activated account gets a single-use reset link valid RESET_TTL (older reset links are
   revoked), sent to the address on file with the user name, never a password; an account not yet
   activated gets a fresh activation link instead. The work is the same either way: the same
   queries, and when no mail is due a decoy mail is rendered and written to the outbox, then removed
   before the commit (mails are only sent after it), so the answer's timing does not tell either.
   Per IP address (request.remote_addr), counted over the past hour from the requests it made: past
   RESET_CAPTCHA_AFTER the screen asks for the captcha (checked first by VALIDER, a new one on each
   display), and past RESET_IP_HOURLY_LIMIT the request is refused (French page, status 429, no
   mail). Neither depends on the typed login, so the answers stay the same for every account.
3. The link GET /mot-de-passe/<token> (peek only: a mail scanner that fetches it uses nothing) puts
   the token in the visitor's session and redirects to /mot-de-passe/nouveau, so the token leaves
   the address bar, the history and the Referer; these pages send `Referrer-Policy: no-referrer`
   and `Cache-Control: no-store`. The POST consumes the token atomically (of two concurrent POSTs,
   one wins), stores the Argon2id hash, ends every session of the account, does not log in, and
   mails « Votre mot de passe a été modifié ».

Why step 3 is plain views and not a second user task of the démarche: the link is usually opened
elsewhere than where it was asked for (the mail app of a phone, another browser), where the guest
secret of the instance is unknown, so the engine would refuse that visitor as the requester; and
keeping the instance open for an hour would keep the typed login in its data. The token itself is
the proof of ownership, single-use and expiring (web/accounts/tokens.py), so the démarche ends when
the mail is queued and the link is served by these views. (The Flask session is a signed cookie:
the token sits there, readable by this browser only, until the password is changed or it expires.)
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import case, func, or_, select, update
from sqlalchemy.orm import Session, lazyload
from werkzeug.wrappers import Response

from engine import api
from engine.api import (
    SERVICES,
    WRITTEN_CHANNELS,
    TaskView,
    latest_running_request,
    service_context,
    withdraw_mail,
)
from engine.db import utcnow
from forms.registry import TaskForm
from forms.tasks.mot_de_passe_oublie import NewPasswordForm
from web.accounts.models import AccountToken, LoginAttempt, TokenPurpose, User
from web.accounts.passwords import hash_password
from web.accounts.services import end_all_sessions
from web.accounts.tokens import RESET_TTL, consume, issue, peek, token_hash
from web.core.audit import Event, audit
from web.core.i18n import _, _l
from web.core.mail import queue_mail
from web.extensions import db
from web.tasks.actors import current_actor
from web.tasks.hooks import HookResult, before_complete, before_render

log = logging.getLogger(__name__)

bp = Blueprint("reset", __name__)

DEMARCHE = "mot_de_passe_oublie"
FORM_KEY = "mot_de_passe_oublie.demande"
SESSION_KEY = "reset_token"
ATTEMPT_KIND = "reset"
MAX_MAILS_PER_HOUR = 3
NOBODY = 0  # no account has this id: for an unknown login, the same statements match no row


@dataclass(frozen=True)
class Placeholder:
    """Whom the reset mail is rendered for when no mail is due (it is then removed before the commit)."""

    username: str = "utilisateur"
    email: str = "personne@invalid.example"
    display_name: str = "Prénom Nom"


PLACEHOLDER = Placeholder()
# The signup démarche's operation that mails a fresh activation link for its instance.
ACTIVATION_OPERATION = "compte_envoyer_activation"


# --- 1. Start --------------------------------------------------------------------------------------


@bp.get("/mot-de-passe-oublie")
def start_page() -> str | Response:
    """The same button as on the login box, for a typed address or the link of an expired mail."""
    if current_user.is_authenticated:
        return redirect(url_for("accounts.home"))
    return render_template("accounts/reset_start.html", form=FlaskForm())


@bp.post("/mot-de-passe-oublie")
def start() -> Response:
    """Start « OUBLI DE MOT DE PASSE » for this visitor and open its screen."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    if current_user.is_authenticated:
        flash(_("Vous êtes connecté : votre mot de passe ne vous est pas demandé."), "info")
        return redirect(url_for("accounts.home"))
    if over_ceiling(requests_last_hour(db.session(), visitor_ip())):
        return too_many_requests()
    actor = current_actor(create_guest=True)
    db_session = db.session()
    open_tasks = [t for t in api.tasks_for(db_session, actor) if t.form_key == FORM_KEY]
    if open_tasks:  # a double click or the back button: the same screen again
        return redirect(url_for("tasks.show", task_id=open_tasks[0].id))
    instance = api.start(db_session, DEMARCHE, actor)
    (task,) = [t for t in api.tasks_for(db_session, actor) if t.instance_id == instance.id]
    return redirect(url_for("tasks.show", task_id=task.id))


# --- Per-address limits: a captcha after RESET_CAPTCHA_AFTER requests an hour, a ceiling at
# RESET_IP_HOURLY_LIMIT. Both count only the requests of the visitor's IP address (the LoginAttempt
# rows of kind "reset" that the service operation writes), never anything about the typed login, so
# the screen and the answer stay the same whether or not an account matches.

TOO_MANY_TITLE = _l("Trop de demandes")
TOO_MANY_MESSAGE = _l(
    "Trop de demandes de réinitialisation de mot de passe ont été faites depuis votre connexion "
    "au cours de la dernière heure. Aucun courriel n'a été envoyé : réessayez dans une heure."
)
CAPTCHA_MISSING = _l("Recopiez le texte de contrôle.")
CAPTCHA_WRONG = _l("Le texte recopié ne correspond pas : recopiez le nouveau texte.")


def visitor_ip() -> str:
    """The address the requests are counted by, as the service operation stores it."""
    return (request.remote_addr or "")[:45]


def requests_last_hour(db_session: Session, ip: str) -> int:
    """Reset requests (VALIDER that reached the service operation) from this address in the past hour."""
    return db_session.execute(
        select(func.count())
        .select_from(LoginAttempt)
        .where(
            LoginAttempt.kind == ATTEMPT_KIND,
            LoginAttempt.ip == ip,
            LoginAttempt.created_at > utcnow() - timedelta(hours=1),
        )
    ).scalar_one()


def over_ceiling(count: int) -> bool:
    return count >= int(current_app.config["RESET_IP_HOURLY_LIMIT"])


def captcha_required(count: int) -> bool:
    return count >= int(current_app.config["RESET_CAPTCHA_AFTER"])


def too_many_requests() -> Response:
    """The French 429 page: nothing was done, no mail is sent."""
    body = render_template("errors/error.html", code=429, title=TOO_MANY_TITLE, message=TOO_MANY_MESSAGE)
    response = Response(body, status=429, mimetype="text/html")
    response.headers["Retry-After"] = "3600"
    return response


@before_render(FORM_KEY)
def captcha_when_needed(db_session: Session, form: TaskForm, actor: Any, task: TaskView) -> dict[str, Any]:
    """Past RESET_CAPTCHA_AFTER requests from this address, each display gets a new captcha."""
    from web.accounts import captcha

    form["captcha_reponse"].data = ""  # never written back into the page
    if not captcha.enabled() or not captcha_required(requests_last_hour(db_session, visitor_ip())):
        captcha.discard(db_session, request.form.get(captcha.ID_FIELD))
        return {"captcha_id": None}
    return {"captcha_id": captcha.replace(db_session, request.form.get(captcha.ID_FIELD))}


@before_complete(FORM_KEY)
def login_as_secret(db_session: Session, form: TaskForm, actor: Any, task: TaskView) -> HookResult | None:
    """The ceiling and the captcha of this address first; then the typed login and the address go to
    the service operation, for this call only."""
    from web.accounts import captcha

    ip = visitor_ip()
    count = requests_last_hour(db_session, ip)
    if over_ceiling(count):
        log.info("Password reset refused: hourly ceiling of requests reached for this address")
        abort(too_many_requests())
    if captcha_required(count):
        answer = form["captcha_reponse"].data or ""
        if not captcha.verify(db_session, request.form.get(captcha.ID_FIELD), answer):
            form["captcha_reponse"].errors.append(CAPTCHA_WRONG if answer else CAPTCHA_MISSING)
            return None
    return HookResult(secrets={"identifiant": form["identifiant"].data or "", "ip": ip})


# --- 2. The service operation ------------------------------------------------------------------------


def login_key(login: str) -> str:
    """What LoginAttempt keeps of a typed login: its SHA-256, lower-cased."""
    return hashlib.sha256(login.strip().lower().encode()).hexdigest()


def find_account(db_session: Session, login: str) -> User | None:
    """The account whose user name is `login`, else whose e-mail is `login` case-insensitively.

    One query whether or not it matches: the account's groups and family records (loaded eagerly by
    default) are left for later.
    """
    login = login.strip()
    return (
        db_session.execute(
            select(User)
            .options(lazyload("*"))
            .where(or_(User.username == login, func.lower(User.email) == login.lower()))
            .order_by(case((User.username == login, 0), else_=1), User.id)
            .limit(1)
        )
        .scalars()
        .first()
    )


def mails_sent_last_hour(db_session: Session, user_id: int) -> int:
    """Reset (or activation) mails sent to this account by this démarche in the past hour.

    The account's row is locked first (no-op UPDATE), so two concurrent requests for one account
    count one after the other, on PostgreSQL as on SQLite.
    """
    db_session.execute(
        update(User)
        .where(User.id == user_id)
        .values(session_nonce=User.session_nonce)
        .execution_options(synchronize_session=False)
    )
    return db_session.execute(
        select(func.count())
        .select_from(LoginAttempt)
        .where(
            LoginAttempt.kind == ATTEMPT_KIND,
            LoginAttempt.user_id == user_id,
            LoginAttempt.succeeded.is_(True),
            LoginAttempt.created_at > utcnow() - timedelta(hours=1),
        )
    ).scalar_one()


def send_reset_link(db_session: Session, user: User | None, instance_id: int | None) -> None:
    """Issue the token and write the mail to the outbox.

    For nobody (unknown login, or over the hourly limit): the same statements, rendering and writes
    with a throwaway token and a placeholder account, and the mail row is deleted before the commit,
    so that the answer takes the same time and nothing is sent.
    """
    if user is not None:
        raw = issue(db_session, user.id, TokenPurpose.RESET, RESET_TTL, instance_id=instance_id)
    else:
        raw = secrets.token_urlsafe(32)
        db_session.execute(
            update(AccountToken)
            .where(AccountToken.user_id == NOBODY, AccountToken.token_hash == token_hash(raw))
            .values(used_at=utcnow())
        )
        db_session.flush()
    base = current_app.config["BASE_URL"].rstrip("/")
    channels_before = set(db_session.info.get(WRITTEN_CHANNELS, ()))
    message = queue_mail(
        db_session,
        "mot_de_passe_reinitialisation",
        user.email if user is not None else PLACEHOLDER.email,
        instance_id=instance_id,
        user=user if user is not None else PLACEHOLDER,
        link=f"{base}/mot-de-passe/{raw}",
        minutes=int(RESET_TTL.total_seconds() // 60),
    )
    if user is None:  # written and removed in this transaction: as much work, no mail
        db_session.flush()
        withdraw_mail(db_session, message.message_id)
        db_session.flush()
        db_session.info[WRITTEN_CHANNELS] = channels_before


def send_activation_again(db_session: Session, user: User) -> None:
    """A fresh activation link through the signup démarche still waiting for this account, else a notice."""
    operation = SERVICES.get(ACTIVATION_OPERATION)
    tokens = select(AccountToken.instance_id, AccountToken.created_at).where(
        AccountToken.user_id == user.id, AccountToken.purpose == TokenPurpose.ACTIVATION
    )
    waiting = latest_running_request(db_session, user.id, tokens)
    if operation is not None and waiting is not None:
        operation.func(service_context(db_session, waiting))
        return
    queue_mail(db_session, "mot_de_passe_compte_non_active", user.email, user=user)


# --- 3. The link and the new password ---------------------------------------------------------------


@bp.after_request
def private_pages(response: Response) -> Response:
    """No Referer leaves these pages, and no cache keeps them."""
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


def invalid_link() -> tuple[str, int]:
    session.pop(SESSION_KEY, None)
    return render_template("accounts/reset_invalid.html", form=FlaskForm()), 410


@bp.get("/mot-de-passe/<token>")
def follow_link(token: str) -> Response | tuple[str, int]:
    """Swap the token of the URL for server-side state, then show the form without it in the URL."""
    if peek(db.session(), token, TokenPurpose.RESET) is None:
        return invalid_link()
    session[SESSION_KEY] = token
    return redirect(url_for("reset.new_password"))


@bp.route("/mot-de-passe/nouveau", methods=["GET", "POST"])
def new_password() -> str | Response | tuple[str, int]:
    db_session = db.session()
    raw = session.get(SESSION_KEY)
    token = peek(db_session, raw, TokenPurpose.RESET) if isinstance(raw, str) else None
    user = db_session.get(User, token.user_id) if token is not None else None
    if token is None or user is None or not user.is_enabled:
        return invalid_link()
    form = NewPasswordForm(username=user.username, email=user.email, town=current_app.config["TOWN_NAME"])
    if form.validate_on_submit():
        password_hash = hash_password(form.mot_de_passe.data)  # before the lock: Argon2 takes a while
        used = consume(db_session, raw, TokenPurpose.RESET)
        if used is None:  # used meanwhile (another tab) or just expired
            db_session.rollback()
            return invalid_link()
        user = db_session.get(User, used.user_id)
        if user is None:  # cannot happen: the token's foreign key cascades with the account
            db_session.rollback()
            return invalid_link()
        user.password_hash = password_hash
        user.password_changed_at = utcnow()
        end_all_sessions(user)
        queue_mail(
            db_session, "mot_de_passe_modifie", user.email, user=user, changed_at=user.password_changed_at
        )
        log.info("Password of user %s reset by mail link; all sessions ended", user.id)
        audit(Event.PASSWORD_RESET, actor=user, target=user.username)
        session.pop(SESSION_KEY, None)
        flash(
            _("Votre mot de passe est modifié. Connectez-vous avec le nouveau mot de passe."),
            "success",
        )
        return redirect(url_for("accounts.login"))
    status = 400 if form.errors else 200
    return render_template("accounts/reset_new.html", form=form, user=user), status
