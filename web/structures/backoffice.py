"""Back office of the facilities: agents of the « Vie des quartiers » group create, edit and archive
them, with their weekly hours and exceptional closures."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import phonenumbers
from flask import abort, current_app, flash, has_request_context, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from forms.structures import DAY_FIELDS, ClosureForm, FacilityForm, format_ranges
from web.core.i18n import _
from web.extensions import db

from . import bp, services
from .models import KIND_LABELS, Facility

F = TypeVar("F", bound=Callable[..., Any])


def managers_group() -> str:
    """The agent group whose members manage the facilities (configuration STRUCTURES_GROUP)."""
    return str(current_app.config["STRUCTURES_GROUP"])


def can_manage(user: Any) -> bool:
    """Whether `user` (None outside a request, e.g. a mail rendered by the engine) manages facilities."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_staff and managers_group() in user.groups)


def manager_required(view: F) -> F:
    """Members of the facilities' group only: families and other agents get a 403."""

    @wraps(view)
    @login_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not can_manage(current_user):
            abort(403)
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


@bp.app_context_processor
def inject_can_manage() -> dict[str, Any]:
    return {"can_manage_facilities": has_request_context() and can_manage(current_user)}


@bp.app_template_filter("phone_fr")
def phone_fr(value: str | None) -> str:
    """+33139000000 → « 01 39 00 00 00 » (international format for a foreign number)."""
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, "FR")
    except phonenumbers.NumberParseException:
        return value
    fmt = phonenumbers.PhoneNumberFormat
    return phonenumbers.format_number(
        number, fmt.NATIONAL if number.country_code == 33 else fmt.INTERNATIONAL
    )


def _facility_or_404(facility_id: int) -> Facility:
    facility = db.session().get(Facility, facility_id)
    if facility is None:
        abort(404)
    return facility


def _facility_form(facility: Facility | None = None, *, stored: bool = False) -> FacilityForm:
    """The facility's form: what was posted, or (GET, or `stored`) the facility's stored values."""
    if facility is not None and (stored or not FacilityForm().is_submitted()):
        form = FacilityForm(formdata=None, obj=facility, kind=facility.kind.value)
        form.phone.data = phone_fr(facility.phone)
        for weekday, name in enumerate(DAY_FIELDS):
            getattr(form, name).data = format_ranges(services.ranges_of_day(facility, weekday))
    else:
        form = FacilityForm()
    form.kind.choices = list(KIND_LABELS.items())
    return form


def _data(form: FacilityForm) -> services.FacilityData:
    return services.FacilityData(
        name=form.name.data,
        kind=form.kind.data,
        address=form.address.data,
        postal_code=form.postal_code.data,
        commune=form.commune.data,
        area=form.area.data or "",
        phone=form.phone.data,
        email=form.email.data,
        website=form.website.data,
        description=form.description.data or "",
        services=form.services.data or "",
        openings=form.opening_ranges(),
    )


@bp.get("/agents/structures")
@manager_required
def manage() -> str:
    """Every facility, archived ones too, for the agents who manage them."""
    facilities = services.search(db.session(), archived=True)
    return render_template("structures/manage.html", facilities=facilities, form=FlaskForm())


@bp.route("/agents/structures/nouvelle", methods=["GET", "POST"])
@manager_required
def create() -> Response | tuple[str, int]:
    form = _facility_form()
    if form.validate_on_submit():
        facility = services.save_facility(db.session(), _data(form))
        current_app.logger.info("facility %s created by %s", facility.id, current_user.username)
        flash(_("La structure « %(name)s » est créée.", name=facility.name), "success")
        return redirect(url_for("structures.edit", facility_id=facility.id))
    return _edit_page(None, form, ClosureForm(formdata=None))


def _edit_page(facility: Facility | None, form: FacilityForm, closure_form: ClosureForm) -> tuple[str, int]:
    status = 400 if form.errors or closure_form.errors else 200
    closures = [(c, services.closure_text(c)) for c in facility.closures] if facility else []
    page = render_template(
        "structures/edit.html",
        facility=facility,
        form=form,
        closure_form=closure_form,
        closures=closures,
        day_fields=DAY_FIELDS,
        action_form=FlaskForm(),
    )
    return page, status


@bp.route("/agents/structures/<int:facility_id>/modifier", methods=["GET", "POST"])
@manager_required
def edit(facility_id: int) -> Response | tuple[str, int]:
    facility = _facility_or_404(facility_id)
    form = _facility_form(facility)
    if form.validate_on_submit():
        services.save_facility(db.session(), _data(form), facility)
        current_app.logger.info("facility %s edited by %s", facility.id, current_user.username)
        flash(_("Les informations de « %(name)s » sont enregistrées.", name=facility.name), "success")
        return redirect(url_for("structures.edit", facility_id=facility.id))
    return _edit_page(facility, form, ClosureForm(formdata=None))


@bp.post("/agents/structures/<int:facility_id>/fermetures")
@manager_required
def add_closure(facility_id: int) -> Response | tuple[str, int]:
    facility = _facility_or_404(facility_id)
    closure_form = ClosureForm()
    if not closure_form.validate_on_submit():
        if closure_form.csrf_token.errors:
            abort(400)
        return _edit_page(facility, _facility_form(facility, stored=True), closure_form)
    closure = services.add_closure(
        db.session(),
        facility,
        closure_form.start_date.data,
        closure_form.end_date.data,
        closure_form.reason.data,
    )
    flash(_("%(closure)s : fermeture ajoutée.", closure=services.closure_text(closure)), "success")
    return redirect(url_for("structures.edit", facility_id=facility.id) + "#fermetures")


@bp.post("/agents/structures/<int:facility_id>/fermetures/<int:closure_id>/supprimer")
@manager_required
def remove_closure(facility_id: int, closure_id: int) -> Response:
    facility = _facility_or_404(facility_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    if not services.remove_closure(db.session(), facility, closure_id):
        abort(404)
    flash(_("La fermeture exceptionnelle est supprimée."), "success")
    return redirect(url_for("structures.edit", facility_id=facility.id) + "#fermetures")


@bp.post("/agents/structures/<int:facility_id>/archiver")
@manager_required
def archive(facility_id: int) -> Response:
    """Archive a facility (families no longer see it) or, when it is archived, restore it."""
    facility = _facility_or_404(facility_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    archived = facility.archived_at is None
    services.set_archived(db.session(), facility, archived)
    current_app.logger.info(
        "facility %s %s by %s", facility.id, "archived" if archived else "restored", current_user.username
    )
    if archived:
        flash(_("« %(name)s » est archivée : les familles ne la voient plus.", name=facility.name), "success")
    else:
        flash(_("« %(name)s » est de nouveau visible par les familles.", name=facility.name), "success")
    return redirect(url_for("structures.manage"))
