"""« Supprimer le brouillon »: the family discards a démarche it started but never sent."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from engine import api
from web.core.access import family_required
from web.core.i18n import _, gettext
from web.extensions import db

from . import bp


@bp.post("/mes-demandes/<int:instance_id>/supprimer-brouillon")
@family_required
def discard_draft(instance_id: int) -> Response:
    if not FlaskForm().validate_on_submit():
        abort(400)
    title = api.discard_draft(db.session(), instance_id, current_user)
    flash(
        _(
            "Le brouillon « %(title)s » est supprimé : rien de ce que vous aviez saisi n'est gardé.",
            title=gettext(title),
        ),
        "success",
    )
    return redirect(url_for("demarches.my_requests"))
