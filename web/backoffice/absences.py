"""« Mes absences »: an agent marks themself absent and says what becomes of their open tasks."""

from __future__ import annotations

from flask import abort, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from web.admin import absence_page
from web.core.access import staff_required

from . import bp


@bp.route("/absences", methods=["GET", "POST"])
@staff_required
def my_absences() -> Response | tuple[str, int]:
    return absence_page.handle(
        current_user._get_current_object(),
        back=url_for("backoffice.my_absences"),
        template_context={
            "own": True,
            "return_url": url_for("backoffice.my_return"),
        },
    )


@bp.post("/absences/retour")
@staff_required
def my_return() -> Response:
    """« Je suis de retour »."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    return absence_page.back_to_work(current_user._get_current_object(), url_for("backoffice.my_absences"))
