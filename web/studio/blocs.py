"""« Ajouter un bloc réutilisable »: a building block (ask-for-information loop, reminder/escalation,
notify the family) inserted into an existing draft, around the agents' task the analyst picks."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, url_for
from flask_login import current_user
from wtforms import SelectChoice

from engine import api
from forms.form_editor import BlockForm
from web.core.i18n import _
from web.extensions import db

from . import bp, building
from .helpers import analyst_required


@bp.route("/<key>/blocs", methods=["GET", "POST"])
@analyst_required
def insert_block(key: str) -> Response | tuple[str, int]:
    session = db.session()
    places = api.block_places(building.working_xml(session, current_user.id, key))
    form = BlockForm()
    form.block.choices = [SelectChoice("", _("— Choisissez —"))] + [
        SelectChoice(k, _(v)) for k, v in api.BLOCKS.items()
    ]
    form.task.choices = [SelectChoice("", _("— Choisissez —"))] + [
        SelectChoice(p.task_id, _("%(name)s (couloir « %(lane)s »)", name=p.name, lane=p.lane))
        for p in places
    ]
    problem = ""
    if form.validate_on_submit():
        try:
            building.insert_block(session, current_user.id, key, form.block.data, form.task.data)
        except api.BlockRefused as exc:
            problem = exc.message
            form.task.errors = [*form.task.errors, problem]
        else:
            flash(
                _(
                    "Bloc « %(block)s » inséré dans votre brouillon : vérifiez-le, puis publiez.",
                    block=_(api.BLOCKS[form.block.data]),
                ),
                "success",
            )
            return redirect(url_for("studio.demarche", key=key))
    status = 400 if form.errors or problem else 200
    page = render_template("studio/insert_block.html", key=key, form=form, places=places)
    return page, status
