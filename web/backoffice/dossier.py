"""The agent's dossier page: the family, its data, the timeline, the open task, the BPMN diagram.

Forms posted from this page carry the instance's `lock_version` as rendered (hidden field `version`);
`engine.autoassign.check_current` refuses them with a 409 when the request moved on meanwhile, and
the page is shown again in its new state, with what the agent typed.

This is THE agents' page of a request: `/taches/<id>` sends agents here (`task_page`), keeping the
queue's filter in the query string, so that the claim box, « Dossier précédent / suivant » and the
return after a decision stay inside the queue the agent came from.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from engine import api
from engine.api import (
    STALE_MESSAGE,
    HumanTaskState,
    InboxTask,
    InstanceView,
    add_internal_comment,
    check_current,
    current_elements,
    instance_data,
    open_tasks,
)
from engine.errors import Conflict, NotAllowed, NotFound
from forms.admin import InternalCommentForm
from forms.registry import TaskForm, get_form_class
from web.accounts.models import User
from web.core.access import staff_required
from web.core.i18n import _, _l, gettext
from web.core.presentation import submitted_data
from web.extensions import db
from web.tasks import views as tasks_views
from web.tasks.data_forms import data_labels
from web.tasks.hooks import run_before_complete

from . import bp
from .queues import filter_args

ALREADY_DONE = _l(
    "Cette tâche a déjà été traitée : votre envoi n'a pas été enregistré. Voici l'état actuel de la demande."
)


def _instance(instance_id: int) -> InstanceView:
    """An instance with a task in one of the agent's groups; 404 otherwise (another service's too)."""
    return api.get_instance(db.session(), instance_id, current_user)


def _typed(form: TaskForm) -> list[tuple[str, Any]]:
    """What the agent typed in a refused form, to show it back (nothing typed is lost)."""
    shown = []
    for field in form:
        if field.type in {"CSRFTokenField", "HiddenField", "SubmitField"} or field.data in (None, ""):
            continue
        value = field.data
        for choice in getattr(field, "choices", None) or []:
            if getattr(choice, "value", None) == value:
                value = choice.label
        shown.append((field.label.text, value))
    return shown


def render_dossier(
    instance: InstanceView,
    *,
    forms: dict[int, TaskForm] | None = None,
    comment_form: InternalCommentForm | None = None,
    conflict: str | None = None,
    typed: list[tuple[str, Any]] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    session = db.session()
    requester = User.load_plain(session, instance.requester_id)
    tasks = open_tasks(session, instance)
    mine = [task for task in tasks if task.lane in current_user.groups]
    forms = dict(forms or {})
    for task in mine:
        if task.id not in forms:
            view = api.get_task(session, task.id, current_user)
            forms[task.id] = get_form_class(task.form_key, task.instance_id)(formdata=None, data=view.data)
    assignees = {
        u.id: u
        for u in session.query(User).filter(User.id.in_({t.assignee_id for t in tasks if t.assignee_id}))
    }
    filters = filter_args(request.args)
    anchor = _anchor(instance, mine)
    page = render_template(
        "backoffice/dossier.html",
        filters=filters,
        anchor=anchor,
        claim_retour=url_for(
            "backoffice.dossier",
            instance_id=instance.id,
            tache=anchor.id if anchor is not None else None,
            **filters,
        ),
        instance=instance,
        requester=requester,
        data=submitted_data(instance_data(session, instance, current_user), *data_labels(instance.id)),
        events=api.history(session, instance, include_internal=True),
        open_tasks=tasks,
        my_tasks=mine,
        forms=forms,
        assignees=assignees,
        comment_form=comment_form or InternalCommentForm(formdata=None),
        current=current_elements(session, instance),
        path=api.request_path(session, instance.id),  # the tasks reached, also once the request is closed
        steps=api.describe_instance_process(session, instance),  # the diagram as text (studio helper)
        conflict=conflict,
        typed=typed or [],
    )
    return page, status


def _anchor(instance: InstanceView, mine: list[InboxTask]) -> InboxTask | None:
    """The task the claim box and « Dossier précédent / suivant » start from.

    The `tache` of the query string (the queue row the agent opened, even once treated), else the
    task of the decision being posted, else the agent's first open task of this request.
    """
    raw = request.args.get("tache", "")
    wanted = int(raw) if raw.isdigit() and len(raw) <= 12 else (request.view_args or {}).get("task_id")
    if wanted is not None:
        task = _own_task(wanted)
        if task is not None and task.instance_id == instance.id:
            return task
    return mine[0] if mine else None


@bp.get("/dossiers/<int:instance_id>")
@staff_required
def dossier(instance_id: int) -> tuple[str, int]:
    return render_dossier(_instance(instance_id))


@bp.get("/dossiers/<int:instance_id>/diagramme.bpmn")
@staff_required
def dossier_diagram(instance_id: int) -> Response:
    """The BPMN of the instance's own version (running instances keep the version they started on)."""
    instance = _instance(instance_id)
    response = Response(api.bpmn_of(db.session(), instance), mimetype="application/xml")
    response.headers["Cache-Control"] = "no-store"
    return response


def _own_task(task_id: int) -> InboxTask | None:
    """A task of one of the agent's groups, else None."""
    try:
        return api.agent_task(db.session(), task_id, current_user)
    except (NotFound, NotAllowed):
        return None


def _task_of(instance: InstanceView, task_id: int) -> InboxTask:
    task = _own_task(task_id)
    if task is None or task.instance_id != instance.id:
        raise NotFound(_("Cette tâche n'existe pas."))
    return task


def _version() -> int | None:
    raw = request.form.get("version", "")
    return int(raw) if raw.isdigit() else None


@bp.post("/dossiers/<int:instance_id>/taches/<int:task_id>")
@staff_required
def dossier_decide(instance_id: int, task_id: int) -> Response | tuple[str, int]:
    """Complete the open task from the dossier page; a stale page gets 409 and the new state."""
    instance = _instance(instance_id)
    return decide(instance, _task_of(instance, task_id))


def task_page(task_id: int) -> Response | tuple[str, int]:
    """`/taches/<id>` for an agent (called by `tasks.show`): one page per request, the dossier.

    GET redirects to the dossier with the queue's filter kept; POST (older pages, bookmarks, tests)
    decides exactly like the dossier's form, with the stale-form guard when a `version` is posted.
    Access as before: another service's task is a 403, an unknown or a family's task a 404.
    """
    task = api.agent_task(db.session(), task_id, current_user)
    if request.method != "POST":
        return redirect(
            url_for(
                "backoffice.dossier",
                instance_id=task.instance_id,
                tache=task.id,
                **filter_args(request.args),
            )
        )
    return decide(_instance(task.instance_id), task)


def decide(instance: InstanceView, task: InboxTask) -> Response | tuple[str, int]:
    """Validate the task's form, check the page is current, complete; then back to the filtered queue.

    Bad input: 400 with the dossier and the French messages; a stale page or a colleague's claim:
    409 with the dossier in its new state and what was typed. Nothing is written in either case.
    """
    session = db.session()
    form = get_form_class(task.form_key, task.instance_id)()
    version = _version()
    if task.state != HumanTaskState.OPEN:
        if not form.validate_csrf_token_only():
            abort(400)
        message = STALE_MESSAGE
        if version is None and task.state == HumanTaskState.COMPLETED:
            message = ALREADY_DONE
        return _conflict(instance, form, Conflict(message))
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        return render_dossier(instance, forms={task.id: form}, status=400)
    try:
        check_current(session, task.id, current_user, version)
        view = api.get_task(session, task.id, current_user)
        hooked = run_before_complete(session, form, current_user, view)
        if hooked is None:
            return render_dossier(instance, forms={task.id: form}, status=400)
        api.complete(
            session,
            task.id,
            current_user,
            {**form.to_engine_data(), **hooked.data},
            public_comment=form.comment("public"),
            internal_comment=form.comment("internal"),
            secrets=hooked.secrets,
        )
    except Conflict as exc:
        return _conflict(instance, form, exc)
    instance = api.reread(session, instance)
    flash(_decision_message(instance.reference, form, instance.status_label), "success")
    return redirect(url_for("backoffice.queue", **filter_args(request.args)))


def _decision_message(reference: str | None, form: TaskForm, status_label: str) -> str:
    """Say what happened: « Demande DEM-… : décision « Accepter la demande » enregistrée ; … »."""
    decision = form._fields.get("decision")
    chosen = None
    for choice in getattr(decision, "choices", None) or []:
        if getattr(choice, "value", None) == getattr(decision, "data", None):
            chosen = choice.label
    status = gettext(status_label) if status_label else ""
    if chosen:
        return _(
            "Demande %(ref)s : décision « %(choice)s » enregistrée. Statut de la demande : « %(status)s ».",
            ref=reference,
            choice=chosen,
            status=status,
        )
    return _(
        "Demande %(ref)s : votre saisie est enregistrée. Statut de la demande : « %(status)s ».",
        ref=reference,
        status=status,
    )


def _conflict(instance: InstanceView, form: TaskForm, exc: Conflict) -> tuple[str, int]:
    session = db.session()
    session.rollback()
    fresh = api.reload(session, instance)  # instances are never deleted once an agent has a task
    return render_dossier(fresh, conflict=exc.message, typed=_typed(form), status=409)


@bp.post("/dossiers/<int:instance_id>/commentaires")
@staff_required
def dossier_comment(instance_id: int) -> Response | tuple[str, int]:
    """« Ajouter un commentaire interne », at any time; never shown to the family."""
    instance = _instance(instance_id)
    form = InternalCommentForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        return render_dossier(instance, comment_form=form, status=400)
    add_internal_comment(db.session(), instance.id, current_user, form.commentaire.data)
    flash(_("Commentaire interne ajouté."), "success")
    tache = request.args.get("tache", "")
    back = url_for(
        "backoffice.dossier",
        instance_id=instance.id,
        tache=tache if tache.isdigit() and len(tache) <= 12 else None,
        **filter_args(request.args),
    )
    return redirect(back + "#historique-titre")


tasks_views.STAFF_TASK_PAGE[:] = [task_page]  # /taches/<id> opened by an agent shows this page
