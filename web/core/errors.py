"""French error pages; engine errors become their status code, never a traceback."""

from __future__ import annotations

import logging

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException

from engine.errors import EngineError
from web.extensions import db

log = logging.getLogger(__name__)

MESSAGES = {
    400: (
        "Requête invalide",
        "La requête n'a pas pu être comprise. Revenez à la page précédente et réessayez.",
    ),
    403: ("Accès refusé", "Vous n'avez pas le droit d'accéder à cette page."),
    404: ("Page introuvable", "La page demandée n'existe pas ou n'est plus disponible."),
    405: ("Méthode non autorisée", "Cette action n'est pas possible sur cette page."),
    409: ("Conflit", "Cette demande a changé depuis l'ouverture de la page."),
    413: ("Fichier trop volumineux", "Le fichier ou le formulaire envoyé dépasse la taille autorisée."),
    500: (
        "Erreur technique",
        "Une erreur technique est survenue. Vos données déjà enregistrées sont conservées ; "
        "réessayez dans quelques instants.",
    ),
}


def render_error(code: int, detail: str | None = None) -> tuple[str, int]:
    title, message = MESSAGES.get(code, MESSAGES[500])
    return render_template("errors/error.html", code=code, title=title, message=detail or message), code


def register(app: Flask) -> None:
    @app.errorhandler(EngineError)
    def engine_error(exc: EngineError) -> tuple[str, int]:
        db.session.rollback()
        if exc.status_code >= 500:
            log.error("Engine error: %s", exc.message)
            return render_error(500)
        return render_error(exc.status_code, exc.message)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[str, int]:
        code = exc.code or 500
        detail = None
        if code == 400 and "CSRF" in (exc.description or ""):
            detail = "Le formulaire a expiré ou n'est pas valide. Rechargez la page et réessayez."
        return render_error(code if code in MESSAGES else 500, detail)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> tuple[str, int]:
        db.session.rollback()
        log.error("Unhandled error", exc_info=exc)
        return render_error(500)
