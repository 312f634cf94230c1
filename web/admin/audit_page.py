"""« Journal de sécurité » (role admin): search the audit log by event, user and period, 50 a page."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from typing import Any

from flask import render_template, request, url_for
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from engine.db import utcnow
from forms.audit import AuditSearchForm
from web.core.audit import LABELS, AuditEvent
from web.core.i18n import _
from web.core.presentation import PARIS
from web.extensions import db

from . import bp
from .views import admin_required

PAGE_SIZE = 50


def _query(form: AuditSearchForm) -> Any:
    query = select(AuditEvent)
    if form.evenement.data:
        query = query.where(AuditEvent.event == form.evenement.data)
    if form.utilisateur.data:
        pattern = f"%{form.utilisateur.data.lower()}%"
        query = query.where(
            or_(func.lower(AuditEvent.actor_name).like(pattern), func.lower(AuditEvent.target).like(pattern))
        )
    if form.du.data:
        query = query.where(AuditEvent.created_at >= datetime.combine(form.du.data, time(0), PARIS))
    if form.au.data:
        end = datetime.combine(form.au.data + timedelta(days=1), time(0), PARIS)
        query = query.where(AuditEvent.created_at < end)
    return query


def _page_number() -> int:
    raw = request.args.get("page", "1")
    return max(1, int(raw)) if raw.isdigit() and len(raw) < 7 else 1


@bp.get("/journal")
@admin_required
def audit_log() -> tuple[str, int]:
    form = AuditSearchForm(formdata=request.args if request.args else None)
    form.evenement.choices = [
        ("", _("Tous les événements")),
        *((e.value, label) for e, label in LABELS.items()),
    ]
    valid = not request.args or form.validate()
    session = db.session()
    rows: list[AuditEvent] = []
    total = 0
    page = _page_number()
    if valid:
        query = _query(form)
        total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        ordered = query.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        rows = list(session.execute(ordered.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).scalars())
    pages = max(1, -(-total // PAGE_SIZE))
    args = {k: v for k, v in request.args.items() if k != "page"}

    def page_url(number: int) -> str:
        return url_for("admin.audit_log", **args, page=number)

    return render_template(
        "admin/audit.html",
        form=form,
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        page_url=page_url,
        labels={e.value: label for e, label in LABELS.items()},
        details=_details,
    ), (200 if valid else 400)


def _details(row: AuditEvent) -> str:
    try:
        data = json.loads(row.details or "{}")
    except ValueError:
        return row.details
    return " ; ".join(f"{key} : {value}" for key, value in data.items())


#: Demo events (`guichet demo`): (hours ago, event, actor, target, details, IP).
DEMO_EVENTS = [
    (30, "login", "agent", "agent", "{}", "192.0.2.10"),
    (29, "export", "agent", "file-accueil", '{"format": "csv"}', "192.0.2.10"),
    (26, "login_failed", "", '"famille"', '{"refus": "mot de passe"}', "198.51.100.7"),
    (26, "login", "famille", "famille", "{}", "198.51.100.7"),
    (5, "publish", "analyste", "changement_adresse version 1", '{"auteur": "analyste"}', "192.0.2.21"),
    (2, "groups_changed", "admin", "agent", '{"apres": "[\'Accueil\']", "avant": "[]"}', "192.0.2.30"),
]


def load_audit_demo(session: Session) -> None:
    """A few events in « Journal de sécurité » of a demo database (only when it has none)."""
    if session.execute(select(func.count()).select_from(AuditEvent)).scalar_one():
        return
    now = utcnow()
    for hours, event, actor, target, details, ip in DEMO_EVENTS:
        session.add(
            AuditEvent(
                created_at=now - timedelta(hours=hours),
                event=event,
                actor_name=actor,
                target=target,
                details=details,
                ip=ip,
            )
        )
    session.flush()
