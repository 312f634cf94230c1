"""Session time limits (ASVS 7.3.1/7.3.2) and the « Prolonger » endpoint (RGAA 13.1).

At login the session gets two timestamps: when the user authenticated and when they were last seen.
Before every request the hook below logs the user out after `SESSION_IDLE_MINUTES` without a request
or `SESSION_ABSOLUTE_HOURS` after the login, whatever the activity; otherwise it refreshes « last
seen » (once it is 15 s old). Both timestamps live in the signed session cookie, so a cookie
replayed later expires too.

A session whose account was disabled, or whose nonce changed (logout, password change elsewhere), is
emptied at its next request (ASVS 7.4.1/7.4.2).

Pages of a logged-in user carry the seconds left in `data-session-expires-in` on <body>;
`static/js/session.js` warns two minutes before the end and POSTs to /session/prolonger.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app, flash, jsonify, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user, login_required, logout_user
from itsdangerous import URLSafeTimedSerializer
from werkzeug.wrappers import Response

from engine.db import utcnow
from web.core.i18n import _l

from . import bp

log = logging.getLogger(__name__)
AUTH_AT = "auth_at"  # epoch seconds of the login
SEEN_AT = "seen_at"  # epoch seconds of the last request
WARNING_SECONDS = 120  # the « Prolonger » dialog opens this long before the end
# « Last seen » is written again only when it is this old: a request that changes nothing else in the
# session then sends no new signed cookie (the signature was ~4 % of a step's CPU in the HTTP profile).
SEEN_REFRESH_SECONDS = 15
MAX_FLASHES = 5  # messages waiting for the next page (see cap_flashes)
EXPIRED_MESSAGE = _l("Votre session a expiré : reconnectez-vous.")
EXTEND_ENDPOINT = "accounts.extend_session"


def _now() -> int:
    return int(utcnow().timestamp())


def start() -> None:
    """Stamp a session that just authenticated (call right after login_user)."""
    now = _now()
    session[AUTH_AT] = now
    session[SEEN_AT] = now


def limits() -> tuple[int, int]:
    """(idle, absolute) limits in seconds, from the configuration."""
    config = current_app.config
    return int(config["SESSION_IDLE_MINUTES"] * 60), int(config["SESSION_ABSOLUTE_HOURS"] * 3600)


def timing(now: int | None = None) -> dict[str, Any] | None:
    """Seconds left before the session ends and which limit ends it; None when not logged in."""
    auth_at, seen_at = session.get(AUTH_AT), session.get(SEEN_AT)
    if not isinstance(auth_at, int) or not isinstance(seen_at, int):
        return None
    now = _now() if now is None else now
    idle, absolute = limits()
    idle_left = max(0, seen_at + idle - now)
    absolute_left = max(0, auth_at + absolute - now)
    limit = "absolute" if absolute_left <= idle_left else "idle"
    return {
        "expires_in": min(idle_left, absolute_left),
        "idle_expires_in": idle_left,
        "absolute_expires_in": absolute_left,
        "limit": limit,
        "extendable": limit == "idle",
        "warning": WARNING_SECONDS,
    }


def _expired(now: int) -> bool:
    auth_at, seen_at = session.get(AUTH_AT), session.get(SEEN_AT)
    if not isinstance(auth_at, int) or not isinstance(seen_at, int):
        return True  # a session without stamps never went through the login: fail closed
    idle, absolute = limits()
    return now - seen_at > idle or now - auth_at > absolute


def _which_limit(now: int) -> str:
    auth_at = session.get(AUTH_AT)
    if not isinstance(auth_at, int) or not isinstance(session.get(SEEN_AT), int):
        return "no stamps"
    return "absolute" if now - auth_at > limits()[1] else "idle"


def enforce_limits() -> Response | tuple[Response, int] | None:
    """before_request: end stale, disabled and expired sessions; refresh « last seen » otherwise."""
    if request.endpoint == "static" or "_user_id" not in session:
        return None
    if not current_user.is_authenticated:
        # The nonce changed (logout or password change elsewhere) or the account was disabled.
        session.clear()
        return None
    now = _now()
    if not _expired(now):
        if now - session[SEEN_AT] >= SEEN_REFRESH_SECONDS:
            session[SEEN_AT] = now
        return None
    log.info("Session of user %s expired (%s limit)", current_user.id, _which_limit(now))
    logout_user()
    session.clear()
    flash(EXPIRED_MESSAGE, "info")
    if request.endpoint == EXTEND_ENDPOINT or request.accept_mimetypes.best == "application/json":
        return jsonify(expired=True, message=EXPIRED_MESSAGE, login_url=url_for("accounts.login")), 401
    next_url = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("accounts.login", next=next_url))


@bp.post("/session/prolonger")
@login_required
def extend_session() -> Response | tuple[Response, int]:
    """« Prolonger »: « last seen » is now (the hook refreshes it only every SEEN_REFRESH_SECONDS; an
    explicit extension always does); say when the session now ends."""
    now = _now()
    if isinstance(session.get(SEEN_AT), int):
        session[SEEN_AT] = now
    data = timing(now)
    if data is None:  # not reached: the hook logs out sessions without stamps
        return jsonify(expired=True, message=EXPIRED_MESSAGE), 401
    return jsonify(data)


def cap_flashes(response: Response) -> Response:
    """after_request: keep the last MAX_FLASHES messages waiting in the cookie. A browser shows them
    at the next page; a client that never fetches a page would otherwise grow the signed cookie at
    every POST (re-read, re-signed, re-sent each request, and dropped by browsers past 4 kB)."""
    flashes = session.get("_flashes")
    if flashes and len(flashes) > MAX_FLASHES:
        session["_flashes"] = flashes[-MAX_FLASHES:]
    return response


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed cookie session, whose serializer is built once per secret key rather than twice
    per request (opening and saving the session); the keys, salt and signature are Flask's."""

    _built: tuple[tuple[Any, ...], URLSafeTimedSerializer | None] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        built = self._built
        if built is None or built[0] != keys:
            built = self._built = (keys, super().get_signing_serializer(app))
        return built[1]


def register(app: Flask) -> None:
    app.session_interface = SessionCookies()
    app.before_request(enforce_limits)
    app.after_request(cap_flashes)

    @app.context_processor
    def session_context() -> dict[str, Any]:
        authenticated = current_user.is_authenticated if current_user else False
        return {"session_timing": timing() if authenticated else None}
