"""Catalogue, start, « Mes demandes », the request page, its live state and « Annuler ma demande »."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from itsdangerous import BadSignature
from werkzeug.wrappers import Response
from wtforms import TextAreaField
from wtforms.validators import Length, Optional

from engine import api
from engine.api import InstanceStatus, InstanceView
from web.accounts.sessions import SEEN_AT
from web.core.access import family_required
from web.core.i18n import _, _l, gettext
from web.core.presentation import date_fr
from web.delais.estimates import estimate_for
from web.extensions import db
from web.tasks.receipt import receipt_for

from . import bp
from .catalogue import role_label, started_message

#: The request page asks for its state this often (web/static/js/live.js).
LIVE_POLL_SECONDS = 5
#: « Mes demandes » filters: ?etat=… → the statuses shown (None: every request).
FILTERS: dict[str, tuple[Any, frozenset[InstanceStatus] | None]] = {
    "en-cours": (_l("En cours"), frozenset({InstanceStatus.RUNNING, InstanceStatus.ERROR})),
    "terminees": (_l("Terminées"), frozenset({InstanceStatus.COMPLETED, InstanceStatus.CANCELLED})),
    "toutes": (_l("Toutes"), None),
}


class CancelForm(FlaskForm):
    motif = TextAreaField(
        _l("Motif (facultatif)"),
        description=_l("Le service verra ce motif dans l'historique de la demande."),
        validators=[
            Optional(),
            Length(max=1000, message=_l("Le motif ne doit pas dépasser 1000 caractères.")),
        ],
    )


@bp.get("/demarches")
def catalogue() -> str:
    """Every published démarche by rubrique: description, maximum duration, help, documents, start."""
    rubriques = api.catalogue_rubriques(db.session())
    return render_template("demarches/catalogue.html", rubriques=rubriques, form=FlaskForm())


@bp.post("/demarches/<key>/commencer")
@family_required
def start(key: str) -> Response:
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)
    # A double click (or the start form sent again) resumes the draft instead of a second request.
    instance, resumed = api.start_or_resume(db.session(), key, current_user)
    task_id = api.next_task_in(db.session(), current_user, instance.id)
    if task_id is not None:
        flash(started_message(instance, resumed), "info")
        return redirect(url_for("tasks.show", task_id=task_id))
    flash(_("Votre demande %(ref)s est enregistrée.", ref=instance.reference), "success")
    return redirect(url_for("demarches.show_request", instance_id=instance.id))


@bp.get("/mes-demandes")
@family_required
def my_requests() -> str:
    session_ = db.session()
    state = request.args.get("etat", "toutes")
    if state not in FILTERS:
        state = "toutes"
    statuses = FILTERS[state][1]
    family_drafts = api.drafts_for(session_, current_user.id)
    draft_ids = {draft.instance.id for draft in family_drafts}
    followed = {key for key, _ in api.demarche_choices(session_)}  # not the signup, not a reset
    instances = [
        instance
        for instance in api.instances_for(session_, current_user.id)
        if (statuses is None or instance.status in statuses)
        and instance.id not in draft_ids
        and instance.demarche_key in followed
    ]
    open_tasks = {t.instance_id: t for t in api.tasks_for(session_, current_user)}
    return render_template(
        "demarches/my_requests.html",
        instances=instances,
        drafts=family_drafts,
        discard_form=FlaskForm(),
        open_tasks=open_tasks,
        filters=FILTERS,
        state=state,
    )


def _request_page(instance: InstanceView, form: CancelForm, status: int = 200) -> tuple[str, int]:
    session_ = db.session()
    events = api.history(session_, instance)
    open_tasks = [t for t in api.tasks_for(session_, current_user) if t.instance_id == instance.id]
    page = render_template(
        "demarches/request.html",
        instance=instance,
        estimate=estimate_for(session_, instance),
        events=events,
        open_tasks=open_tasks,
        cancel_form=form,
        poll_seconds=LIVE_POLL_SECONDS,
        receipt=receipt_for(session_, instance),
    )
    return page, status


@bp.get("/mes-demandes/<int:instance_id>")
@family_required
def show_request(instance_id: int) -> tuple[str, int]:
    instance = api.get_instance(db.session(), instance_id, current_user)
    return _request_page(instance, CancelForm())


@bp.post("/mes-demandes/<int:instance_id>/annuler")
@family_required
def cancel_request(instance_id: int) -> Response | tuple[str, int]:
    """« Annuler ma demande »: the engine refuses another family's (404) or a finished request (409)."""
    session_ = db.session()
    instance = api.get_instance(session_, instance_id, current_user)
    form = CancelForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors or not form.errors:
            abort(400)
        return _request_page(instance, form, 400)
    api.cancel(session_, instance_id, current_user, form.motif.data)
    flash(_("Votre demande %(ref)s est annulée.", ref=instance.reference), "success")
    return redirect(url_for("demarches.show_request", instance_id=instance_id))


def _previous_seen_at() -> Any:
    """« Last seen » as the request's cookie had it, before the session hook refreshed it."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    cookie = request.cookies.get(app.config["SESSION_COOKIE_NAME"])
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    if not cookie or serializer is None:
        return None
    try:
        return serializer.loads(cookie).get(SEEN_AT)
    except BadSignature:  # not reached: Flask has just accepted this very cookie
        return None


@bp.get("/mes-demandes/<int:instance_id>/etat")
@family_required
def request_state(instance_id: int) -> Response:
    """The request's status and public timeline as JSON, polled by the request page (live.js).

    Polling is not user activity: « last seen » is put back as it was, so that an open request
    page does not keep an idle session alive (web/accounts/sessions.py).
    """
    previous = _previous_seen_at()
    if isinstance(previous, int):
        session[SEEN_AT] = previous
    session_ = db.session()
    instance = api.get_instance(session_, instance_id, current_user)
    events = [
        {
            "date": date_fr(event.created_at),
            "datetime": event.created_at.isoformat(),
            "type": event.event_type,
            "label": gettext(event.label) if event.label else event.label,
            "role": role_label(event.actor_role) or event.actor_role,
            "comment": event.comment,
        }
        for event in api.history(session_, instance)
    ]
    response = jsonify(
        status=instance.status,
        status_label=gettext(instance.status_label) if instance.status_label else instance.status_label,
        updated_at=instance.updated_at.isoformat(),
        running=instance.status == InstanceStatus.RUNNING,
        estimate=estimate_for(session_, instance),
        events=events,
    )
    response.headers["Cache-Control"] = "no-store"
    return response
