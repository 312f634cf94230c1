"""The agents change a session: edit it (never below the places given), close it (no more requests;
the bookings made stay), delete it (only when nobody ever booked it: the bookings' history stays)."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as WResponse

from forms.activites import SessionForm
from web.core.access import staff_required
from web.core.i18n import _, ngettext
from web.extensions import db

from . import bp
from .allocation import promote
from .backoffice import _by, _session, session_page
from .models import ActivityBooking, ActivitySession
from .notices import tell_promoted


class SessionChangeRefused(ValueError):
    """The change cannot be made; the message is a sentence for the agent (their language), about `field`."""

    def __init__(self, message: str, field: str = "places") -> None:
        super().__init__(message)
        self.field = field


def booking_count(session: Session, session_id: int) -> int:
    return int(session.scalar(select(func.count()).where(ActivityBooking.session_id == session_id)) or 0)


def edit_session(session: Session, found: ActivitySession, form: SessionForm) -> int:
    """Write the form into the session; extra places go to the waiting list (the number promoted)."""
    if form.ends_on.data < form.starts_on.data:
        raise SessionChangeRefused(_("Le dernier jour est avant le premier jour."), "ends_on")
    if form.places.data < found.allocated:
        raise SessionChangeRefused(
            ngettext(
                "La session a déjà %(num)d place attribuée : indiquez au moins %(num)d place, "
                "ou déplacez l'enfant vers une autre session.",
                "La session a déjà %(num)d places attribuées : indiquez au moins %(num)d places, "
                "ou déplacez des enfants vers une autre session.",
                found.allocated,
            )
        )
    found.label, found.starts_on, found.ends_on = form.label.data, form.starts_on.data, form.ends_on.data
    found.weekdays = ",".join(sorted(form.weekdays.data))
    found.places = form.places.data
    session.flush()
    promoted = promote(session, found.id) if not found.closed else []
    tell_promoted(session, promoted)
    return len(promoted)


def delete_session(session: Session, found: ActivitySession) -> None:
    count = booking_count(session, found.id)
    if count:
        raise SessionChangeRefused(
            ngettext(
                "La session « %(session)s » ne peut pas être supprimée : elle a %(num)d inscription, "
                "même annulée, dont l'historique doit être gardé. Clôturez-la plutôt : elle ne prendra "
                "plus de demande.",
                "La session « %(session)s » ne peut pas être supprimée : elle a %(num)d inscriptions, "
                "même annulées, dont l'historique doit être gardé. Clôturez-la plutôt : elle ne prendra "
                "plus de demande.",
                count,
                session=found.label,
            )
        )
    session.delete(found)
    session.flush()


def _to_session_page(activity_id: int, session_id: int) -> WResponse:
    return redirect(url_for("activites.session_page", activity_id=activity_id, session_id=session_id))


@bp.post("/agents/activites/<int:activity_id>/sessions/<int:session_id>/modifier")
@staff_required
def update_session(activity_id: int, session_id: int) -> WResponse | str | tuple[str, int]:
    found = _session(activity_id, session_id)[1]
    form = SessionForm(prefix="s")
    if form.validate_on_submit():
        try:
            promoted = edit_session(db.session(), found, form)
        except SessionChangeRefused as refused:
            form[refused.field].errors.append(str(refused))
        else:
            done = _("La session « %(session)s » est modifiée.", session=found.label)
            if promoted:
                done += " " + ngettext(
                    "%(num)d enfant de la liste d'attente a reçu une place.",
                    "%(num)d enfants de la liste d'attente ont reçu une place.",
                    promoted,
                )
            flash(done, "success")
            return _to_session_page(activity_id, session_id)
    db.session().expire(found)
    return session_page(activity_id, session_id, edit_form=form), 422


@bp.post("/agents/activites/<int:activity_id>/sessions/<int:session_id>/cloturer")
@staff_required
def close_session(activity_id: int, session_id: int) -> WResponse:
    found = _session(activity_id, session_id)[1]
    if not FlaskForm().validate_on_submit():
        abort(400)
    found.closed = True
    db.session().flush()
    flash(
        _(
            "La session « %(session)s » est close (%(by)s) : elle ne prend plus de demande ; "
            "les inscriptions faites restent.",
            session=found.label,
            by=_by(),
        ),
        "success",
    )
    return _to_session_page(activity_id, session_id)


@bp.post("/agents/activites/<int:activity_id>/sessions/<int:session_id>/supprimer")
@staff_required
def remove_session(activity_id: int, session_id: int) -> WResponse:
    found = _session(activity_id, session_id)[1]
    if not FlaskForm().validate_on_submit():
        abort(400)
    label = found.label
    try:
        delete_session(db.session(), found)
    except SessionChangeRefused as refused:
        flash(str(refused), "error")
        return _to_session_page(activity_id, session_id)
    flash(_("La session « %(session)s » est supprimée.", session=label), "success")
    return redirect(url_for("activites.settings", activity_id=activity_id) + "#sessions-titre")
