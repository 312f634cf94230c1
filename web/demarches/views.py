"""Catalogue, start, « Mes demandes » and the request page."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from engine import api
from web.core.access import family_required
from web.core.transaction import commit
from web.extensions import db

from . import bp


@bp.get("/demarches")
def catalogue() -> str:
    """Every published démarche, with its maximum duration and a start button."""
    definitions = api.catalogue(db.session())
    return render_template("demarches/catalogue.html", definitions=definitions, form=FlaskForm())


@bp.post("/demarches/<key>/commencer")
@family_required
def start(key: str) -> Response:
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)
    instance = api.start(db.session(), key, current_user)
    commit()
    tasks = [t for t in api.tasks_for(db.session(), current_user) if t.instance_id == instance.id]
    if tasks:
        return redirect(url_for("tasks.show", task_id=tasks[0].id))
    flash(f"Votre demande {instance.reference} est enregistrée.", "success")
    return redirect(url_for("demarches.show_request", instance_id=instance.id))


@bp.get("/mes-demandes")
@family_required
def my_requests() -> str:
    session = db.session()
    instances = api.instances_for(session, current_user.id)
    open_tasks = {t.instance_id: t for t in api.tasks_for(session, current_user)}
    return render_template("demarches/my_requests.html", instances=instances, open_tasks=open_tasks)


@bp.get("/mes-demandes/<int:instance_id>")
@family_required
def show_request(instance_id: int) -> str:
    session = db.session()
    instance = api.get_instance(session, instance_id, current_user)
    events = api.history(session, instance)
    open_tasks = [t for t in api.tasks_for(session, current_user) if t.instance_id == instance.id]
    return render_template("demarches/request.html", instance=instance, events=events, open_tasks=open_tasks)
