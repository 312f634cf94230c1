"""The agents' queues: tabs per service and « Mes tâches », filters, claim/release/assign, navigation.

Every list is `engine.api.queue_page` (SQL over `human_task`); every change is one engine call
followed by one commit. The filter lives in the query string: the tabs, the sort links, the
pagination, the exports, « Dossier suivant / précédent » and the saved filters all carry it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from engine import api
from engine.errors import Conflict, NotAllowed, NotFound
from forms.queues import FILTER_KEYS, AssignForm, QueueFilterForm, SavedFilterForm
from web.accounts.models import AgentGroup, Role, User, user_group
from web.core.access import staff_required
from web.core.i18n import _, ngettext
from web.core.redirects import returns_to, safe_target_or
from web.extensions import db

from . import bp
from .models import SavedFilter
from .queue_render import exact_total

MINE = "moi"
MAX_SAVED_FILTERS = 30
MAX_BULK = 200


# Building a queue view from the query string ----------------------------------------------------


def filter_args(args: MultiDict[str, str] | dict[str, str]) -> dict[str, str]:
    """The filter part of a query string (no page, nothing unknown), empty values dropped."""
    return {key: value for key in FILTER_KEYS if (value := (args.get(key) or "").strip())}


def filter_query(args: MultiDict[str, str] | dict[str, str]) -> str:
    return urlencode(filter_args(args))


class QueueView:
    """The queue the query string asks for: the tab, the form (possibly in error) and the engine query."""

    def __init__(self, args: MultiDict[str, str]) -> None:
        session = db.session()
        self.groups: frozenset[str] = current_user.groups
        self.file = (args.get("file") or "").strip()
        if self.file and self.file != MINE and self.file not in self.groups:
            abort(404)
        lanes = frozenset({self.file}) if self.file in self.groups else self.groups
        self.form = QueueFilterForm(formdata=args)
        self.choices = api.filter_choices(session, lanes)
        self.form.set_choices(self.choices.demarches, self.choices.statuses)
        self.valid = self.form.validate()
        form = self.form

        def ok(name: str) -> Any:
            field = form[name]
            return None if field.errors else field.data

        assignment = api.Assignment(ok("attribution") or "")
        if self.file == MINE:
            assignment = api.Assignment.ME
        self.query = api.QueueQuery(
            lanes=lanes,
            agent_id=current_user.id,
            demarche=ok("demarche") or None,
            status_label=ok("statut") or None,
            overdue=bool(ok("en_retard")),
            assignment=assignment,
            text=ok("q") or "",
            sort=api.SortKey(ok("tri") or "recue"),
            descending=ok("ordre") == "desc",
            page=ok("page") or 1,
            per_page=_page_size(),
        )
        self.args = filter_args(args)

    @property
    def has_filters(self) -> bool:
        return any(key not in {"file", "tri", "ordre"} for key in self.args)

    def url(self, endpoint: str = "backoffice.queue", **changes: Any) -> str:
        """This view's URL with some query-string keys changed (None removes one)."""
        args = {**self.args, **changes}
        return url_for(endpoint, **{k: v for k, v in args.items() if v not in (None, "")})

    def sort_url(self, key: str) -> str:
        same = self.query.sort == key
        order = "asc" if same and self.query.descending else ("desc" if same else None)
        return self.url(tri=key, ordre=order)

    def aria_sort(self, key: str) -> str | None:
        if self.query.sort != key:
            return None
        return "descending" if self.query.descending else "ascending"


def _page_size() -> int:
    from flask import current_app

    return int(current_app.config["PAGE_SIZE"])


def _render_queue(view: QueueView, *, save_form: SavedFilterForm | None = None, status: int = 200) -> Any:
    session = db.session()
    tabs = api.tab_counts(session, view.groups, current_user.id)
    counts, waiting = tabs.counts, tabs.waiting
    known, more = None, False
    if not view.has_filters:  # the tab's own count is the total: no second count
        known = exact_total(counts, {""} if view.file == MINE else view.query.lanes)
        if known is None:  # it stopped at the cap: « plus de 1 000 » for the pages up to the cap
            known, more = api.QUEUE_COUNT_CAP, True
    page = api.queue_page(session, view.query, total=known, more=more)
    saved = session.execute(
        select(SavedFilter).where(SavedFilter.user_id == current_user.id).order_by(SavedFilter.name)
    ).scalars()
    save_form = save_form or SavedFilterForm(formdata=None, requete=filter_query(view.args))
    if not view.valid or (save_form and save_form.errors):
        status = 400
    return (
        render_template(
            "backoffice/queue.html",
            view=view,
            form=view.form,
            page=page,
            counts=counts,
            waiting=waiting,
            saved_filters=list(saved),
            save_form=save_form,
            filters=filter_query(view.args),
            mine=MINE,
        ),
        status,
    )


@bp.get("/")
@staff_required
def queue() -> Any:
    """A queue: « Mes tâches », one service, or all of the agent's services; filtered, sorted, paged."""
    return _render_queue(QueueView(request.args))


@bp.get("/attente-famille")
@staff_required
def waiting_for_family() -> Any:
    """« En attente de la famille »: filed requests of the agent's services waiting for the family
    (after « Demander des compléments »), which have left every task queue meanwhile."""
    session = db.session()
    groups = current_user.groups
    rows, total = api.waiting_for_family(session, groups)
    return render_template(
        "backoffice/requests.html",
        heading=_("En attente de la famille"),
        rows=rows,
        total=total,
        waiting=total,
        groups=groups,
        counts=api.queue_counts(session, groups, current_user.id),
        mine=MINE,
        search=None,
    )


@bp.get("/recherche")
@staff_required
def search_requests() -> Any:
    """« Trouver une demande »: every request of the agent's services, whatever its state."""
    session = db.session()
    groups = current_user.groups
    text = (request.args.get("recherche") or "").strip()[:200]
    rows = api.search_requests(session, groups, text) if text else []
    tabs = api.tab_counts(session, groups, current_user.id)
    return render_template(
        "backoffice/requests.html",
        heading=_("Trouver une demande"),
        rows=rows,
        total=len(rows),
        waiting=tabs.waiting,
        groups=groups,
        counts=tabs.counts,
        mine=MINE,
        search=text,
    )


# Claim, release, assign, bulk claim --------------------------------------------------------------


def _back(default: str | None = None) -> str:
    """Where to go after an action: the form's `retour` path of this site (web/core/redirects.py),
    else `default` or the queue."""
    target = request.form.get("retour") or request.args.get("retour")
    return safe_target_or(target, default or url_for("backoffice.queue"))


def _conflict(exc: Conflict, task_id: int | None) -> tuple[str, int]:
    """The French 409 page: what happened, and the task's state now."""
    db.session.rollback()
    found = api.tasks_by_id(db.session(), [task_id]) if task_id is not None else []
    task = found[0] if found else None
    return (
        render_template("backoffice/conflict.html", message=exc.message, task=task, back=_back()),
        409,
    )


@bp.post("/taches/<int:task_id>/prendre")
@returns_to("retour")
@staff_required
def claim_task(task_id: int) -> Any:
    """« Prendre en charge »."""
    try:
        task = api.claim(db.session(), task_id, current_user)
    except Conflict as exc:
        return _conflict(exc, task_id)
    reference = task.reference
    flash(_("Vous avez pris en charge la tâche de la demande %(ref)s.", ref=reference), "success")
    return redirect(_back())


@bp.post("/taches/<int:task_id>/remettre")
@returns_to("retour")
@staff_required
def release_task(task_id: int) -> Any:
    """« Remettre dans la file »."""
    try:
        task = api.release(db.session(), task_id, current_user)
    except Conflict as exc:
        return _conflict(exc, task_id)
    reference = task.reference
    flash(
        _("La tâche de la demande %(ref)s est remise dans la file de son service.", ref=reference), "success"
    )
    return redirect(_back())


@bp.post("/prendre-selection")
@returns_to("retour")
@staff_required
def claim_selection() -> Any:
    """« Prendre en charge la sélection »: each task is claimed or reported."""
    ids: list[int] = []
    for raw in request.form.getlist("taches")[: MAX_BULK + 1]:
        if not raw.isdigit() or len(raw) > 12:
            abort(400)
        ids.append(int(raw))
    if not ids:
        flash(_("Cochez au moins une tâche à prendre en charge."), "error")
        return redirect(_back())
    if len(ids) > MAX_BULK:
        flash(_("Prenez en charge au plus %(num)s tâches à la fois.", num=MAX_BULK), "error")
        return redirect(_back())
    session = db.session()
    result = api.bulk_claim(session, ids, current_user)
    references = _references(session, [task_id for task_id, _ in result.refused])
    if result.claimed:
        count = len(result.claimed)
        flash(
            ngettext("%(num)d tâche prise en charge.", "%(num)d tâches prises en charge.", count), "success"
        )
    for task_id, message in result.refused:
        flash(f"{references.get(task_id) or _('Tâche %(num)s', num=task_id)} : {_(message)}", "error")
    if not result.claimed:
        return render_template(
            "backoffice/conflict.html",
            message=_("Aucune des tâches cochées n'a pu être prise en charge."),
            refused=[(references.get(i, f"Tâche {i}"), m) for i, m in result.refused],
            task=None,
            back=_back(),
        ), 409
    return redirect(_back())


def _references(session: Any, task_ids: list[int]) -> dict[int, str]:
    """The references of the tasks the agent may see (an unknown id stays « Tâche n »)."""
    if not task_ids:
        return {}
    tasks = api.tasks_by_id(session, task_ids)
    return {t.id: t.reference for t in tasks if t.lane in current_user.groups}


def colleagues(session: Any, lane: str) -> list[User]:
    """The enabled agents of a service, by name (who a task of that lane may be assigned to)."""
    return list(
        session.execute(
            select(User)
            .join(user_group, user_group.c.user_id == User.id)
            .join(AgentGroup, AgentGroup.id == user_group.c.group_id)
            .where(AgentGroup.name == lane, User.is_enabled.is_(True), User.role != Role.FAMILLE)
            .order_by(User.nom, User.prenom, User.id)
        ).scalars()
    )


@bp.route("/taches/<int:task_id>/attribuer", methods=["GET", "POST"])
@returns_to("retour")
@staff_required
def assign_task(task_id: int) -> Any:
    """« Attribuer à » a colleague of the task's service (or take it over oneself)."""
    session = db.session()
    task = api.agent_task(session, task_id, current_user)
    form = AssignForm()
    people = {str(user.id): user for user in colleagues(session, task.lane)}
    form.agent.choices = [
        SelectChoice(
            user_id,
            _("%(name)s (moi)", name=user.display_name) if user.id == current_user.id else user.display_name,
        )
        for user_id, user in people.items()
    ]
    if request.method == "GET":
        form.attendu.data = str(task.assignee_id or "")
    elif form.validate_on_submit():
        expected = form.attendu.data or ""
        try:
            api.assign(
                session,
                task_id,
                current_user,
                people[form.agent.data],
                expected_assignee_id=int(expected) if expected.isdigit() else None,
            )
        except Conflict as exc:
            return _conflict(exc, task_id)
        reference = task.reference
        flash(
            _(
                "La tâche de la demande %(ref)s est attribuée à %(name)s.",
                ref=reference,
                name=people[form.agent.data].display_name,
            ),
            "success",
        )
        return redirect(_back(url_for("tasks.show", task_id=task_id)))
    status = 400 if form.errors else 200
    return render_template("backoffice/assign.html", task=task, form=form, back=_back()), status


# « Dossier suivant / précédent » ---------------------------------------------------------------


def _navigate(task_id: int, *, forward: bool) -> Response:
    view = QueueView(request.args)
    target = api.neighbour(db.session(), view.query, task_id, forward=forward)
    if target is None:
        flash(
            _("C'était le dernier dossier de cette file.")
            if forward
            else _("C'était le premier dossier de cette file."),
            "info",
        )
        return redirect(view.url())
    instance_id = api.tasks_by_id(db.session(), [target])[0].instance_id
    return redirect(url_for("backoffice.dossier", instance_id=instance_id, tache=target, **view.args))


@bp.get("/taches/<int:task_id>/suivant")
@staff_required
def next_task(task_id: int) -> Response:
    return _navigate(task_id, forward=True)


@bp.get("/taches/<int:task_id>/precedent")
@staff_required
def previous_task(task_id: int) -> Response:
    return _navigate(task_id, forward=False)


# The claim box of the dossier page (an include) ---------------------------------------------------


@bp.app_template_global()
def task_claim(task_id: int, retour: str | None = None) -> dict[str, Any] | None:
    """What `backoffice/_claim.html` shows on the dossier page: who holds the task, the links."""
    if not getattr(current_user, "is_staff", False):
        return None
    try:
        task = api.agent_task(db.session(), task_id, current_user)
    except (NotFound, NotAllowed):
        return None
    args = filter_args(request.args)
    return {
        "task": task,
        "mine": task.assignee_id == current_user.id,
        "args": args,
        "retour": retour or request.full_path.rstrip("?"),
    }
