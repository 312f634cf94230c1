"""A task form posted after the session expired: its fields are kept as a draft before the session ends.

The session still proves who typed it (its CSRF token is valid), so the fields are kept as the
task's draft *before* `sessions.enforce_limits` ends the session, and the login leads back to the
task, pre-filled. Nothing is completed with an expired session. (Registered on the accounts
blueprint, before the session hook of web/accounts/sessions.py.)
"""

from __future__ import annotations

import logging

from flask import flash, redirect, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from engine import api
from engine.errors import EngineError
from forms.registry import get_form_class
from web.accounts import bp, sessions
from web.core.i18n import _
from web.extensions import db
from web.tasks.drafts import DRAFT_ACTION, is_family, leftovers_message, typed_fields

log = logging.getLogger(__name__)


@bp.before_app_request
def keep_typed_fields_when_session_expired() -> Response | None:
    """Runs before the session hook ends an expired session: a task form posted then is kept as a draft."""
    if request.endpoint != "tasks.show" or request.method != "POST" or "_user_id" not in session:
        return None
    if not is_family() or not sessions._expired(sessions._now()):
        return None
    task_id = int((request.view_args or {})["task_id"])
    kept = False
    try:
        db_session = db.session()
        task = api.get_task(db_session, task_id, current_user)
        if request.form.get("action", "suivant") in {"suivant", DRAFT_ACTION}:
            form_class = get_form_class(task.form_key, task.instance_id)
            api.save_draft(db_session, task.id, current_user, typed_fields(form_class, request.form))
            kept = True
    except EngineError:
        db.session.rollback()
    if kept:
        log.info(
            "Session of user %s expired on task %s: typed fields kept as a draft", current_user.id, task_id
        )
    ended = sessions.enforce_limits()  # logs out, empties the session, says it expired
    if ended is None:  # not reached: the limits were checked just above
        return None
    if kept:
        flash(
            _(
                "Ce que vous aviez saisi est gardé en brouillon : reconnectez-vous pour le retrouver et "
                "l'envoyer."
            )
            + leftovers_message(form_class),
            "info",
        )
    return redirect(url_for("accounts.login", next=url_for("tasks.show", task_id=task_id)))
