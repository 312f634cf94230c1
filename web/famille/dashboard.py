"""The family's logged-in home page (« tableau de bord ») and the visitors' home news."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from engine import api

from .services import children_of, records_of


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
                title=instance.definition.title,
                reference=instance.reference,
                is_draft=instance.submitted_at is None,
                since=task.created_at,
            )
        )
    # Requests the service sent back first (« Compléter ma demande »), then drafts.
    return sorted(actions, key=lambda a: (a.is_draft, a.since))


def dashboard_context(session: Session, user: Any) -> dict[str, Any]:
    from web.actualites.services import latest, public_news, visible_to

    return {
        "actions": pending_actions(session, user),
        "records": records_of(user),
        "children": children_of(session, user),
        "targeted_news": latest(session, visible_to(session, user, targeted_only=True), limit=5),
        "public_news": latest(session, public_news(), limit=3),
    }
