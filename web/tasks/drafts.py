"""Drafts and second submissions on the task page (web/tasks/views.py stays the happy path).

- « Enregistrer le brouillon » (action=brouillon): what was typed is kept on the task, unvalidated,
  never passwords nor files (engine/drafts.py); the family goes back to « Mes demandes ».
- The form is pre-filled from the draft when the family comes back (`with_draft`).
- A form posted after the session expired: the session still proves who typed it (its CSRF token is
  valid), so the fields are kept as the task's draft *before* the session is ended, and the login
  leads back to the task, pre-filled. Nothing is completed with an expired session.
- A second submission of a task already done (double click, back button then resubmit, two
  concurrent POSTs) lands on the request's page with « Votre demande a déjà été envoyée. ».
"""

from __future__ import annotations

import logging
from typing import Any

from flask import flash, redirect, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from engine import api
from engine.api import HumanTaskState
from engine.errors import Conflict
from forms.registry import TaskForm, get_form_class
from web.core.errors import render_error
from web.core.i18n import _, _l, gettext
from web.extensions import db

from . import bp
from .actors import current_actor

log = logging.getLogger(__name__)

DRAFT_ACTION = "brouillon"
ALREADY_SENT = _l("Votre demande a déjà été envoyée.")
STEP_ALREADY_DONE = _l("Cette étape était déjà enregistrée : vous pouvez continuer.")
NO_LONGER_OPEN = _l("Cette étape n'est plus à faire : la demande a été annulée ou close entre-temps.")
#: Field types never kept in a draft.
SECRET_TYPES = {"PasswordField", "FileField", "MultipleFileField", "CSRFTokenField", "SubmitField"}


def is_family() -> bool:
    return bool(current_user.is_authenticated and not current_user.is_staff)


def _unkept(form_class: type[TaskForm]) -> dict[str, bool]:
    """Which kinds of fields a draft leaves out, for the message: passwords, files."""
    form = form_class(formdata=None, meta={"csrf": False})
    types = {field.type for field in form}
    return {
        "passwords": bool(form.password_fields) or "PasswordField" in types,
        "files": bool(types & {"FileField", "MultipleFileField"}),
    }


def typed_fields(form_class: type[TaskForm], formdata: Any) -> dict[str, list[str]]:
    """The posted values of the form's own fields, minus passwords, files, buttons and the token."""
    form = form_class(formdata=None, meta={"csrf": False})
    kept = {
        name
        for name, field in form._fields.items()
        if field.type not in SECRET_TYPES and name not in form.password_fields
    }
    return {
        key: [str(value) for value in formdata.getlist(key)]
        for key in formdata
        if key in kept or key.split("-", 1)[0] in kept
    }


def leftovers_message(form_class: type[TaskForm]) -> str:
    unkept = _unkept(form_class)
    parts = []
    if unkept["passwords"]:
        parts.append(_("les mots de passe ne sont jamais conservés"))
    if unkept["files"]:
        parts.append(
            _(
                "les fichiers joints ne sont pas conservés (le navigateur ne peut pas les garder) : "
                "joignez-les de nouveau"
            )
        )
    return (" " + _("Attention : %(what)s.", what=" ; ".join(parts))) if parts else ""


def with_draft(db_session: Any, task: api.TaskView, actor: Any, form: TaskForm) -> TaskForm:
    """On GET, the form filled with the task's draft (what was typed before), if it has one."""
    if request.method != "GET" or not getattr(actor, "is_authenticated", False):
        return form
    draft = api.draft_of(db_session, task.id, actor)
    if not draft:
        return form
    form_class = type(form)
    pairs = [(name, value) for name, values in draft.items() for value in values]
    flash(
        _("Votre brouillon est repris : vérifiez ce qui est saisi, puis envoyez.")
        + leftovers_message(form_class),
        "info",
    )
    return form_class(formdata=MultiDict(pairs), data=task.data)


@bp.before_request
def save_draft() -> Response | None:
    """« Enregistrer le brouillon »: keep what was typed without validating it (CSRF already checked)."""
    if request.endpoint != "tasks.show" or request.method != "POST":
        return None
    if request.form.get("action") != DRAFT_ACTION or not is_family():
        return None
    db_session = db.session()
    task = api.get_task(db_session, int((request.view_args or {})["task_id"]), current_user)
    form_class = get_form_class(task.form_key, task.instance_id)
    api.save_draft(db_session, task.id, current_user, typed_fields(form_class, request.form))
    flash(
        _(
            "Votre brouillon « %(title)s » est enregistré : « Reprendre » le rouvre tel que vous "
            "l'avez laissé.",
            title=gettext(task.demarche_title),
        )
        + leftovers_message(form_class),
        "success",
    )
    return redirect(url_for("demarches.my_requests"))


@bp.errorhandler(Conflict)
def already_done(exc: Conflict) -> Response | tuple[str, int]:
    """A task sent twice: the family lands on its request (a guest on its next step), not on an error."""
    db.session.rollback()
    actor = current_actor()
    task_id = (request.view_args or {}).get("task_id")
    staff = bool(getattr(actor, "is_staff", False))
    if request.endpoint == "tasks.show" and actor is not None and not staff and task_id is not None:
        db_session = db.session()
        found = api.task_already_done(db_session, int(task_id), actor)
        if found is not None:
            instance_id, state = found
            notice = ALREADY_SENT if state == HumanTaskState.COMPLETED else NO_LONGER_OPEN
            if getattr(actor, "is_authenticated", False):
                flash(notice, "info")
                return redirect(url_for("demarches.show_request", instance_id=instance_id))
            following = api.next_task_in(db_session, actor, instance_id)
            if following is not None:
                flash(STEP_ALREADY_DONE, "info")
                return redirect(url_for("tasks.show", task_id=following))
            flash(notice, "info")
            return redirect(url_for("tasks.guest_done", instance_id=instance_id))
    return render_error(exc.status_code, exc.message)
