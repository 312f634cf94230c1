"""French error pages; engine errors become their status code, never a traceback."""

from __future__ import annotations

import contextlib
import logging

from flask import Flask, Response, current_app, g, render_template
from flask_babel import force_locale
from sqlalchemy import inspect as orm_state
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from engine.errors import EngineError
from web.core.i18n import _, _l, language_of, visitor_language
from web.extensions import db

log = logging.getLogger(__name__)

MESSAGES = {
    400: (
        _l("Requête invalide"),
        _l("La requête n'a pas pu être comprise. Revenez à la page précédente et réessayez."),
    ),
    403: (_l("Accès refusé"), _l("Vous n'avez pas le droit d'accéder à cette page.")),
    404: (_l("Page introuvable"), _l("La page demandée n'existe pas ou n'est plus disponible.")),
    405: (_l("Méthode non autorisée"), _l("Cette action n'est pas possible sur cette page.")),
    409: (_l("Conflit"), _l("Cette demande a changé depuis l'ouverture de la page.")),
    413: (
        _l("Fichier trop volumineux"),
        _l("Le fichier ou le formulaire envoyé dépasse la taille autorisée."),
    ),
    500: (
        _l("Erreur technique"),
        _l(
            "Une erreur technique est survenue. Vos données déjà enregistrées sont conservées ; "
            "réessayez dans quelques instants."
        ),
    ),
}


def render_error(code: int, detail: str | None = None) -> tuple[str, int]:
    title, message = MESSAGES.get(code, MESSAGES[500])
    return render_template("errors/error.html", code=code, title=title, message=detail or message), code


#: The database cannot be reached (server down, file unreadable, pool exhausted): a 503, not a 500.
UNREACHABLE = (OperationalError, InterfaceError, DisconnectionError, PoolTimeout)
RETRY_AFTER_SECONDS = 30


def unavailable(exc: BaseException) -> Response:
    """« Service momentanément indisponible » (503): the request's writes are rolled back (nothing
    half-written), the page is drawn without the layout (which would read the account again), and
    the pool reconnects by itself at a later request (SQLAlchemy drops the pool on a lost connection;
    a connection that sat idle is pinged first: web/extensions.py::_ping_after_idle)."""
    language = _language_without_database()
    with contextlib.suppress(SQLAlchemyError):
        db.session.rollback()
    log.error("Database unreachable: %s", str(exc).splitlines()[0][:300])
    template = current_app.jinja_env.get_template("errors/unavailable.html")
    with force_locale(language):  # the usual choice would load the account: not from here
        body = template.render(town=current_app.config.get("TOWN_NAME", ""), lang=language)
    return Response(body, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}, mimetype="text/html")


def _language_without_database() -> str:
    """The page's language as `web.core.i18n.select_language` picks it, reading nothing from the
    database: the account's choice only if it is already loaded (its attributes as they are in
    memory), else the cookie, else the browser's languages."""
    user = g.get("_login_user")  # Flask-Login's account of this request, when already loaded
    if user is not None:
        with contextlib.suppress(Exception):  # an anonymous user or a detached row: no choice
            chosen = language_of(orm_state(user).dict.get("langue"))
            if chosen:
                return chosen
    return visitor_language()


def register(app: Flask) -> None:
    @app.errorhandler(EngineError)
    def engine_error(exc: EngineError) -> tuple[str, int]:
        db.session.rollback()
        if exc.status_code >= 500:
            log.error("Engine error: %s", exc.message)
            return render_error(500)
        return render_error(exc.status_code, exc.message)

    for kind in UNREACHABLE:
        app.register_error_handler(kind, unavailable)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[str, int] | Response:
        if isinstance(getattr(exc, "original_exception", None), UNREACHABLE):
            return unavailable(exc.original_exception)  # type: ignore[attr-defined]
        code = exc.code or 500
        detail = None
        if code == 400 and "CSRF" in (exc.description or ""):
            detail = _("Le formulaire a expiré ou n'est pas valide. Rechargez la page et réessayez.")
        return render_error(code if code in MESSAGES else 500, detail)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> tuple[str, int]:
        db.session.rollback()
        log.error("Unhandled error", exc_info=exc)
        return render_error(500)
