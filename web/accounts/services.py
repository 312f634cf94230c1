"""Account operations shared by the views, the CLI and the BPMN service tasks."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from engine.api import LintContext
from engine.db import utcnow
from forms.registry import load_all
from web.core.i18n import _
from web.extensions import db

from .models import AgentGroup, Role, User
from .passwords import hash_password, needs_rehash, verify_password

log = logging.getLogger(__name__)


class AccountError(ValueError):
    """A French message about why an account operation was refused."""


def find_by_login(session: Session, login: str) -> User | None:
    """The account whose user name or e-mail (case-insensitive) is `login`."""
    login = login.strip()
    if not login:
        return None
    return session.execute(
        select(User).where(or_(User.username == login, func.lower(User.email) == login.lower()))
    ).scalar_one_or_none()


def authenticate(session: Session, login: str, password: str) -> User | None:
    """Return the enabled account matching the credentials, else None (same cost either way)."""
    user = find_by_login(session, login)
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_enabled or user.activated_at is None:
        log.info("Login failed for %r", login[:150].encode("unicode_escape").decode())
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    log.info("Login succeeded for user %s", user.id)
    return user


def get_or_create_group(session: Session, name: str) -> AgentGroup:
    group = session.execute(select(AgentGroup).where(AgentGroup.name == name)).scalar_one_or_none()
    if group is None:
        group = AgentGroup(name=name)
        session.add(group)
        session.flush()
    return group


def group_names(session: Session) -> list[str]:
    return list(session.execute(select(AgentGroup.name).order_by(AgentGroup.name)).scalars())


def create_user(
    session: Session,
    *,
    username: str,
    password: str | None = None,
    email: str,
    password_hash: str | None = None,
    role: Role = Role.FAMILLE,
    groups: Iterable[str] = (),
    activated: bool = True,
    **profile: Any,
) -> User:
    """Create an account; raises AccountError when the user name or e-mail is taken.

    Accounts made by the CLI or an admin are active at once; signup creates them inactive, with the
    hash the web layer computed (the password itself never reaches the engine).
    """
    if password is None and password_hash is None:
        raise AccountError(_("Un mot de passe est obligatoire."))
    if find_by_login(session, username) or find_by_login(session, email):
        raise AccountError(_("Ce nom d'utilisateur ou cette adresse de courriel est déjà utilisé."))
    user = User(
        username=username,
        email=email,
        password_hash=password_hash or hash_password(password or ""),
        role=Role(role),
        session_nonce=secrets.token_hex(16),
        created_at=utcnow(),
        activated_at=utcnow() if activated else None,
        password_changed_at=utcnow(),
        **profile,
    )
    user.agent_groups = [get_or_create_group(session, name) for name in groups]
    session.add(user)
    session.flush()
    log.info("Created %s account %s (%s)", user.role, user.id, user.username)
    return user


def end_all_sessions(user: User) -> None:
    """Invalidate every session cookie of the account (logout everywhere)."""
    user.session_nonce = secrets.token_hex(16)


def lint_context() -> LintContext:
    """What deploys are checked against: registered forms and the agent groups in the database."""
    return LintContext(form_keys=set(load_all()), lanes=set(group_names(db.session())))
