"""The studio's form editor: plain server-rendered pages (no JavaScript needed).

A démarche's user tasks and their forms; for one form: add, edit, move up/down, delete a field,
its button text, and a preview exactly as the family sees it (the same template and macros as
the task page; posting the preview validates without sending anything). For the agents' decision:
its outcomes and when the message to the family is required. Every change is saved in the
analyst's draft (never live) after the whole form is checked again; « Publier » checks it once more.
Also « Nouvelle démarche à partir d'un modèle » with the reusable building blocks.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from engine import api
from engine.errors import NotFound
from forms.data_forms import form_class
from forms.form_editor import SETTINGS, CsrfForm, FieldEditForm, FormSettingsForm, ModelForm, OutcomesForm
from web.accounts.services import group_names
from web.core.i18n import _
from web.extensions import db

from . import bp, building, services
from .helpers import _ctx, analyst_required


def _task(key: str, element: str) -> tuple[str, api.TaskFormInfo]:
    xml = building.working_xml(db.session(), current_user.id, key)
    return xml, api.task_form(xml, element)


def _editor_url(key: str, element: str) -> str:
    return url_for("studio.form_editor", key=key, element=element)


@bp.get("/<key>/formulaires")
@analyst_required
def forms_list(key: str) -> str:
    session = db.session()
    xml = building.working_xml(session, current_user.id, key)
    tasks = api.task_forms(xml)
    return render_template("studio/forms_list.html", key=key, tasks=tasks, types=api.FIELD_TYPES)


@bp.post("/<key>/formulaires/<element>/creer")
@analyst_required
def form_create(key: str, element: str) -> Response:
    """« Créer un formulaire de données » for a task (its coded form, if any, is replaced in the draft)."""
    kind = "decision" if request.form.get("genre") == "decision" else "saisie"
    _check_csrf()
    _xml, task = _task(key, element)
    definition = task.definition or api.empty_form(kind)
    xml = api.with_task_form(
        building.working_xml(db.session(), current_user.id, key), element, definition, key
    )
    building.save_xml(db.session(), current_user.id, key, xml)
    flash(_("Formulaire créé dans votre brouillon : ajoutez ses champs."), "success")
    return redirect(_editor_url(key, element))


def _check_csrf() -> None:
    if not CsrfForm().validate_on_submit():
        abort(400)


def _page(key: str, task: api.TaskFormInfo, status: int = 200, **extra: Any) -> tuple[str, int]:
    definition = task.definition or {}
    settings = FormSettingsForm(formdata=None, data=definition)
    outcomes = OutcomesForm(formdata=None, data=definition)
    context = {
        "key": key,
        "task": task,
        "definition": definition,
        "types": api.FIELD_TYPES,
        "outcome_labels": api.DECISION_OUTCOMES,
        "settings": settings,
        "outcomes_form": outcomes,
        "problems": [],
        **extra,
    }
    return render_template("studio/form_editor.html", **context), status


@bp.get("/<key>/formulaires/<element>")
@analyst_required
def form_editor(key: str, element: str) -> tuple[str, int]:
    _xml, task = _task(key, element)
    return _page(key, task)


def _field_form(definition: dict[str, Any], index: int | None, kind: str) -> FieldEditForm:
    form = FieldEditForm()
    before = (definition.get("fields") or [])[: index if index is not None else None]
    form.show_if_field.choices = [SelectChoice("", _("— toujours afficher —"))] + [
        SelectChoice(f["name"], f["label"]) for f in before if f["type"] in {"choice", "yesno"}
    ]
    return form


@bp.route("/<key>/formulaires/<element>/champs/nouveau", methods=["GET", "POST"])
@bp.route("/<key>/formulaires/<element>/champs/<int:index>", methods=["GET", "POST"])
@analyst_required
def field_edit(key: str, element: str, index: int | None = None) -> Response | tuple[str, int]:
    _xml, task = _task(key, element)
    definition = task.definition or api.empty_form()
    fields = definition.get("fields") or []
    if index is not None and not 0 <= index < len(fields):
        raise NotFound(_("Ce champ n'existe pas."))
    kind = fields[index]["type"] if index is not None else request.values.get("type", "text")
    if kind not in api.FIELD_TYPES:
        kind = "text"
    form = _field_form(definition, index, kind)
    if request.method == "GET" and index is not None:
        form.load(fields[index])
    problems: list[str] = []
    if form.validate_on_submit():
        taken = {f["name"] for i, f in enumerate(fields) if i != index}
        spec = form.spec(kind, taken)
        problems = building.set_task_form(
            db.session(), current_user.id, key, element, api.form_with_field(definition, spec, index)
        )
        if not problems:
            flash(_("Champ « %(label)s » enregistré dans votre brouillon.", label=spec["label"]), "success")
            return redirect(_editor_url(key, element) + f"#champ-{spec['name']}")
    status = 400 if (form.errors or problems) else 200
    page = render_template(
        "studio/field_edit.html",
        key=key,
        task=task,
        form=form,
        kind=kind,
        kind_label=api.FIELD_TYPES[kind],
        settings=SETTINGS.get(kind, set()),
        index=index,
        problems=problems,
    )
    return page, status


def _save_or_page(
    key: str, task: api.TaskFormInfo, definition: dict[str, Any], done: str
) -> Response | tuple[str, int]:
    problems = building.set_task_form(db.session(), current_user.id, key, task.task_id, definition)
    if problems:
        return _page(key, task, 400, problems=problems)
    flash(done, "success")
    return redirect(_editor_url(key, task.task_id))


@bp.post("/<key>/formulaires/<element>/champs/<int:index>/deplacer")
@analyst_required
def field_move(key: str, element: str, index: int) -> Response | tuple[str, int]:
    _check_csrf()
    _xml, task = _task(key, element)
    step = -1 if request.form.get("sens") == "haut" else 1
    definition = api.form_moved(task.definition or api.empty_form(), index, step)
    return _save_or_page(key, task, definition, _("Champ déplacé."))


@bp.post("/<key>/formulaires/<element>/champs/<int:index>/supprimer")
@analyst_required
def field_delete(key: str, element: str, index: int) -> Response | tuple[str, int]:
    _check_csrf()
    _xml, task = _task(key, element)
    definition = task.definition or api.empty_form()
    fields = definition.get("fields") or []
    label = fields[index]["label"] if 0 <= index < len(fields) else "?"
    return _save_or_page(
        key, task, api.form_without_field(definition, index), _("Champ « %(label)s » supprimé.", label=label)
    )


@bp.post("/<key>/formulaires/<element>/reglages")
@analyst_required
def form_settings(key: str, element: str) -> Response | tuple[str, int]:
    _xml, task = _task(key, element)
    form = FormSettingsForm()
    if not form.validate_on_submit():
        return _page(key, task, 400, settings=form)
    definition = dict(task.definition or api.empty_form())
    definition["submit_label"] = form.submit_label.data
    definition.pop("intro", None)
    if form.intro.data:
        definition["intro"] = form.intro.data
    return _save_or_page(key, task, definition, _("Réglages du formulaire enregistrés."))


@bp.post("/<key>/formulaires/<element>/issues")
@analyst_required
def form_outcomes(key: str, element: str) -> Response | tuple[str, int]:
    """The decision's outcomes: kept or not, their label, whether the message is then required."""
    _xml, task = _task(key, element)
    form = OutcomesForm()
    if not form.validate_on_submit():
        return _page(key, task, 400, outcomes_form=form)
    outcomes = []
    for value, default in api.DECISION_OUTCOMES.items():
        if request.form.get(f"issue_{value}"):
            label = " ".join(request.form.get(f"libelle_{value}", "").split())[:200] or default
            required = bool(request.form.get(f"message_{value}")) or value == "refusee"
            outcomes.append({"value": value, "label": label, "message_required": required})
    definition = {"kind": "decision", "submit_label": form.submit_label.data, "outcomes": outcomes}
    if form.message_help.data:
        definition["message_help"] = form.message_help.data
    return _save_or_page(key, task, definition, _("Issues de la décision enregistrées."))


@bp.route("/<key>/formulaires/<element>/apercu", methods=["GET", "POST"])
@analyst_required
def form_preview(key: str, element: str) -> tuple[str, int]:
    """The form exactly as the family sees it; « Envoyer » only validates (nothing is sent)."""
    xml, task = _task(key, element)
    if task.definition is None or api.form_definition_problems(task.definition):
        return _page(key, task, 400, problems=api.form_definition_problems(task.definition or {}))
    form = form_class(task.definition)()
    checked = request.method == "POST" and form.validate_on_submit()
    title = api.validate_bpmn(xml.encode("utf-8"), _ctx()).title or key
    preview_task = {"title": task.name, "demarche_title": title, "reference": "APERÇU", "instance_id": None}
    page = render_template(
        "studio/form_preview.html",
        task=preview_task,
        form=form,
        key=key,
        element=element,
        checked=checked,
        preview=True,
    )
    return page, 400 if form.errors else 200


@bp.route("/nouvelle-demarche", methods=["GET", "POST"])
@analyst_required
def new_from_model() -> Response | tuple[str, int]:
    """« Nouvelle démarche à partir d'un modèle »: the answers and the building blocks make a draft."""
    form = ModelForm()
    form.group.choices = [SelectChoice("", _("— Choisissez —"))] + [
        SelectChoice(g, g) for g in group_names(db.session())
    ]
    form.blocks.choices = [SelectChoice(k, _(v)) for k, v in api.BLOCKS.items()]
    if request.method == "GET":
        form.blocks.data = list(api.BLOCKS)
    known = {d.key for d in api.studio_demarches(db.session())}
    if form.validate_on_submit():
        if form.key.data in known:
            form.key.errors.append(_("Une démarche porte déjà cet identifiant : choisissez-en un autre."))
        elif services.draft(db.session(), current_user.id, form.key.data) is not None:
            form.key.errors.append(
                _(
                    "Vous avez déjà un brouillon avec cet identifiant : ouvrez-le depuis l'accueil du "
                    "studio, ou choisissez un autre identifiant."
                )
            )
        else:
            key = building.create_from_model(db.session(), current_user.id, api.DemarcheModel(**form.model()))
            flash(
                _("Démarche créée dans votre brouillon : construisez maintenant ses formulaires."), "success"
            )
            return redirect(url_for("studio.forms_list", key=key))
    status = 400 if form.errors else 200
    return render_template("studio/new_from_model.html", form=form, blocks=api.BLOCKS), status
