"""« Aide à la saisie »: the help page of a démarche, and the notice shown when one starts."""

from __future__ import annotations

from flask import abort, render_template
from flask_wtf import FlaskForm

from engine import api
from engine.api import InstanceView
from web.core.presentation import duration_fr
from web.extensions import db

from . import bp
from .field_help import screens_help


def started_message(instance: InstanceView, resumed: bool) -> str:
    """The notice on the first screen of a démarche: its reference and maximum duration."""
    if resumed:
        text = (
            f"Vous aviez déjà commencé cette démarche ({instance.reference}) : vous reprenez votre brouillon."
        )
    else:
        text = f"Votre demande {instance.reference} est commencée."
    if instance.definition.max_duration:
        text += f" Durée maximum de la démarche : {duration_fr(instance.definition.max_duration)}."
    return text


@bp.get("/demarches/<key>/aide")
def help_page(key: str) -> str:
    """The help text of a listed démarche (process property `aideSaisie` or its documentation)."""
    session = db.session()
    entry = api.entry_for(session, key)
    if entry is None or not entry.listed:
        abort(404)
    screens = screens_help(api.family_form_keys(session, key))
    return render_template("demarches/help.html", entry=entry, form=FlaskForm(), screens=screens)


def entry_of_instance(instance_id: int) -> api.Entry | None:
    """The catalogue entry of the démarche version an instance runs (for the family's task pages)."""
    return api.entry_of_instance(db.session(), instance_id)


@bp.app_context_processor
def catalogue_helpers() -> dict[str, object]:
    return {"demarche_entry": entry_of_instance}
