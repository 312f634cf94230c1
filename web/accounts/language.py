"""The language of the pages: the header's switch (French or English, remembered by cookie and on
the account) and « Langue » on « Modifier mon profil » (saved on the account)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from forms.accounts import LanguageForm
from web.core.i18n import COOKIE, COOKIE_MAX_AGE, _, in_language, language_of
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
    _remember(response, code)
    if current_user.is_authenticated:
        current_user.langue = code  # committed with the request (web/core/transaction.py)
    return response


def _remember(response: Response, code: str) -> None:
    response.set_cookie(
        COOKIE, code, max_age=COOKIE_MAX_AGE, samesite="Lax", secure=request.is_secure, httponly=True
    )


@bp.post("/profil/langue")
@login_required
def edit_language() -> Response | tuple[str, int]:
    """« Langue » on « Modifier mon profil »: saved on the account (pages and mails), and in the
    cookie for the pages seen after logging out."""
    form = LanguageForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        return render_template("accounts/profile.html", language_form=form), 400
    code = language_of(form.langue.data) or "fr"
    current_user.langue = code  # committed with the request (web/core/transaction.py)
    with in_language(code):  # the next page is in the chosen language: so is its message
        flash(_("La langue de votre espace est enregistrée."), "success")
    response = redirect(url_for("accounts.profile"))
    _remember(response, code)
    return response
