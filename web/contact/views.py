"""The public contact page (seed guide §6). Logged-in families file « Signaler un problème », a démarche
started through the usual `demarches.start` (so it gets its reference, its status history and its place
in « Mes demandes »); visitors, who may be unable to log in, get the town's address (CONTACT_EMAIL)."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user
from flask_wtf import FlaskForm

from engine import api
from web.extensions import db

from . import bp

#: The démarche's process id (workflows/signaler_probleme.bpmn, `catalogue="non"`: not in the catalogue).
DEMARCHE = "signaler_probleme"
#: How many of the family's own reports the page lists.
RECENT_REPORTS = 5


@bp.get("/contact")
def page() -> str:
    """« A qui s'adresser en cas de problème ? »: the address, and the report form's start for families."""
    session = db.session()
    definition = api.latest_definition(session, DEMARCHE)
    reports = []
    if current_user.is_authenticated and not current_user.is_staff:
        reports = [
            instance
            for instance in api.instances_for(session, current_user.id)
            if instance.demarche_key == DEMARCHE and instance.reference
        ][:RECENT_REPORTS]
    return render_template(
        "contact/page.html",
        demarche=DEMARCHE,
        definition=definition,
        reports=reports,
        form=FlaskForm(),
    )
