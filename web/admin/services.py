"""Agents, groups and absences: the operations shared by the admin pages, the agent's page and the CLI.

Each function only flushes; the caller commits. Messages of AdminError are French and shown as is.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import date

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from engine.api import Actor, Candidate, InboxTask, Policy, move_tasks_of
from engine.db import utcnow
from web.accounts.models import AgentGroup, Role, User, user_group
from web.accounts.services import end_all_sessions, find_by_login
from web.core.audit import Event, audit
from web.core.i18n import _, _l
from web.core.presentation import PARIS

from .models import AbsenceMode, AgentAbsence

log = logging.getLogger(__name__)

STAFF_ROLES = (Role.AGENT, Role.ANALYSTE, Role.ADMIN)
ROLE_LABELS = {Role.AGENT: _l("Agent"), Role.ANALYSTE: _l("Analyste"), Role.ADMIN: _l("Administrateur")}


class AdminError(ValueError):
    """A French message about why an operation was refused; `field` names the form field concerned."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def today() -> date:
    """Today in the town's time zone (absences are given in days)."""
    return utcnow().astimezone(PARIS).date()


# --- Groups ----------------------------------------------------------------------------------------


#: Built once (its SQL cache key is kept): read each time a step opens an agent task (directory).
_GROUP_NAMED = select(AgentGroup).where(AgentGroup.name == bindparam("b_name"))


def find_group(session: Session, name: str) -> AgentGroup | None:
    return session.execute(_GROUP_NAMED, {"b_name": name}).scalar_one_or_none()


def groups(session: Session) -> Sequence[AgentGroup]:
    return session.execute(select(AgentGroup).order_by(AgentGroup.name)).scalars().all()


def create_group(session: Session, name: str, policy: Policy = Policy.NONE) -> AgentGroup:
    """A new service; BPMN lanes of that name route tasks to its agents (see engine.lint)."""
    name = " ".join(name.split())
    if not name or len(name) > 100:
        raise AdminError(_("Le nom du groupe doit comporter de 1 à 100 caractères."))
    if find_group(session, name) is not None:
        raise AdminError(_("Le groupe « %(name)s » existe déjà.", name=name))
    group = AgentGroup(name=name, assignment_policy=Policy(policy).value)
    session.add(group)
    session.flush()
    log.info("Group %s created", name)
    return group


def set_policy(session: Session, group: AgentGroup, policy: Policy) -> None:
    group.assignment_policy = Policy(policy).value
    session.flush()


# --- Agents: role, groups, account -------------------------------------------------------------------


def staff(session: Session) -> Sequence[User]:
    return (
        session.execute(select(User).where(User.role != Role.FAMILLE).order_by(User.nom, User.username))
        .scalars()
        .all()
    )


def find_user(session: Session, login: str) -> User:
    user = find_by_login(session, login)
    if user is None:
        raise AdminError(_("Aucun compte « %(login)s ».", login=login))
    return user


def _refuse_family(user: User) -> None:
    if user.role == Role.FAMILLE:
        raise AdminError(
            _("« %(name)s » est un compte famille : créez un compte d'agent.", name=user.username)
        )


def set_role(session: Session, user: User, role: Role) -> bool:
    """Change the role; returns True when the account's sessions were ended (privileges dropped).

    Any change but a promotion to admin removes rights (an analyst made agent can no longer deploy,
    an agent made analyst no longer sees queues as before...), so it ends every session.
    """
    role = Role(role)
    _refuse_family(user)
    if role == Role.FAMILLE:
        raise AdminError(_("Un compte d'agent ne peut pas devenir un compte famille."))
    if role == user.role:
        return False
    audit(Event.ROLE_CHANGED, target=user.username, details={"avant": user.role, "apres": role})
    user.role = role
    dropped = role != Role.ADMIN
    if dropped:
        end_all_sessions(user)
    session.flush()
    log.info("Role of user %s set to %s", user.id, role)
    return dropped


def change_groups(session: Session, user: User, add: Iterable[str] = (), remove: Iterable[str] = ()) -> bool:
    """Add and remove groups by name (known groups only); True when sessions were ended (a removal)."""
    _refuse_family(user)
    current = {group.name: group for group in user.agent_groups}
    before = sorted(current)
    dropped = False
    for name in remove:
        if name in current:
            user.agent_groups.remove(current.pop(name))
            dropped = True
    for name in add:
        group = find_group(session, name)
        if group is None:
            raise AdminError(_("Le groupe « %(name)s » n'existe pas : créez-le d'abord.", name=name))
        if name not in current:
            user.agent_groups.append(group)
            current[name] = group
    if dropped:
        end_all_sessions(user)
    if sorted(current) != before:
        audit(Event.GROUPS_CHANGED, target=user.username, details={"avant": before, "apres": sorted(current)})
    session.flush()
    return dropped


def set_groups(session: Session, user: User, names: Iterable[str]) -> bool:
    wanted = set(names)
    have = {group.name for group in user.agent_groups}
    return change_groups(session, user, add=sorted(wanted - have), remove=sorted(have - wanted))


def set_enabled(session: Session, user: User, enabled: bool, actor: Actor | None = None) -> None:
    """Deactivate (sessions end at their next request) or reactivate an account.

    A deactivated agent's open tasks go back to their groups' queues.
    """
    if user.is_enabled == enabled:
        return
    audit(Event.ACCOUNT_ENABLED, target=user.username, details={"actif": "oui" if enabled else "non"})
    user.is_enabled = enabled
    if not enabled:
        end_all_sessions(user)
        if actor is not None:
            move_tasks_of(session, user.id, to=None, actor=actor, reason="compte désactivé")
    session.flush()


# --- Absences and the assignment directory ----------------------------------------------------------


def _current(on: date):  # type: ignore[no-untyped-def]
    return (
        AgentAbsence.ended_at.is_(None),
        or_(AgentAbsence.starts_on.is_(None), AgentAbsence.starts_on <= on),
        or_(AgentAbsence.ends_on.is_(None), AgentAbsence.ends_on >= on),
    )


def current_absence(session: Session, user_id: int, on: date | None = None) -> AgentAbsence | None:
    return session.execute(
        select(AgentAbsence)
        .where(AgentAbsence.user_id == user_id, *_current(on or today()))
        .order_by(AgentAbsence.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def planned_absences(session: Session, user_id: int) -> Sequence[AgentAbsence]:
    """Absences not ended and not over (current or to come), soonest first."""
    on = today()
    return (
        session.execute(
            select(AgentAbsence)
            .where(
                AgentAbsence.user_id == user_id,
                AgentAbsence.ended_at.is_(None),
                or_(AgentAbsence.ends_on.is_(None), AgentAbsence.ends_on >= on),
            )
            .order_by(AgentAbsence.starts_on, AgentAbsence.id)
        )
        .scalars()
        .all()
    )


def absent_ids(session: Session, on: date | None = None) -> set[int]:
    return set(session.execute(select(AgentAbsence.user_id).where(*_current(on or today()))).scalars())


def directory(session: Session, lane: str) -> tuple[Policy, list[Candidate]]:
    """engine.autoassign's directory: the group's policy and its enabled, present agents."""
    group = find_group(session, lane)
    if group is None or group.assignment_policy == Policy.NONE:
        return Policy.NONE, []
    members = session.execute(
        select(User.id, User.prenom, User.nom, User.username)
        .join(user_group, user_group.c.user_id == User.id)
        .where(user_group.c.group_id == group.id, User.is_enabled.is_(True), User.role != Role.FAMILLE)
    ).all()
    away = absent_ids(session)
    candidates = [
        Candidate(row.id, f"{row.prenom} {row.nom}".strip() or row.username)
        for row in members
        if row.id not in away
    ]
    return Policy(group.assignment_policy), candidates


def colleagues(session: Session, user: User) -> list[User]:
    """Enabled agents who share at least one group with the user (possible delegates)."""
    names = user.groups
    if not names:
        return []
    rows = (
        session.execute(
            select(User)
            .join(user_group, user_group.c.user_id == User.id)
            .join(AgentGroup, AgentGroup.id == user_group.c.group_id)
            .where(AgentGroup.name.in_(sorted(names)), User.id != user.id, User.is_enabled.is_(True))
            .order_by(User.nom, User.prenom)
        )
        .scalars()
        .unique()
        .all()
    )
    return [row for row in rows if row.role != Role.FAMILLE]


def mark_absent(
    session: Session,
    user: User,
    *,
    actor: Actor,
    starts_on: date | None = None,
    ends_on: date | None = None,
    mode: AbsenceMode = AbsenceMode.GROUP,
    delegate: User | None = None,
) -> tuple[AgentAbsence, list[InboxTask]]:
    """Record an absence; if it has begun, move the agent's open tasks (colleague or group queue)."""
    if starts_on and ends_on and ends_on < starts_on:
        raise AdminError(_("Le dernier jour doit suivre le premier jour d'absence."), "ends_on")
    if ends_on and ends_on < today():
        raise AdminError(_("Le dernier jour d'absence est déjà passé."), "ends_on")
    if mode == AbsenceMode.DELEGATE:
        if delegate is None:
            raise AdminError(_("Choisissez le collègue à qui confier les tâches."), "delegate")
        if delegate.id not in {c.id for c in colleagues(session, user)}:
            raise AdminError(
                _("Ce collègue n'appartient à aucun des services de l'agent absent."), "delegate"
            )
        if current_absence(session, delegate.id) is not None:
            raise AdminError(
                _("%(name)s est absent aussi : choisissez un autre collègue.", name=delegate.display_name),
                "delegate",
            )
    else:
        delegate = None
    absence = AgentAbsence(
        user_id=user.id,
        starts_on=starts_on,
        ends_on=ends_on,
        mode=AbsenceMode(mode),
        delegate_id=delegate.id if delegate else None,
        created_at=utcnow(),
        created_by_id=actor.id,
    )
    session.add(absence)
    session.flush()
    moved: list[InboxTask] = []
    if starts_on is None or starts_on <= today():
        moved = move_absent_agents_tasks(session, user, absence, actor)
        absence.tasks_moved_at = utcnow()
    log.info("Absence of user %s recorded (%s tasks moved)", user.id, len(moved))
    return absence, moved


def move_absent_agents_tasks(
    session: Session, user: User, absence: AgentAbsence, actor: Actor | None
) -> list[InboxTask]:
    delegate = session.get(User, absence.delegate_id) if absence.delegate_id else None
    reason = f"absence de {user.display_name}"
    if delegate is None:
        return move_tasks_of(session, user.id, to=None, actor=actor, reason=reason)
    shared = user.groups & delegate.groups
    return move_tasks_of(
        session,
        user.id,
        to=Candidate(delegate.id, delegate.display_name),
        actor=actor,
        reason=reason,
        lanes=frozenset(shared),
    )


def start_due_absences(session: Session) -> int:
    """Move the tasks of absences that began since they were recorded (run by the timer job)."""
    due = (
        session.execute(select(AgentAbsence).where(AgentAbsence.tasks_moved_at.is_(None), *_current(today())))
        .scalars()
        .all()
    )
    for absence in due:
        user = session.get(User, absence.user_id)
        if user is not None:
            move_absent_agents_tasks(session, user, absence, None)
        absence.tasks_moved_at = utcnow()
    session.flush()
    return len(due)


def mark_present(session: Session, user: User) -> int:
    """« Je suis de retour »: end the current and planned absences; returns how many were ended."""
    absences = planned_absences(session, user.id)
    for absence in absences:
        absence.ended_at = utcnow()
    session.flush()
    return len(absences)
