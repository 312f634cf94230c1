"""The retention jobs (scheduler and worker): each step forgets what its period has passed; idempotent.

Periods (days) come from the RETENTION_* keys (docs/operator-guide.md « Durées de conservation »);
the public « Données personnelles » page shows the same values.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from engine import api
from engine.db import utcnow
from web.accounts.models import AccountToken, CaptchaChallenge, LoginAttempt, Role, User
from web.coffre.storage import sweep_orphans
from web.core import transaction
from web.core.mail import queue_mail
from web.core.personal_data import discover, erase_all
from web.extensions import db

from . import services
from .models import DraftWarning

log = logging.getLogger(__name__)


def days(key: str) -> timedelta:
    return timedelta(days=float(current_app.config[key]))


def purge_unactivated(session: Session) -> int:
    """Family accounts never activated within the period: erased then deleted."""
    cutoff = utcnow() - days("RETENTION_UNACTIVATED_DAYS")
    users = session.execute(
        select(User).where(User.role == Role.FAMILLE, User.activated_at.is_(None), User.created_at < cutoff)
    ).scalars()
    count = 0
    discover()
    for user in list(users):
        erase_all(session, user)
        session.delete(user)
        count += 1
    session.flush()
    return count


def purge_tokens(session: Session) -> int:
    now = utcnow()
    tokens = session.execute(delete(AccountToken).where(AccountToken.expires_at < now)).rowcount or 0
    captchas = (
        session.execute(delete(CaptchaChallenge).where(CaptchaChallenge.expires_at < now)).rowcount or 0
    )
    return int(tokens) + int(captchas)


def _warn(session: Session, draft: api.StaleDraft, warning: DraftWarning | None, now: Any) -> None:
    user = session.get(User, draft.requester_id)
    if user is not None:
        deadline = now + days("RETENTION_DRAFT_WARNING_DAYS")
        queue_mail(
            session, "brouillon_bientot_supprime", user.email, user=user, draft=draft, deadline=deadline
        )
    if warning is None:
        session.add(DraftWarning(instance_id=draft.instance_id, warned_at=now))
    else:
        warning.warned_at = now


def handle_drafts(session: Session) -> tuple[int, int]:
    """Warn the family WARN days before; delete drafts untouched for RETENTION_DRAFT_DAYS (if warned)."""
    now = utcnow()
    warn_before = now - days("RETENTION_DRAFT_DAYS") + days("RETENTION_DRAFT_WARNING_DAYS")
    warned = deleted = 0
    for draft in api.stale_drafts(session, warn_before):
        warning = session.get(DraftWarning, draft.instance_id)
        if warning is None or draft.updated_at >= warning.warned_at:  # new, or touched since the warning
            _warn(session, draft, warning, now)
            warned += 1
        elif warning.warned_at <= now - days("RETENTION_DRAFT_WARNING_DAYS"):
            api.discard_stale_draft(session, draft.instance_id)
            session.delete(warning)
            deleted += 1
    session.flush()
    return warned, deleted


def purge_logs(session: Session) -> int:
    cutoff = utcnow() - days("RETENTION_LOG_DAYS")
    attempts = session.execute(delete(LoginAttempt).where(LoginAttempt.created_at < cutoff)).rowcount or 0
    return int(attempts) + api.purge_old_messages(session, cutoff)


def finish_closures(session: Session) -> int:
    """Erase the shell of finished closure requests (their confirmation mail sent). Idempotent."""
    from .closure import closed_accounts

    done = 0
    for user_id in closed_accounts(session):
        requests = api.instances_for(session, user_id)
        if not requests or any(r.status == "running" for r in requests):
            continue
        if api.message_rows(session, user_id, []) and _mail_pending(session, user_id):
            continue  # the confirmation is not sent yet
        api.erase_requests(session, user_id, [])
        done += 1
    return done


def _mail_pending(session: Session, user_id: int) -> bool:
    return any(row["statut"] == "pending" and not row["destinataire"].endswith("@invalid")
               for row in api.message_rows(session, user_id, []))  # fmt: skip


def compact_sqlite(session: Session) -> None:
    """On SQLite, leave no copy of erased rows in the WAL (deleted content is zeroed: secure_delete)."""
    bind = session.get_bind()
    if bind.dialect.name == "sqlite":
        with bind.connect() as connection:
            connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))


def run_retention(app: Flask) -> dict[str, Any]:
    """One run of every retention step, in one transaction; returns what each step did."""
    with app.app_context(), transaction.separate_unit_of_work() as session:
        done: dict[str, Any] = {
            "comptes_non_actives": purge_unactivated(session),
            "comptes_clotures": finish_closures(session),
            "jetons_et_captchas": purge_tokens(session),
            "brouillons": handle_drafts(session),
            "documents_des_demandes_closes": api.purge_closed_documents(
                session, utcnow() - days("RETENTION_CLOSED_DOCUMENTS_DAYS")
            ),
            "journaux": purge_logs(session),
            "exports": services.expire_exports(session),
            "fichiers_orphelins": sweep_orphans(session),
        }
    with app.app_context():
        compact_sqlite(db.session())
        db.session.remove()
    log.info("Retention run: %s", done)
    return done


def run_exports(app: Flask) -> int:
    """Build the exports waiting for the job (large accounts), each in its own transaction; mail each."""
    built = 0
    with app.app_context():
        for export_id in services.pending_exports(db.session()):
            with transaction.separate_unit_of_work() as session:
                export = session.get(services.DataExport, export_id)
                user = session.get(User, export.user_id) if export is not None else None
                if export is None or user is None or export.status != services.ExportStatus.PENDING:
                    continue
                services.build(session, export, user, announce=True)
                built += 1
        db.session.remove()
    return built
