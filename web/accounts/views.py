"""Portal home, login (throttled, captcha after repeated failures) and logout."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from forms.accounts import LoginForm
from web.core.audit import Event, audit
from web.core.i18n import _, _l
from web.core.redirects import returns_to, safe_target
from web.extensions import db, login_manager

from . import bp, captcha, sessions, throttle
from .models import Role, User
from .services import authenticate, end_all_sessions

LOGIN_FAILED = _l("Nom d'utilisateur ou mot de passe incorrect.")
CAPTCHA_MISSING = _l("Recopiez le texte de contrôle.")


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Load the account behind a session; a changed nonce means the session was ended."""
    ident, _, nonce = user_id.partition(":")
    if not ident.isdigit():
        return None
    user = User.load_plain(db.session, int(ident))  # the account alone, once per request
    if user is None or not user.is_enabled or user.session_nonce != nonce:
        return None
    return user


@bp.app_template_filter("safe_target")
def _safe_target_filter(target: str | None) -> str | None:
    """In templates: a `next`/`retour` value carried on into a link or form, when it is safe."""
    return safe_target(target)


def _safe_next(target: str | None) -> str | None:
    """Only paths of this site are accepted as a post-login destination (web/core/redirects.py)."""
    return safe_target(target)


def home_for(user: User) -> str:
    if user.role == Role.ANALYSTE:
        return url_for("studio.home")
    return url_for("backoffice.queue") if user.is_staff else url_for("accounts.home")


def _login_failed(form: LoginForm, extra: str | None = None) -> None:
    form.password.errors.append(f"{LOGIN_FAILED} {extra}" if extra else LOGIN_FAILED)


def _refuse(form: LoginForm, attempt: Any, verdict: Any, refusal: str) -> int:
    """Refused before any password verification (the attempt costs no Argon2 run); the page's status."""
    typed = form.username.data
    throttle.finish(attempt, login=typed, succeeded=False, user_id=verdict.user_id, refused=refusal)
    audit(Event.LOGIN_FAILED, target=throttle.for_log(typed), details={"refus": refusal})
    if refusal == "captcha":
        _login_failed(form)
        form.captcha_reponse.errors.append(
            captcha.ERROR_MESSAGE if form.captcha_reponse.data else CAPTCHA_MISSING
        )
        return 200
    _login_failed(form, verdict.message)
    return 429


@bp.route("/connexion", methods=["GET", "POST"])
@returns_to("next")
def login() -> str | Response | tuple[str, int]:
    """MON ESPACE PERSO. Throttled per typed login and per IP (web/accounts/throttle.py); after the free
    failures of a login the captcha is asked for too. A refused attempt verifies no password."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    db_session = db.session()
    status = 200
    show_captcha = False
    if request.method == "POST" and captcha.change_requested(request.form):
        # « Changer le texte de contrôle » without JavaScript: the same form with a new text.
        show_captcha = True
    elif form.validate_on_submit():
        typed = form.username.data
        ip = throttle.client_ip(request.remote_addr)
        attempt = throttle.begin(db_session, login=typed, ip=ip)
        verdict = throttle.check(db_session, typed, ip, attempt=attempt)
        show_captcha = verdict.captcha_required
        refusal: str | None = verdict.refusal
        # verify() consumes the challenge (single use, right or wrong); kept on every path (keep_writes).
        answer = form.captcha_reponse.data
        if (
            verdict.allowed
            and verdict.captcha_required
            and not captcha.verify(db_session, request.form.get(captcha.ID_FIELD), answer)
        ):
            refusal = "captcha"
        if refusal is not None:
            status = _refuse(form, attempt, verdict, refusal)
        else:
            user = authenticate(db_session, typed, form.password.data)
            throttle.finish(
                attempt,
                login=typed,
                succeeded=user is not None,
                user_id=user.id if user is not None else verdict.user_id,
            )
            if user is not None:
                next_url = _safe_next(request.args.get("next"))
                session.clear()  # a new session at login (no fixation)
                login_user(user)
                sessions.start()
                audit(Event.LOGIN, actor=user, target=user.username)
                flash(_("Bienvenue, %(name)s.", name=user.display_name), "success")
                return redirect(next_url or home_for(user))
            _login_failed(form)
            audit(Event.LOGIN_FAILED, target=throttle.for_log(typed), details={"refus": "mot de passe"})
            show_captcha = verdict.failures + 1 >= throttle.free_failures()
    captcha_id = None
    if show_captcha and captcha.enabled():
        captcha_id = captcha.replace(db_session, request.form.get(captcha.ID_FIELD))
        form.captcha_reponse.data = ""
    return render_template("accounts/login.html", form=form, captcha_id=captcha_id), status


@bp.post("/deconnexion")
@login_required
def logout() -> Response:
    audit(Event.LOGOUT, target=current_user.username)
    end_all_sessions(current_user)
    logout_user()
    session.clear()
    flash(_("Vous êtes déconnecté."), "info")
    return redirect(url_for("accounts.home"))


# The profile pages live on this blueprint too: imported here, their routes exist before it is registered.
from . import profile  # noqa: E402, F401
