"""« Télécharger mes données »: ask for an export, build it (at once or by the job), download it once."""

from __future__ import annotations

import logging
import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db import utcnow
from engine.errors import NotFound
from web.coffre.storage import store_dir, unlink_after_commit
from web.core.i18n import _, in_language
from web.core.mail import queue_mail

from . import archive
from .models import DataExport, ExportStatus

log = logging.getLogger(__name__)


def exports_dir() -> Path:
    path = store_dir() / "exports"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def current_export(session: Session, user_id: int) -> DataExport | None:
    """The family's latest export still pending or waiting for its download."""
    return session.execute(
        select(DataExport)
        .where(
            DataExport.user_id == user_id, DataExport.status.in_([ExportStatus.PENDING, ExportStatus.READY])
        )
        .order_by(DataExport.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def _estimated_bytes(session: Session, user: Any) -> int:
    from web.coffre.services import used_bytes

    return used_bytes(session, user.id)


def request_export(session: Session, user: Any) -> DataExport:
    """A new export (or the one already asked): built at once for a small account, else by the job."""
    existing = current_export(session, user.id)
    if existing is not None:
        return existing
    export = DataExport(user_id=user.id, status=ExportStatus.PENDING, created_at=utcnow())
    session.add(export)
    session.flush()
    if _estimated_bytes(session, user) <= int(current_app.config["EXPORT_INLINE_MAX_BYTES"]):
        build(session, export, user, announce=False)
    return export


def build(session: Session, export: DataExport, user: Any, *, announce: bool) -> None:
    """Write the ZIP under a random name and open the download window; flushes."""
    now = utcnow()
    config = current_app.config
    content = archive.build_zip(
        session, user, town=config["TOWN_NAME"], contact=config["CONTACT_EMAIL"], when=now
    )
    name = secrets.token_hex(16)
    fd = os.open(exports_dir() / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
    export.path, export.size = name, len(content)
    export.status, export.ready_at = ExportStatus.READY, now
    export.expires_at = now + timedelta(hours=float(config["EXPORT_DOWNLOAD_HOURS"]))
    session.flush()
    if announce:
        with in_language(getattr(user, "langue", None)):  # the job's mail, in the family's language
            queue_mail(session, "donnees_pretes", user.email, user=user, export=export)
    log.info("Data export %s built for user %s (%s bytes)", export.id, user.id, len(content))


def take_download(session: Session, user_id: int, export_id: int) -> bytes:
    """The ZIP, once: the export is marked downloaded and its file removed after the commit."""
    export = session.get(DataExport, export_id)
    if export is None or export.user_id != user_id or export.status != ExportStatus.READY or not export.path:
        raise NotFound(_("Cet export n'existe pas ou a déjà été téléchargé."))
    if export.expires_at is not None and export.expires_at <= utcnow():
        raise NotFound(_("Cet export a expiré."))
    path = exports_dir() / export.path
    content = path.read_bytes()
    export.status, export.downloaded_at, export.path = ExportStatus.DOWNLOADED, utcnow(), None
    unlink_after_commit(session, path)
    session.flush()
    return content


def expire_exports(session: Session) -> int:
    """Close the window of exports not downloaded in time, and remove their files. Idempotent."""
    now = utcnow()
    stale = session.execute(
        select(DataExport).where(DataExport.status == ExportStatus.READY, DataExport.expires_at <= now)
    ).scalars()
    count = 0
    for export in stale:
        if export.path:
            unlink_after_commit(session, exports_dir() / export.path)
        export.status, export.path = ExportStatus.EXPIRED, None
        count += 1
    session.flush()
    return count


def pending_exports(session: Session) -> list[int]:
    return list(
        session.execute(select(DataExport.id).where(DataExport.status == ExportStatus.PENDING)).scalars()
    )
