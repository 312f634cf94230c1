"""The portal's home page: the visitors' (login, signup, latest public news) and the family's
« tableau de bord » (requests needing action, children and their activities, targeted news).

A route of the `accounts` blueprint (endpoint `accounts.home`), kept in this module above the areas
whose pieces it gathers (accounts, famille, actualites, the engine's requests)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import render_template
from flask_login import current_user
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from engine import api
from engine.db import utcnow
from forms.accounts import LoginForm
from web.accounts import bp
from web.actualites.services import latest, public_news, visible_to
from web.core.presentation import PARIS
from web.core.redirects import returns_to
from web.extensions import db
from web.factures.services import summary_of
from web.famille.services import children_of, records_of


@dataclass(frozen=True)
class PendingAction:
    """A request waiting for the family: a task to complete, or a draft never sent."""

    task_id: int
    title: str
    reference: str | None
    is_draft: bool
    since: Any


def pending_actions(session: Session, user: Any) -> list[PendingAction]:
    instances = {i.id: i for i in api.instances_for(session, user.id)}
    actions = []
    for task in api.tasks_for(session, user):
        instance = instances.get(task.instance_id)
        if instance is None:
            continue
        actions.append(
            PendingAction(
                task_id=task.id,
                title=instance.demarche_title,
                reference=instance.reference,
                is_draft=instance.submitted_at is None,
                since=task.created_at,
            )
        )
    # Requests the service sent back first (« Compléter ma demande »), then drafts.
    return sorted(actions, key=lambda a: (a.is_draft, a.since))


def dashboard_context(session: Session, user: Any) -> dict[str, Any]:
    return {
        "actions": pending_actions(session, user),
        "records": records_of(user),
        "children": children_of(session, user),
        "targeted_news": latest(session, visible_to(session, user, targeted_only=True), limit=5),
        "public_news": latest(session, public_news(), limit=3),
        "invoices": summary_of(session, user, utcnow().astimezone(PARIS).date()),
    }


@bp.get("/")
@returns_to("next")  # the login box on the home page carries `next` on
def home() -> str | Response:
    """Portal home: MON ESPACE PERSO and JE N'AI PAS D'ESPACE with the latest public news; a family's
    « tableau de bord »; the agents' links."""
    db_session = db.session()
    if current_user.is_authenticated and not current_user.is_staff:
        return render_template("famille/tableau_de_bord.html", **dashboard_context(db_session, current_user))
    form = LoginForm()
    return render_template("accounts/home.html", form=form, news=latest(db_session, public_news(), limit=3))
