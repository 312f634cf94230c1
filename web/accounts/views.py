"""Portal home, login and logout."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from forms.accounts import LoginForm
from web.core.transaction import commit
from web.extensions import db, login_manager

from . import bp
from .models import User
from .services import authenticate, end_all_sessions


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Load the account behind a session; a changed nonce means the session was ended."""
    ident, _, nonce = user_id.partition(":")
    if not ident.isdigit():
        return None
    user = db.session.get(User, int(ident))
    if user is None or not user.is_enabled or user.session_nonce != nonce:
        return None
    return user


def _safe_next(target: str | None) -> str | None:
    """Only local paths are accepted as a post-login destination."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def home_for(user: User) -> str:
    return url_for("backoffice.queue") if user.is_staff else url_for("demarches.my_requests")


@bp.get("/")
def home() -> str | Response:
    """Portal home: MON ESPACE PERSO and JE N'AI PAS D'ESPACE, or the user's dashboard links."""
    form = LoginForm()
    return render_template("accounts/home.html", form=form)


@bp.route("/connexion", methods=["GET", "POST"])
def login() -> str | Response:
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(db.session(), form.username.data, form.password.data)
        if user is not None:
            next_url = _safe_next(request.args.get("next"))
            session.clear()  # a new session at login (no fixation)
            login_user(user)
            commit()
            flash(f"Bienvenue, {user.display_name}.", "success")
            return redirect(next_url or home_for(user))
        commit()
        form.password.errors.append("Nom d'utilisateur ou mot de passe incorrect.")
    return render_template("accounts/login.html", form=form)


@bp.post("/deconnexion")
@login_required
def logout() -> Response:
    end_all_sessions(current_user)
    commit()
    logout_user()
    session.clear()
    flash("Vous êtes déconnecté.", "info")
    return redirect(url_for("accounts.home"))
