"""« Aide à la saisie »: the help page of a démarche, and the notice shown when one starts."""

from __future__ import annotations

from flask import abort, render_template
from flask_wtf import FlaskForm
from markupsafe import Markup

from engine import api
from engine.api import InstanceView
from web.core.i18n import _, current_language, gettext
from web.core.presentation import duration_fr
from web.extensions import db

from . import bp
from .field_help import screens_help


def started_message(instance: InstanceView, resumed: bool) -> str:
    """The notice on the first screen of a démarche: its reference and maximum duration."""
    if resumed:
        text = _(
            "Vous aviez déjà commencé cette démarche (%(ref)s) : vous reprenez votre brouillon.",
            ref=instance.reference,
        )
    else:
        text = _("Votre demande %(ref)s est commencée.", ref=instance.reference)
    if instance.definition.max_duration:
        duration = duration_fr(instance.definition.max_duration)
        text += " " + _("Durée maximum de la démarche : %(duration)s.", duration=duration)
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


@bp.app_template_filter("tr")
def translated(value: object) -> str:
    """A text that comes from a BPMN file or a form (process, task, lane and status names, help):
    its English when the catalogue has one (workflows/*.bpmn are extracted, see
    web/core/translations.py), else as written (a démarche built in the studio). Not `_()` in the
    template: Jinja's gettext formats its result with `%`, which a name with « % » would break."""
    if value is None:
        return ""
    text = str(value)
    stored = api.translate_stored(
        text
    )  # the engine's stored texts (« En erreur », « Retour à la version 2 »)
    return stored if stored != text else gettext(text)


@bp.app_template_filter("role")
def role_label(role: str | None) -> str:
    """Who acted, as the timeline stores it (« Famille », « Service Accueil »), in the page's language;
    the service's name stays as written."""
    if not role:
        return ""
    if role.startswith("Service "):
        return _("Service %(name)s", name=role.removeprefix("Service "))
    return gettext(role)


def fr_only(value: object) -> Markup:
    """` lang="fr"` for a text shown as written in French on an English page (no translation)."""
    text = str(value or "")
    if current_language() == "fr" or not text or gettext(text) != text:
        return Markup("")
    return Markup(' lang="fr"')


@bp.app_context_processor
def catalogue_helpers() -> dict[str, object]:
    return {"demarche_entry": entry_of_instance, "fr_only": fr_only}
