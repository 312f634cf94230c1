"""The portal's home page: the visitors' (login, signup, latest public news) and the family's
« tableau de bord », the promises of the seed guide's §1: requests needing action, children and their
activities, their activities' news, bookings, invoices to pay, documents, the town's facilities (next
exceptional closures) and news.

A route of the `accounts` blueprint (endpoint `accounts.home`), kept in this module above the areas
whose pieces it gathers (accounts, famille, actualites, the engine's requests)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import render_template
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from engine import api
from engine.db import utcnow
from forms.accounts import LoginForm
from web.accounts import bp
from web.activites.manage import bookings_of
from web.activites.models import ACTIVE, STATUS_LABELS
from web.actualites.services import latest, public_news, visible_to
from web.coffre.models import StoredDocument
from web.core.presentation import PARIS
from web.core.redirects import returns_to
from web.extensions import db
from web.factures.services import summary_of
from web.famille.services import children_of, records_of
from web.structures.models import Closure, Facility
from web.structures.services import closure_text


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


@dataclass(frozen=True)
class DocumentsSummary:
    """« Mes documents »: how many, how many past their validity date."""

    count: int
    expired: int


@dataclass(frozen=True)
class BookingsSummary:
    """The family's bookings still alive (placed, waiting list, draw to come), counted per status."""

    active: int
    by_status: list[tuple[str, int]]


@dataclass(frozen=True)
class ClosureNotice:
    """An exceptional closure of a facility, not over yet: « Fermé exceptionnellement le … »."""

    facility_id: int
    facility_name: str
    text: str
    reason: str


def documents_summary(session: Session, user: Any, today: Any) -> DocumentsSummary:
    # The dates only: not the documents, whose joined blob holds the file's bytes.
    until = session.scalars(select(StoredDocument.valid_until).where(StoredDocument.user_id == user.id)).all()
    return DocumentsSummary(len(until), sum(1 for d in until if d is not None and d < today))


def bookings_summary(session: Session, user: Any) -> BookingsSummary:
    active = [b for b in bookings_of(session, user) if b.status in ACTIVE]
    counts = {status: sum(1 for b in active if b.status == status) for status in ACTIVE}
    return BookingsSummary(len(active), [(STATUS_LABELS[s], n) for s, n in counts.items() if n])


def next_closures(session: Session, today: Any, limit: int = 3) -> list[ClosureNotice]:
    rows = session.execute(
        select(Closure, Facility)
        .join(Facility, Closure.facility_id == Facility.id)
        .where(Closure.end_date >= today, Facility.archived_at.is_(None))
        .order_by(Closure.start_date, Facility.search_name)
        .limit(limit)
    ).all()
    return [ClosureNotice(f.id, f.name, closure_text(c), c.reason) for c, f in rows]


def dashboard_context(session: Session, user: Any) -> dict[str, Any]:
    today = utcnow().astimezone(PARIS).date()
    return {
        "actions": pending_actions(session, user),
        "records": records_of(user),
        "children": children_of(session, user),
        "targeted_news": latest(session, visible_to(session, user, targeted_only=True), limit=5),
        "public_news": latest(session, public_news(), limit=3),
        "invoices": summary_of(session, user, today),
        "documents": documents_summary(session, user, today),
        "bookings": bookings_summary(session, user),
        "closures": next_closures(session, today),
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
