"""Studio pages of the scenario cases: list, write, delete, run on the draft or the version in service."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from engine import api
from engine.errors import NotFound
from web.core.i18n import _
from web.extensions import db

from . import bp, scenario_services, services
from .helpers import _author, _demarche_or_none, analyst_required

FIELD_IDS = {"nom": "nom", "etapes": "etapes", "parcours": "parcours", "statut_final": "statut_final"}


def _target_xml(key: str, target: str) -> tuple[str | None, str]:
    """The BPMN the cases run on: the analyst's draft, else the version in service."""
    session = db.session()
    draft = services.draft(session, current_user.id, key)
    if target == "brouillon" and draft is not None:
        return draft.bpmn_xml, _("votre brouillon")
    demarche = _demarche_or_none(key)
    if demarche is None:
        return (draft.bpmn_xml, _("votre brouillon")) if draft is not None else (None, "")
    label = _("la version %(version)s", version=demarche.current.version)
    return api.version_xml(session, key, demarche.current.version), label


def _list_page(key: str, status: int = 200, **extra: Any) -> tuple[str, int]:
    session = db.session()
    demarche = _demarche_or_none(key)
    draft = services.draft(session, current_user.id, key)
    if demarche is None and draft is None:
        raise NotFound(_("Cette démarche n'existe pas."))
    context: dict[str, Any] = {
        "key": key,
        "title": demarche.title if demarche else key,
        "demarche": demarche,
        "draft": draft,
        "shipped": scenario_services.shipped_cases(key),
        "cases": api.stored_cases(session, key),
        "status_labels": api.SCENARIO_STATUS_LABELS,
        "results": None,
        "ran_on": "",
    }
    context.update(extra)
    return render_template("studio/scenarios.html", **context), status


@bp.get("/<key>/scenarios")
@analyst_required
def scenarios(key: str) -> tuple[str, int]:
    return _list_page(key)


@bp.post("/<key>/scenarios/lancer")
@analyst_required
def run_scenarios(key: str) -> tuple[str, int]:
    """Play every case on the draft (or the version in service); nothing is kept, no mail is sent."""
    xml, label = _target_xml(key, request.form.get("cible", "brouillon"))
    if xml is None:
        raise NotFound(_("Cette démarche n'existe pas."))
    results = scenario_services.run_all(db.session(), key, xml)
    return _list_page(key, results=results, ran_on=label)


def _form_page(key: str, case: api.Case | None, status: int = 200, **extra: Any) -> tuple[str, int]:
    demarche = _demarche_or_none(key)
    form = {
        "nom": case.name if case else "",
        "etapes": scenario_services.steps_text(case) if case else "",
        "parcours": "\n".join(case.path) if case else "",
        "statut_final": (case.final_status or "") if case else "completed",
        "libelle_final": (case.final_label or "") if case else "",
        "courriels": "\n".join(case.mails) if case else "",
    }
    steps = api.describe_version(db.session(), key, demarche.current.version) if demarche else ()
    context: dict[str, Any] = {
        "key": key,
        "title": demarche.title if demarche else key,
        "elements": list(_flatten(steps)),
        "case_id": case.id if case else None,
        "form": form,
        "errors": {},
        "status_labels": api.SCENARIO_STATUS_LABELS,
    }
    context.update(extra)
    return render_template("studio/scenario_form.html", **context), status


def _flatten(steps: Any) -> Any:
    """Every element of the diagram's text alternative, sub-processes' own steps included."""
    for step in steps:
        yield step
        yield from _flatten(step.children)


def _case(key: str, case_id: int) -> api.Case:
    for case in api.stored_cases(db.session(), key):
        if case.id == case_id:
            return case
    raise NotFound(_("Ce cas n'existe pas."))


@bp.get("/<key>/scenarios/nouveau")
@analyst_required
def new_scenario(key: str) -> tuple[str, int]:
    if _demarche_or_none(key) is None and services.draft(db.session(), current_user.id, key) is None:
        raise NotFound(_("Cette démarche n'existe pas."))
    return _form_page(key, None)


@bp.get("/<key>/scenarios/<int:case_id>")
@analyst_required
def edit_scenario(key: str, case_id: int) -> tuple[str, int]:
    return _form_page(key, _case(key, case_id))


def _lines(text: str) -> list[str]:
    return [part.strip() for line in text.splitlines() for part in line.split(",") if part.strip()]


@bp.post("/<key>/scenarios/enregistrer")
@analyst_required
def save_scenario(key: str) -> Response | tuple[str, int]:
    """Create or replace a case; every mistake comes back in French with what was typed."""
    raw_id = request.form.get("cas", "")
    case_id = int(raw_id) if raw_id.isdigit() else None
    if case_id is not None:
        _case(key, case_id)  # 404 for another démarche's case
    form = {name: request.form.get(name, "") for name in FIELD_IDS | {"libelle_final": 1, "courriels": 1}}
    steps, step_errors = scenario_services.parse_steps(form["etapes"])
    errors: dict[str, str] = {}
    if step_errors:
        errors["etapes"] = " ".join(step_errors)
    elif not steps:
        errors["etapes"] = _("Indiquez au moins une étape : la tâche et les données saisies.")
    raw = {
        "nom": form["nom"],
        "etapes": steps,
        "parcours": _lines(form["parcours"]),
        "statut_final": form["statut_final"] or None,
        "libelle_final": form["libelle_final"],
        "courriels": [m.strip() for m in form["courriels"].splitlines() if m.strip()],
    }
    if not errors:
        errors = _store_case(key, raw, case_id)
    if errors:
        return _form_page(key, None, 400, form=form, errors=errors, case_id=case_id)
    flash(_("Cas « %(name)s » enregistré.", name=raw["nom"].strip()), "success")
    return redirect(url_for("studio.scenarios", key=key))


def _store_case(key: str, raw: dict[str, Any], case_id: int | None) -> dict[str, str]:
    """Read and save the case; its mistakes by field (the engine's message, in the reader's language):
    a missing name and a duplicate name go with « nom », the rest with « etapes »."""
    try:
        case = api.case_from_dict(raw, case_id=case_id)
    except api.BadCase as exc:
        return {"nom" if not str(raw["nom"]).strip() else "etapes": exc.message}
    try:
        api.save_case(db.session(), key, case, author=_author(), case_id=case_id)
    except api.BadCase as exc:  # the only one: another case has this name
        return {"nom": exc.message}
    return {}


@bp.post("/<key>/scenarios/<int:case_id>/supprimer")
@analyst_required
def delete_scenario(key: str, case_id: int) -> Response:
    case = _case(key, case_id)
    api.delete_case(db.session(), key, case_id)
    flash(_("Cas « %(name)s » supprimé.", name=case.name), "success")
    return redirect(url_for("studio.scenarios", key=key))


def blocking_failures(key: str, xml: str) -> list[api.Result]:
    """The failing cases of the draft about to be published (empty: the publish may go on)."""
    return scenario_services.failing(scenario_services.run_all(db.session(), key, xml))
