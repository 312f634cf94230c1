"""The families' pages: the activities open to booking, an activity's page with its booking form, the
family's bookings (outcome, rank, draw date) and the cancellation."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from engine import api
from engine.db import utcnow
from forms.activites import BookingForm, booking_form
from forms.documents import document_fields
from web.core.access import family_required
from web.core.i18n import _, local_date, money
from web.extensions import db
from web.famille.services import children_of

from . import bp, journal_texts, rules
from .allocation import waiting_rank
from .booking import (
    BookingError,
    RequestResult,
    demarche_data,
    is_drawn,
    request_booking,
    window_end,
    window_state,
)
from .documents import attach_documents, missing_documents
from .manage import NotFound, bookings_of, cancel_by_family, cancel_deadline, events_of
from .models import ACTIVE, STATUS_LABELS, ActivityBooking, ActivityDraw, ActivityOffer, kind_label

DEMARCHE = "inscription_activite"


def _offers() -> list[ActivityOffer]:
    return list(db.session().scalars(select(ActivityOffer).where(ActivityOffer.closed_at.is_(None))))


def _state(offer: ActivityOffer) -> dict[str, Any]:
    session = db.session()
    drawn = is_drawn(session, offer.activity_id)
    end = window_end(offer)
    return {
        "state": window_state(offer, utcnow(), drawn),
        "opens": local_date(offer.opens_at) if offer.opens_at else None,
        "closes": local_date(offer.closes_at) if offer.closes_at else None,
        "draw_at": local_date(end) if end else None,
        "drawn": drawn,
    }


@bp.get("/activites")
@family_required
def index() -> str:
    offers = sorted(_offers(), key=lambda o: o.activity.name)
    return render_template("activites/index.html", offers=[(o, _state(o)) for o in offers])


def _offer_or_404(activity_id: int) -> ActivityOffer:
    offer = db.session().get(ActivityOffer, activity_id)
    if offer is None:
        abort(404)
    return offer


def _form(offer: ActivityOffer) -> BookingForm:
    form = booking_form(offer.document_list)
    form.enfant.choices = [
        SelectChoice(str(c.id), c.full_name) for c in children_of(db.session(), current_user)
    ]
    form.sessions.choices = [SelectChoice(str(s.id), s.label) for s in offer.sessions]
    return form


def _sessions_shown(offer: ActivityOffer) -> list[dict[str, Any]]:
    shown = []
    for s in offer.sessions:
        days = rules.days_of(s.starts_on, s.ends_on, s.weekday_list)
        shown.append({"session": s, "days": len(days), "free": max(s.places - s.allocated, 0)})
    return shown


def _start_demarche(offer: ActivityOffer, result: RequestResult, form: BookingForm) -> None:
    """The démarche follows the request: validation by the service when asked, confirmation message."""
    session = db.session()
    data = demarche_data(offer, result)
    instance = api.start(session, DEMARCHE, current_user, data)
    attach_documents(session, instance.id, form, current_user)
    for booking in session.scalars(select(ActivityBooking).where(ActivityBooking.request_ref == result.ref)):
        booking.instance_id = instance.id
    session.flush()


@bp.route("/activites/<int:activity_id>", methods=["GET", "POST"])
@family_required
def show(activity_id: int) -> str | Response | tuple[str, int]:
    offer = _offer_or_404(activity_id)
    form = _form(offer)
    error = None
    if form.validate_on_submit():
        try:
            documents_ok = bool(form.documents.data) or not missing_documents(offer, form)
            result = request_booking(
                db.session(), current_user, offer, form.enfant.data, form.sessions.data, documents_ok
            )
        except BookingError as refused:
            error = str(refused)
        else:
            _start_demarche(offer, result, form)
            flash(
                _(
                    "Votre demande %(ref)s est enregistrée. %(summary)s",
                    ref=result.ref,
                    summary=result.summary(),
                ),
                "success",
            )
            return redirect(url_for("activites.mine"))
    elif request.method == "POST":
        error = next(
            (
                _("%(field)s : %(error)s", field=f.label.text, error=f.errors[0])
                for f in document_fields(form)
                if f.errors
            ),
            _("Choisissez un enfant et au moins une session."),
        )
    page = render_template(
        "activites/show.html", offer=offer, info=_state(offer), form=form, error=error,
        sessions=_sessions_shown(offer), price_rule=offer.price_rule,
        document_fields=document_fields(form),
        criteria=[str(rules.CRITERIA_LABELS[name]) for name in rules.parse_criteria(offer.draw_criteria)],
    )  # fmt: skip
    return (page, 422) if error else page


@bp.get("/activites/mes-inscriptions")
@family_required
def mine() -> str:
    session = db.session()
    bookings = bookings_of(session, current_user)
    rows = []
    for b in bookings:
        offer = session.get(ActivityOffer, b.activity_id)
        end = window_end(offer) if offer else None
        rows.append(
            {
                "booking": b,
                "label": STATUS_LABELS[b.status],
                "rank": waiting_rank(session, b),
                "draw_at": local_date(end) if end else None,
                "cancellable": b.status in ACTIVE and offer is not None
                and utcnow().date() <= cancel_deadline(b, offer),
                "deadline": cancel_deadline(b, offer) if offer else None,
                "price": money(b.price_cents),
                "detail": rules.detail_shown(b.price_detail),
            }
        )  # fmt: skip
    events = events_of(session, [b.id for b in bookings])
    return render_template(
        "activites/mine.html",
        rows=rows,
        events=events,
        action_form=FlaskForm(),
        journal_text=journal_texts.shown,
    )


@bp.post("/activites/mes-inscriptions/<int:booking_id>/annuler")
@family_required
def cancel(booking_id: int) -> Response:
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        booking = cancel_by_family(db.session(), current_user, booking_id)
    except NotFound:
        abort(404)
    except BookingError as refused:
        flash(str(refused), "error")
        return redirect(url_for("activites.mine"))
    flash(
        _(
            "L'inscription de %(child)s à « %(session)s » est annulée.",
            child=booking.child.first_name,
            session=booking.session.label,
        ),
        "success",
    )
    return redirect(url_for("activites.mine"))


@bp.get("/activites/<int:activity_id>/tirage")
@family_required
def draw(activity_id: int) -> str:
    """The draw's record, published: seed, rule, order (request references only)."""
    session = db.session()
    offer = _offer_or_404(activity_id)
    found = session.scalars(select(ActivityDraw).where(ActivityDraw.activity_id == activity_id)).first()
    if found is None:
        abort(404)
    import json

    return render_template(
        "activites/draw.html",
        offer=offer,
        draw=found,
        order=json.loads(found.result),
        rule=rules.draw_rule_shown(found.rule),
    )


@bp.app_template_filter("activity_kind")
def activity_kind(kind: str | None) -> str:
    """`{{ activity.kind | activity_kind }}`: « centre de loisirs » / « holiday club »."""
    return kind_label(kind)
