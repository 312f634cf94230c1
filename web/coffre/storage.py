"""The files of the store, on disk under COFFRE_DIR (outside the web root, shared by every web host).

Each distinct content is written once under a random name (`secrets.token_hex`), with its SHA-256
kept in `coffre_blob`: a document reused or uploaded twice keeps one stored copy. Files are written
before the commit (an aborted request leaves an orphan file, swept by `sweep_orphans`) and removed
only after the commit that forgets them (so a rolled back delete loses nothing).
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import time
from pathlib import Path

from flask import current_app
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from .models import StoredBlob, StoredDocument

log = logging.getLogger(__name__)
_PENDING = "coffre_unlink"


def store_dir() -> Path:
    configured = current_app.config.get("COFFRE_DIR")
    path = Path(configured) if configured else Path(current_app.instance_path) / "coffre"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def blob_for(session: Session, content: bytes, mime: str) -> StoredBlob:
    """The blob holding this content: the existing one, or a new file under a random name; flushes."""
    digest = hashlib.sha256(content).hexdigest()
    blob = session.execute(select(StoredBlob).where(StoredBlob.sha256 == digest)).scalar_one_or_none()
    if blob is not None and (store_dir() / blob.path).exists():
        return blob
    name = secrets.token_hex(16)
    target = store_dir() / name
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
    if blob is not None:  # the row survived a lost file (restored backup): point it at the new copy
        blob.path = name
    else:
        blob = StoredBlob(sha256=digest, path=name, mime=mime, size=len(content))
        session.add(blob)
    session.flush()
    return blob


def read_blob(blob: StoredBlob) -> bytes:
    """The bytes, checked against the checksum (a changed file is refused rather than served)."""
    content = (store_dir() / blob.path).read_bytes()
    if hashlib.sha256(content).hexdigest() != blob.sha256:
        log.error("Stored file %s does not match its checksum", blob.id)
        raise OSError("checksum mismatch")
    return content


def release_if_unused(session: Session, blob_id: int) -> None:
    """Forget a blob no document uses any more; its file goes once the transaction commits."""
    session.flush()
    used = session.scalar(select(func.count()).where(StoredDocument.blob_id == blob_id))
    if used:
        return
    blob = session.get(StoredBlob, blob_id)
    if blob is None:
        return
    unlink_after_commit(session, store_dir() / blob.path)
    session.delete(blob)
    session.flush()


def unlink_after_commit(session: Session, path: Path) -> None:
    """Remove a file once the transaction that forgets it has committed (kept on rollback)."""
    session.info.setdefault(_PENDING, []).append(path)


@event.listens_for(Session, "after_commit")
def _unlink_after_commit(session: Session) -> None:
    for path in session.info.pop(_PENDING, []):
        try:
            path.unlink(missing_ok=True)
        except OSError:  # pragma: no cover - the orphan sweep retries
            log.warning("Could not remove %s", path)


@event.listens_for(Session, "after_rollback")
def _keep_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


def sweep_orphans(session: Session) -> int:
    """Remove files no blob row names (left by aborted requests); returns how many. Idempotent."""
    known = set(session.execute(select(StoredBlob.path)).scalars())
    removed = 0
    old_enough = time.time() - 3600  # a file younger than an hour may belong to a request in flight
    for path in store_dir().iterdir():
        if path.is_file() and path.name not in known and path.stat().st_mtime < old_enough:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
