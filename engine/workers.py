"""Heartbeats of the processes that run the jobs (timers, outbox, digest): `/sante` reads their age."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .db import utcnow
from .models import WorkerHeartbeat


def beat(session: Session, name: str, kind: str) -> None:
    """Upsert this worker's row with the current time and commit."""
    now = utcnow()
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    statement = insert(WorkerHeartbeat).values(name=name, seen_at=now, started_at=now, kind=kind)
    session.execute(
        statement.on_conflict_do_update(index_elements=["name"], set_={"seen_at": now, "kind": kind})
    )
    session.commit()


def last_seen(session: Session) -> datetime | None:
    value = session.execute(select(func.max(WorkerHeartbeat.seen_at))).scalar()
    if value is None:
        return None
    from .outbox import aware as _aware

    return _aware(value)
