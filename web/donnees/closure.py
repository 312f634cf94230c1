"""« Clôturer mon compte » (workflows/cloture_compte.bpmn): the confirmation page and its checks.

Rule for running requests (docs/guide-famille.md): every request still running is cancelled at the
closure, and listed on the confirmation page beforehand; finished requests keep only an anonymous
shell (reference, démarche, dates, status). What the law requires to keep is listed from the
providers (web/core/personal_data.py, `kept`). A closure already sent (waiting for an agent's review)
cannot be sent twice: the second gets a French message, and nothing is erased twice or half-way.
"""

from __future__ import annotations

from typing import Any

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import api
from forms.registry import TaskForm
from web.accounts.email_change import reauthenticate
from web.accounts.models import User
from web.core.i18n import _
from web.core.personal_data import discover, kept_after_closure
from web.tasks.hooks import HookResult, before_complete, before_render

KEY = "cloture_compte.confirmation"
CLOSED_PREFIX = "compte-clos-"


def other_closure(session: Session, user_id: int, instance_id: int) -> str | None:
    """The reference of another closure of this account already sent and still running, if any."""
    for request in api.instances_for(session, user_id):
        if (
            request.demarche_key == "cloture_compte"
            and request.id != instance_id
            and request.status == "running"
            and request.submitted_at is not None
        ):
            return request.reference or _("en cours")
    return None


@before_render(KEY)
def closure_context(session: Session, form: TaskForm, actor: Any, task: api.TaskView) -> dict[str, Any]:
    discover()
    return {
        "running": api.running_requests(session, actor.id, except_id=task.instance_id),
        "kept": kept_after_closure(session, actor),
        "already": other_closure(session, actor.id, task.instance_id),
    }


@before_complete(KEY)
def check_closure(session: Session, form: TaskForm, actor: Any, task: api.TaskView) -> HookResult | None:
    user = session.get(User, actor.id) if isinstance(actor, User) else None
    if user is None:
        abort(403)
    already = other_closure(session, user.id, task.instance_id)
    if already:
        form.form_errors.append(
            _(
                "Une demande de clôture de votre compte est déjà en cours (%(reference)s) : le service "
                "Accueil la vérifie. Vous n'avez rien à refaire ; vous serez prévenu par courriel.",
                reference=already,
            )
        )
        return None
    if not reauthenticate(session, user, form["mot_de_passe_actuel"]):
        return None
    return HookResult()


def closed_accounts(session: Session) -> list[int]:
    """Accounts closed (anonymised) that may still own the shell of their closure request."""
    query = select(User.id).where(User.username.startswith(CLOSED_PREFIX), User.is_enabled.is_(False))
    return list(session.execute(query).scalars())
