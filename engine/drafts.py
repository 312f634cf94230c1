"""Drafts: « Enregistrer le brouillon », « Brouillons », « Reprendre », « Supprimer le brouillon ».

A *draft* is a running démarche the family started but has not sent yet: its first Famille task is
open and no task of it has been completed. What was typed on a task page, unvalidated, may be kept
on the task's inbox row (`human_task.draft`, {field name: [values]}); the web layer never puts
passwords or files in it. Starting a démarche of which the family already has a draft resumes that
draft instead (a double click on « Commencer la démarche » creates one request, not two).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, aliased

from .access import get_instance, may_act, task_for
from .db import utcnow
from .errors import Conflict, NotAllowed
from .execution import Actor, is_requester, lock_instance
from .i18n import _
from .instances import discard, start
from .models import (
    REQUESTER_LANE,
    HumanTask,
    HumanTaskState,
    InstanceStatus,
    ProcessDefinition,
    ProcessInstance,
)
from .references import serialise_starts
from .snapshots import InboxTask, InstanceView, inbox_task, instance_view

#: At most this many characters are kept per draft (a form is far smaller; a bigger post is cut).
MAX_DRAFT_CHARS = 20_000


@dataclass(frozen=True)
class Draft:
    """A démarche started but not sent, with the task that resumes it."""

    instance: InstanceView
    task: InboxTask


def _drafts_query(*columns: Any) -> Any:
    """The family's open first tasks of running démarches never sent, newest first.

    Driven by the family's open tasks (`ix_human_task_requester_state`), so its cost does not grow
    with the requests the family sent before; built once, with bind parameters (`b_requester`), so
    that SQLAlchemy's cache key is computed once per process.
    """
    done = aliased(HumanTask)
    never_sent = ~(
        select(done.id)
        .where(done.instance_id == ProcessInstance.id, done.state == HumanTaskState.COMPLETED)
        .exists()
    )
    requester = bindparam("b_requester")
    return (
        select(*columns)
        .select_from(HumanTask)
        .join(ProcessInstance, HumanTask.instance_id == ProcessInstance.id)
        .where(
            HumanTask.requester_id == requester,
            HumanTask.state == HumanTaskState.OPEN,
            HumanTask.lane == REQUESTER_LANE,
            ProcessInstance.requester_id == requester,
            ProcessInstance.status == InstanceStatus.RUNNING,
            never_sent,
        )
        .order_by(ProcessInstance.updated_at.desc(), ProcessInstance.id.desc())
    )


#: The family's drafts with their first tasks (« Mes demandes »).
_DRAFTS = _drafts_query(ProcessInstance, HumanTask)
#: The id of the family's draft of one démarche (`b_key`), if any: what « Commencer » resumes.
_DRAFT_OF = (
    _drafts_query(ProcessInstance.id)
    .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
    .where(ProcessDefinition.key == bindparam("b_key"))
    .limit(1)
)


def drafts_for(session: Session, requester_id: int) -> list[Draft]:
    """The family's drafts, most recently touched first (one row per démarche)."""
    seen: set[int] = set()
    drafts = []
    for instance, task in session.execute(_DRAFTS, {"b_requester": requester_id}).all():
        if instance.id not in seen:
            seen.add(instance.id)
            drafts.append(Draft(instance_view(session, instance), inbox_task(session, task)))
    return drafts


def start_or_resume(session: Session, demarche_key: str, requester: Actor) -> tuple[ProcessInstance, bool]:
    """Start a démarche, or return the family's draft of it; True when a draft was resumed.

    The family's starts are serialised first (a double click): the second one finds the draft the
    first one created (engine/references.py::serialise_starts).
    """
    serialise_starts(session, requester.id, utcnow().year)
    if requester.id is not None:
        row = session.execute(_DRAFT_OF, {"b_requester": requester.id, "b_key": demarche_key}).first()
        if row is not None:
            return session.get_one(ProcessInstance, row[0]), True
    return start(session, demarche_key, requester), False


def _open_task(session: Session, task_id: int, user: Actor) -> HumanTask:
    task = task_for(session, task_id, user)
    if task.state != HumanTaskState.OPEN:
        raise Conflict(_("Cette tâche a déjà été traitée."))
    return task


def save_draft(session: Session, task_id: int, user: Actor, fields: dict[str, list[str]]) -> HumanTask:
    """Keep what was typed on an open task, unvalidated; raises NotFound, NotAllowed or Conflict."""
    task = _open_task(session, task_id, user)
    kept: dict[str, list[str]] = {}
    budget = MAX_DRAFT_CHARS
    for name, values in fields.items():
        values = [str(v)[:budget] for v in values]
        budget -= sum(len(v) for v in values) + len(name)
        if budget < 0:
            break
        kept[str(name)] = values
    task.draft = kept
    session.flush()
    return task


def draft_of(session: Session, task_id: int, user: Actor) -> dict[str, list[str]] | None:
    """The draft kept on an open task the user may act on, if any."""
    return _open_task(session, task_id, user).draft or None


def discard_draft(session: Session, instance_id: int, user: Actor) -> str:
    """« Supprimer le brouillon »: delete a draft and everything of it; returns the démarche's title.

    Only the family that started it may (another family: NotFound, an agent: NotAllowed); a request
    already sent raises Conflict (it may be cancelled instead, never deleted).
    """
    instance = get_instance(session, instance_id, user)
    if not is_requester(user, instance) or user.id is None:
        raise NotAllowed(_("Seule la famille qui a commencé la démarche peut supprimer son brouillon."))
    instance = lock_instance(session, instance_id)
    drafts = {d.instance.id for d in drafts_for(session, user.id)}
    if instance.id not in drafts:
        raise Conflict(
            _(
                "Cette demande a déjà été envoyée : elle ne peut plus être supprimée, mais vous pouvez "
                "l'annuler."
            )
        )
    title = instance.definition.title
    discard(session, instance)
    return title


def task_already_done(session: Session, task_id: int, user: Actor) -> tuple[int, str] | None:
    """(instance id, task state) of a task the user may act on that is no longer open, else None."""
    task = session.get(HumanTask, task_id)
    if task is None or task.state == HumanTaskState.OPEN or not may_act(user, task):
        return None
    return task.instance_id, task.state
