"""Single-use, expiring secrets sent by mail: only their SHA-256 is stored (ASVS 6.4.1)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.db import utcnow
from web.accounts.models import AccountToken, TokenPurpose

ACTIVATION_TTL = timedelta(hours=72)
RESET_TTL = timedelta(hours=1)
EMAIL_CHANGE_TTL = timedelta(hours=24)


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue(
    session: Session,
    user_id: int,
    purpose: TokenPurpose,
    ttl: timedelta,
    *,
    instance_id: int | None = None,
    payload: str | None = None,
) -> str:
    """Create a 256-bit token, revoke the user's older ones of the same purpose; return the raw token."""
    now = utcnow()
    session.execute(
        update(AccountToken)
        .where(
            AccountToken.user_id == user_id, AccountToken.purpose == purpose, AccountToken.used_at.is_(None)
        )
        .values(used_at=now)
    )
    raw = secrets.token_urlsafe(32)
    session.add(
        AccountToken(
            user_id=user_id,
            purpose=purpose,
            token_hash=token_hash(raw),
            instance_id=instance_id,
            payload=payload,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    session.flush()
    return raw


def peek(session: Session, raw: str, purpose: TokenPurpose) -> AccountToken | None:
    """The valid (unused, unexpired) token, without consuming it."""
    token = session.execute(
        select(AccountToken).where(
            AccountToken.token_hash == token_hash(raw), AccountToken.purpose == purpose
        )
    ).scalar_one_or_none()
    if token is None or token.used_at is not None or token.expires_at <= utcnow():
        return None
    return token


def consume(session: Session, raw: str, purpose: TokenPurpose) -> AccountToken | None:
    """Use the token exactly once: of two concurrent calls, one gets it and the other None."""
    now = utcnow()
    result = session.execute(
        update(AccountToken)
        .where(
            AccountToken.token_hash == token_hash(raw),
            AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None),
            AccountToken.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.execute(
        select(AccountToken)
        .where(AccountToken.token_hash == token_hash(raw))
        .execution_options(populate_existing=True)
    ).scalar_one()
