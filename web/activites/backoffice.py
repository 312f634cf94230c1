"""The agents' pages of « Activités » (agents of the activity's service): settings, sessions, lists,
attendance exports, moving a child, closing; the draw's record."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    flash,
    has_request_context,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import Select, bindparam, select
from werkzeug.wrappers import Response as WResponse
from wtforms import SelectChoice

from engine import api
from forms.activites import MoveForm, OfferForm, SessionForm
from web.core.access import staff_required
from web.core.i18n import _, local_date
from web.core.spreadsheets import download, stream_csv, stream_ods
from web.extensions import db

from . import bp, rules
from .booking import BookingError, window_end
from .documents import request_documents
from .exports import attendance_pdf, headers, rows
from .manage import agent_activities, close, move, session_lists
from .models import ActivityDraw, ActivityOffer, ActivitySession, PriceRule
from .settings import apply_offer, offer_defaults


def _by() -> str:
    return current_user.display_name


@bp.get("/agents/activites")
@staff_required
def manage() -> str:
    return render_template("activites/agents/index.html", rows=agent_activities(db.session(), current_user))


def _offer(activity_id: int, create: bool = False) -> ActivityOffer:
    """The activity's booking settings; an activity of another service is a 404. Without settings yet:
    new ones, added to the session only when `create` (a POST), so a GET writes nothing."""
    session = db.session()
    from web.famille.models import Activity

    activity = session.get(Activity, activity_id)
    if activity is None or activity.service not in set(current_user.groups):
        abort(404)
    offer = session.get(ActivityOffer, activity_id)
    if offer is None:
        offer = ActivityOffer(
            activity_id=activity_id,
            activity=activity,
            price_rule=PriceRule.FLAT,
            price_cents=0,
            fair_minutes=0,
            cancel_days=7,
            validation_required=False,
        )
        if create:
            session.add(offer)
    return offer


@bp.route("/agents/activites/<int:activity_id>", methods=["GET", "POST"])
@staff_required
def settings(activity_id: int) -> str | WResponse | tuple[str, int]:
    offer = _offer(activity_id, create=request.method == "POST")
    form = OfferForm(data=offer_defaults(offer) if request.method == "GET" else None)
    lanes = api.user_task_lanes(db.session(), "inscription_activite")
    if form.validate_on_submit() and apply_offer(offer, form, lanes):
        db.session().flush()
        flash(_("Les réglages de l'activité sont enregistrés."), "success")
        return redirect(url_for("activites.settings", activity_id=activity_id))
    session = db.session()
    draw = session.scalars(select(ActivityDraw).where(ActivityDraw.activity_id == activity_id)).first()
    lists = [(s, *session_lists(session, s.id)) for s in offer.sessions]
    end = window_end(offer) if offer.fair_minutes else None
    page = render_template(
        "activites/agents/settings.html",
        offer=offer,
        form=form,
        session_form=SessionForm(prefix="s"),
        lists=lists,
        draw=draw,
        draw_at=local_date(end) if end else None,
        action_form=FlaskForm(),
        order=json.loads(draw.result) if draw else [],
        draw_rule=rules.draw_rule_shown(draw.rule) if draw else "",
    )
    return (page, 422) if form.errors else page


@bp.post("/agents/activites/<int:activity_id>/sessions")
@staff_required
def add_session(activity_id: int) -> WResponse | tuple[str, int]:
    offer = _offer(activity_id, create=True)
    form = SessionForm(prefix="s")
    if form.validate_on_submit():
        if form.ends_on.data < form.starts_on.data:
            form.ends_on.errors.append(_("Le dernier jour est avant le premier jour."))
        else:
            db.session().add(
                ActivitySession(
                    activity_id=offer.activity_id,
                    label=form.label.data,
                    starts_on=form.starts_on.data,
                    ends_on=form.ends_on.data,
                    weekdays=",".join(sorted(form.weekdays.data)),
                    places=form.places.data,
                    allocated=0,
                    tickets=0,
                    closed=False,
                )
            )
            flash(_("La session « %(session)s » est ajoutée.", session=form.label.data), "success")
            return redirect(url_for("activites.settings", activity_id=activity_id))
    return render_template("activites/agents/session_form.html", offer=offer, form=form), 422


@bp.get("/agents/activites/<int:activity_id>/sessions/<int:session_id>")
@staff_required
def session_page(activity_id: int, session_id: int, edit_form: SessionForm | None = None) -> str:
    offer, found = _session(activity_id, session_id)
    placed, waiting, drawing = session_lists(db.session(), found.id)
    if edit_form is None:
        edit_form = SessionForm(prefix="s", formdata=None, data=_session_data(found))
    form = MoveForm()
    form.session.choices = [SelectChoice(str(s.id), s.label) for s in offer.sessions if s.id != found.id]
    return render_template(
        "activites/agents/session.html",
        offer=offer,
        s=found,
        placed=placed,
        waiting=waiting,
        drawing=drawing,
        move_form=form,
        edit_form=edit_form,
        action_form=FlaskForm(),
        documents=request_documents(db.session(), offer, [*placed, *waiting, *drawing]),
    )


def _session_data(found: ActivitySession) -> dict[str, Any]:
    return {
        "label": found.label,
        "starts_on": found.starts_on,
        "ends_on": found.ends_on,
        "weekdays": found.weekday_list and [str(d) for d in found.weekday_list],
        "places": found.places,
    }


def _session(activity_id: int, session_id: int) -> tuple[ActivityOffer, ActivitySession]:
    offer = _offer(activity_id)
    found = db.session().get(ActivitySession, session_id)
    if found is None or found.activity_id != offer.activity_id:
        abort(404)
    return offer, found


@bp.get("/agents/activites/<int:activity_id>/sessions/<int:session_id>/presence.<fmt>")
@staff_required
def attendance(activity_id: int, session_id: int, fmt: str) -> Any:
    offer, found = _session(activity_id, session_id)
    placed = session_lists(db.session(), found.id)[0]
    name = f"presence-{offer.activity.external_id}-{found.id}"
    if fmt == "pdf":
        town = current_app.config.get("TOWN_NAME", "")
        body = attendance_pdf(offer.activity.name, town, found, placed)
        return Response(
            body,
            mimetype="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'},
        )
    if fmt == "csv":
        return download(stream_csv(headers(), rows(placed)), name, "csv")
    if fmt == "ods":
        return download(stream_ods(_("Présence"), headers(), rows(placed)), name, "ods")
    abort(404)


@bp.post("/agents/activites/<int:activity_id>/deplacer")
@staff_required
def move_child(activity_id: int) -> WResponse:
    offer = _offer(activity_id)
    form = MoveForm()
    back = request.form.get("depuis", "")
    if not form.validate_on_submit() or not str(form.session.data).isdigit():
        flash(_("Choisissez la nouvelle session."), "error")
        return redirect(url_for("activites.settings", activity_id=activity_id))
    try:
        moved = move(db.session(), offer, int(form.inscription.data), int(form.session.data), _by())
    except BookingError as refused:
        flash(str(refused), "error")
        db.session().rollback()
        return redirect(
            url_for("activites.session_page", activity_id=activity_id, session_id=int(back))
            if back.isdigit()
            else url_for("activites.settings", activity_id=activity_id)
        )
    flash(
        _(
            "%(child)s est déplacé(e) vers « %(session)s ».",
            child=moved.child.first_name,
            session=moved.session.label,
        ),
        "success",
    )
    return redirect(url_for("activites.session_page", activity_id=activity_id, session_id=moved.session_id))


@bp.post("/agents/activites/<int:activity_id>/cloturer")
@staff_required
def close_activity(activity_id: int) -> WResponse:
    offer = _offer(activity_id, create=True)
    if not FlaskForm().validate_on_submit():
        abort(400)
    close(db.session(), offer, _by())
    flash(
        _(
            "L'activité « %(activity)s » est close : plus aucune demande n'est reçue.",
            activity=offer.activity.name,
        ),
        "success",
    )
    return redirect(url_for("activites.settings", activity_id=activity_id))


@bp.app_context_processor
def inject_can_manage_activities() -> dict[str, Any]:
    """The agents' menu shows « Activités » to the agents of a service that runs one."""
    if not has_request_context() or not current_user.is_authenticated or not current_user.is_staff:
        return {"can_manage_activities": False}
    groups = set(current_user.groups)
    if not groups:
        return {"can_manage_activities": False}
    found = db.session().scalar(_any_activity_of(), {"services": sorted(groups)})
    return {"can_manage_activities": found is not None}


@cache
def _any_activity_of() -> Select[tuple[int]]:
    """Built once (on every staff page, building it and its cache key cost more than SQLite's answer)."""
    from web.famille.models import Activity

    return select(Activity.id).where(Activity.service.in_(bindparam("services", expanding=True))).limit(1)
