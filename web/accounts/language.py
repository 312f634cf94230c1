"""The header's language switch: French or English, remembered by cookie and on the account."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from web.core.i18n import COOKIE, COOKIE_MAX_AGE, _, language_of
from web.core.redirects import returns_to, safe_target_or

from . import bp


@bp.post("/langue")
@returns_to("retour")
def set_language() -> Response:
    """Switch the language, then back to the page the visitor was on."""
    target = safe_target_or(request.form.get("retour"), url_for("accounts.home"))
    code = language_of(request.form.get("langue"))
    if code is None:
        flash(_("Cette langue n'est pas proposée : choisissez le français ou l'anglais."), "error")
        return redirect(target)
    response = redirect(target)
    response.set_cookie(
        COOKIE, code, max_age=COOKIE_MAX_AGE, samesite="Lax", secure=request.is_secure, httponly=True
    )
    if current_user.is_authenticated:
        current_user.langue = code  # committed with the request (web/core/transaction.py)
    return response
