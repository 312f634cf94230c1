"""The former request page (now the dossier) and the service keys (the queues are in queues.py)."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from engine import api
from web.core.access import staff_required
from web.core.i18n import _
from web.extensions import db

from . import bp


@bp.get("/demandes/<int:instance_id>")
@staff_required
def show_request(instance_id: int) -> Response:
    """The former request page (linked from reminder and escalation mails): now the dossier.

    Access is checked first, as before: another service's request is a 404.
    """
    instance = api.get_instance(db.session(), instance_id, current_user)
    return redirect(url_for("backoffice.dossier", instance_id=instance.id))


@bp.route("/cles", methods=["GET", "POST"])
@staff_required
def service_keys() -> str:
    """Issue a « clé espace citoyens » for a family known to one of the agent's services."""
    from wtforms import SelectChoice

    from forms.accounts import KEY_SERVICES, ServiceKeyForm
    from web.accounts.signup import issue_service_key

    form = ServiceKeyForm()
    # The services whose key signup asks for, among the agent's own services.
    form.service.choices = [SelectChoice(name, name) for name in KEY_SERVICES if name in current_user.groups]
    if request.method == "GET" and request.args.get("famille"):
        form.famille.data = request.args["famille"][:200]
    issued = None
    if form.validate_on_submit():
        from web.famille.services import find_record_for_key

        record = find_record_for_key(db.session(), form.service.data, form.famille.data)
        if record is None:
            form.famille.errors.append(
                _(
                    "Aucun dossier famille de ce service ne porte cet identifiant ou ce nom : "
                    "vérifiez-le dans « Dossiers famille » (ou importez le dossier d'abord)."
                )
            )
        else:
            raw = issue_service_key(db.session(), record=record, issued_by_id=current_user.id)
            issued = {"key": raw, "family": record.label, "service": record.service}
    return render_template(
        "backoffice/service_keys.html", form=form, issued=issued, key_services=KEY_SERVICES
    )
