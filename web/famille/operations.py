"""BPMN service operation and task hooks of « Correction de mon dossier famille »."""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from engine.api import ServiceContext, TaskView, service
from forms.registry import TaskForm, source_text
from forms.tasks.correction_famille import CHILD_FIELDS
from web.core.i18n import _
from web.tasks.hooks import HookResult, before_complete, before_render

from .models import Child
from .services import children_of, correct_child

log = logging.getLogger(__name__)

#: The démarches whose behaviour lives here (`git grep correction_famille` finds this file).
DEMARCHES = ("correction_famille",)


class CorrectionError(Exception):
    """The correction cannot be applied (the child is no longer in the requester's record)."""


@service("famille_corriger_dossier")
def correct_record(
    ctx: ServiceContext, objet: str, enfant: str | None, champ: str | None, nouvelle_valeur: str | None
) -> dict[str, Any]:
    """Corrige, à l'acceptation, l'information d'un enfant du dossier famille du demandeur (école, classe,
    date de naissance, nom, prénom). « Autre chose » : rien d'automatique, l'agent a corrigé le dossier."""
    if objet != "enfant":
        return {"mise_a_jour": False}
    from web.accounts.models import User

    user = User.load_plain(ctx.session, ctx.requester_id)
    child = ctx.session.get(Child, int(enfant or 0))
    if user is None or child is None or child.record not in user.family_records:
        raise CorrectionError("L'enfant de la demande n'est plus dans le dossier famille du demandeur.")
    value: Any = nouvelle_valeur
    if champ == "date_naissance":
        value = date.fromisoformat(str(nouvelle_valeur))
    changed = correct_child(child, {str(champ): value}, by=f"démarche {ctx.reference}")
    return {"mise_a_jour": bool(changed)}


def _child_choices(session: Session, actor: Any) -> list[tuple[str, str]]:
    return [(str(c.id), c.full_name) for c in children_of(session, actor)]


@before_render("correction_famille.saisie")
def _fill_children(session: Session, form: TaskForm, actor: Any, task: TaskView) -> dict[str, Any]:
    form["enfant"].choices = [("", _("— Choisissez —")), *_child_choices(session, actor)]
    return {}


@before_complete("correction_famille.saisie")
def _check_child(session: Session, form: TaskForm, actor: Any, task: TaskView) -> HookResult | None:
    """A family names only its own children; a date is read as jj/mm/aaaa and kept as AAAA-MM-JJ."""
    if form["objet"].data != "enfant":
        summary = "Autre chose : voir les précisions."
        return HookResult(
            data={"enfant": "", "champ": "", "nouvelle_valeur": "", "resume_correction": summary}
        )
    names = dict(_child_choices(session, actor))
    if form["enfant"].data not in names:
        form["enfant"].errors.append(_("Choisissez un enfant de votre dossier famille."))
        return None
    data: dict[str, Any] = {"enfant_nom": names[form["enfant"].data]}
    if form["champ"].data == "date_naissance":
        try:
            born = datetime.strptime(form["nouvelle_valeur"].data, "%d/%m/%Y").date()  # noqa: DTZ007
        except ValueError:
            form["nouvelle_valeur"].errors.append(
                _("Cette date n'est pas valable. Format attendu : jj/mm/aaaa, par exemple 14/03/2017.")
            )
            return None
        if born > date.today():  # noqa: DTZ011 - a calendar day
            form["nouvelle_valeur"].errors.append(_("La date de naissance ne peut pas être dans le futur."))
            return None
        data["nouvelle_valeur"] = born.isoformat()
    label = dict((c.value, source_text(c.label)) for c in CHILD_FIELDS).get(form["champ"].data)
    if label is None:
        form["champ"].errors.append(_("Choisissez l'information à corriger."))
        return None
    data["resume_correction"] = f"{label} de {data['enfant_nom']} : « {form['nouvelle_valeur'].data} »"
    return HookResult(data=data)
