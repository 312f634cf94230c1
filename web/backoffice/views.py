"""The request page and the service keys (the queues are in queues.py)."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from engine import api
from web.accounts.models import User
from web.core.access import staff_required
from web.extensions import db

from . import bp


@bp.get("/demandes/<int:instance_id>")
@staff_required
def show_request(instance_id: int) -> str:
    session = db.session()
    instance = api.get_instance(session, instance_id, current_user)
    requester = session.get(User, instance.requester_id)
    events = api.history(session, instance, include_internal=True)
    return render_template("backoffice/request.html", instance=instance, events=events, requester=requester)


@bp.route("/cles", methods=["GET", "POST"])
@staff_required
def service_keys() -> str:
    """Issue a « clé espace citoyens » for a family known to one of the agent's services."""
    from wtforms import SelectChoice

    from forms.accounts import ServiceKeyForm
    from web.accounts.signup import issue_service_key
    from web.core.transaction import commit

    form = ServiceKeyForm()
    form.service.choices = [SelectChoice(name, name) for name in sorted(current_user.groups)]
    issued = None
    if form.validate_on_submit():
        raw, record = issue_service_key(
            db.session(),
            service=form.service.data,
            family_name=form.famille.data,
            issued_by_id=current_user.id,
        )
        commit()
        issued = {"key": raw, "family": record.name, "service": record.service}
    return render_template("backoffice/service_keys.html", form=form, issued=issued)
