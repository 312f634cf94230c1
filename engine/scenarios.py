"""Scenario tests of a démarche: cases an analyst writes, run against a draft in a throwaway transaction.

A case says what is entered at each user task (in order), the elements the request is expected to
pass through (in order, not necessarily all of them), its final status and label, and the mails it
writes (words of their subjects). `run_cases` plays every case on the given BPMN inside a SAVEPOINT
that is always rolled back: the draft's definition row, the request, its inbox rows, its timeline and
its outbox rows vanish with it, so nothing is left behind and no mail is ever sent (mails leave only
through the outbox after a commit). Data are given to the tasks as they are (forms are not run).
The shipped démarches' cases live in workflows/<key>.scenarios.json (tests/workflows runs them).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import String, Text, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from .db import Base, UTCDateTime, utcnow
from .errors import EngineError, NotFound
from .events import Actor
from .execution import LOADED_WORKFLOWS, open_workflow
from .i18n import _
from .instances import start
from .models import HumanTask, HumanTaskState, OutboxMessage, ProcessDefinition
from .runtime import TaskState, build_bundle, parse_xml
from .scenario_checks import STATUS_LABELS, check_end, check_path, status_label
from .stored_messages import translate_stored
from .tasks import complete


class ScenarioCase(Base):
    """One scenario case of a démarche, written in the studio (JSON text of `Case`)."""

    __tablename__ = "scenario_case"
    __table_args__ = (UniqueConstraint("key", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), index=True)
    name: Mapped[str] = mapped_column(String(150))
    body: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(150))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


@dataclass(frozen=True)
class Step:
    task: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Case:
    name: str
    steps: tuple[Step, ...]
    path: tuple[str, ...] = ()
    final_status: str | None = None
    final_label: str | None = None
    mails: tuple[str, ...] = ()
    source: str = "studio"  # "studio" or "fichier" (workflows/<key>.scenarios.json)
    id: int | None = None
    # What the démarche starts with when a page starts it with data (« donnees_depart »), e.g. the
    # enrolment that the activity page starts already filled in.
    start_data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Result:
    name: str
    ok: bool
    problems: tuple[str, ...]
    path: tuple[str, ...] = ()
    status: str = ""
    status_label: str = ""
    mails: tuple[str, ...] = field(default_factory=tuple)


class BadCase(EngineError):
    """A case that is not well formed (French message naming what is wrong)."""


def case_from_dict(raw: Any, *, source: str = "studio", case_id: int | None = None) -> Case:
    """Read a case from its JSON form; raises BadCase with a French sentence."""
    if not isinstance(raw, dict):
        raise BadCase(_("Un cas doit être un objet JSON."))
    name = str(raw.get("nom", "")).strip()
    if not name:
        raise BadCase(_("Donnez un nom au cas."))
    steps = []
    for n, step in enumerate(raw.get("etapes") or [], start=1):
        if not isinstance(step, dict) or not str(step.get("tache", "")).strip():
            raise BadCase(
                _(
                    "Cas « %(name)s » : l'étape %(n)s ne dit pas quelle tâche elle remplit.",
                    name=name,
                    n=n,
                )
            )
        data = step.get("donnees") or {}
        if not isinstance(data, dict):
            raise BadCase(
                _(
                    "Cas « %(name)s » : les données de l'étape %(n)s doivent être des paires nom = valeur.",
                    name=name,
                    n=n,
                )
            )
        steps.append(Step(str(step["tache"]).strip(), dict(data)))
    start_data = raw.get("donnees_depart") or {}
    if not isinstance(start_data, dict):
        raise BadCase(
            _(
                "Cas « %(name)s » : les données de départ doivent être des paires nom = valeur.",
                name=name,
            )
        )
    status = raw.get("statut_final") or None
    if status is not None and status not in STATUS_LABELS:
        raise BadCase(_("Cas « %(name)s » : statut final inconnu « %(status)s ».", name=name, status=status))
    return Case(
        name=name[:150],
        steps=tuple(steps),
        path=tuple(str(p).strip() for p in raw.get("parcours") or [] if str(p).strip()),
        final_status=status,
        final_label=(str(raw["libelle_final"]).strip() or None) if raw.get("libelle_final") else None,
        mails=tuple(str(m).strip() for m in raw.get("courriels") or [] if str(m).strip()),
        source=source,
        id=case_id,
        start_data=dict(start_data),
    )


def case_to_dict(case: Case) -> dict[str, Any]:
    result: dict[str, Any] = {
        "nom": case.name,
        "etapes": [{"tache": s.task, "donnees": s.data} for s in case.steps],
        "parcours": list(case.path),
    }
    if case.start_data:
        result["donnees_depart"] = case.start_data
    if case.final_status:
        result["statut_final"] = case.final_status
    if case.final_label:
        result["libelle_final"] = case.final_label
    if case.mails:
        result["courriels"] = list(case.mails)
    return result


def stored_cases(session: Session, key: str) -> list[Case]:
    rows = session.execute(select(ScenarioCase).where(ScenarioCase.key == key).order_by(ScenarioCase.name))
    return [case_from_dict(json.loads(r.body), case_id=r.id) for r in rows.scalars()]


def save_case(session: Session, key: str, case: Case, *, author: str, case_id: int | None = None) -> int:
    """Create or replace a case (only flushes); raises BadCase on a duplicate name."""
    clash = session.execute(
        select(ScenarioCase.id).where(ScenarioCase.key == key, ScenarioCase.name == case.name)
    ).scalar_one_or_none()
    if clash is not None and clash != case_id:
        raise BadCase(
            _(
                "Un autre cas s'appelle déjà « %(name)s » : choisissez un autre nom.",
                name=case.name,
            )
        )
    row = session.get(ScenarioCase, case_id) if case_id else None
    if case_id and (row is None or row.key != key):
        raise NotFound(_("Ce cas n'existe pas."))
    if row is None:
        row = ScenarioCase(key=key, name=case.name, body="", author=author[:150])
        session.add(row)
    row.name, row.body, row.author = (
        case.name,
        json.dumps(case_to_dict(case), ensure_ascii=False),
        author[:150],
    )
    row.updated_at = utcnow()
    session.flush()
    return row.id


def delete_case(session: Session, key: str, case_id: int) -> None:
    row = session.get(ScenarioCase, case_id)
    if row is None or row.key != key:
        raise NotFound(_("Ce cas n'existe pas."))
    session.delete(row)
    session.flush()


def cases_from_file(text: str) -> list[Case]:
    raw = json.loads(text)
    return [case_from_dict(c, source="fichier") for c in (raw.get("cas") if isinstance(raw, dict) else raw)]


@dataclass(frozen=True)
class _Agent:
    """Who fills an agent task in a scenario: a member of the task's lane (its assignee, if any)."""

    id: int | None
    groups: frozenset[str]
    display_name: str = "Agent (scénario)"


def run_cases(
    session: Session, xml: str, cases: list[Case], requester: Callable[[Session], Actor]
) -> list[Result]:
    """Play every case on `xml` (a draft or a version) and roll everything back.

    `requester` makes the family account the request is filed for (called inside the savepoint).
    """
    try:
        bundle = build_bundle(parse_xml(xml.encode("utf-8")))
    except EngineError as exc:
        return [
            Result(
                c.name,
                False,
                (
                    _(
                        "Le diagramme ne se lit pas : %(error)s",
                        error=exc.message,
                    ),
                ),
            )
            for c in cases
        ]
    elements = set(bundle.properties) | _element_ids(bundle)
    duration = bundle.props(bundle.process_id).get("dureeMaximale")
    return [_run_one(session, xml, bundle.process_id, duration, case, requester, elements) for case in cases]


def _element_ids(bundle: Any) -> set[str]:
    ids = set()
    for spec in [bundle.spec, *bundle.subprocess_specs.values()]:
        ids |= {s.bpmn_id for s in spec.task_specs.values() if getattr(s, "bpmn_id", None)}
    return ids


def _run_one(
    session: Session,
    xml: str,
    key: str,
    max_duration: str | None,
    case: Case,
    requester: Callable[[Session], Actor],
    elements: set[str],
) -> Result:
    known = set(session.identity_map.keys())
    savepoint = session.begin_nested()
    try:
        family = requester(session)
        _temporary_definition(session, key, xml, max_duration)
        return _play(session, key, case, family, elements)
    except EngineError as exc:
        return Result(
            case.name,
            False,
            (
                _(
                    "La démarche s'est arrêtée sur une erreur : %(error)s",
                    error=translate_stored(exc.message),
                ),
            ),
        )
    finally:
        savepoint.rollback()
        session.info.pop(LOADED_WORKFLOWS, None)
        # Rows written in the savepoint are gone: so must be their objects (ids are reused next time).
        for identity in set(session.identity_map.keys()) - known:
            obj = session.identity_map.get(identity)
            if obj is not None:
                session.expunge(obj)


def _temporary_definition(session: Session, key: str, xml: str, max_duration: str | None) -> None:
    latest = session.execute(
        select(func.max(ProcessDefinition.version)).where(ProcessDefinition.key == key)
    ).scalar_one()
    session.add(
        ProcessDefinition(
            key=key,
            version=(latest or 0) + 1,
            title=key,
            max_duration=max_duration,
            bpmn_xml=xml,
            sha256=hashlib.sha256(xml.encode("utf-8")).hexdigest(),
            author="scénario",
            is_published=True,
        )
    )
    session.flush()


def _open_task(session: Session, instance_id: int) -> HumanTask | None:
    return session.execute(
        select(HumanTask)
        .where(HumanTask.instance_id == instance_id, HumanTask.state == HumanTaskState.OPEN)
        .order_by(HumanTask.id)
        .limit(1)
    ).scalar_one_or_none()


def _play(session: Session, key: str, case: Case, family: Actor, elements: set[str]) -> Result:
    problems = [
        _("L'élément « %(element)s » du parcours attendu n'existe pas dans le diagramme.", element=e)
        for e in case.path
        if e not in elements
    ]
    instance = start(session, key, family, dict(case.start_data) or None)
    workflow = open_workflow(session, instance, family, read_only=True)
    for n, step in enumerate(case.steps, start=1):
        task = _open_task(session, instance.id)
        if task is None:
            problems.append(
                _(
                    "Étape %(n)s : la demande n'attend plus personne (%(status)s), la tâche « %(task)s » "
                    "n'a pas été proposée.",
                    n=n,
                    status=status_label(instance.status),
                    task=step.task,
                )
            )
            break
        if task.task_name != step.task:
            problems.append(
                _(
                    "Étape %(n)s : la demande attend « %(title)s » (%(name)s), et non « %(expected)s ».",
                    n=n,
                    title=task.title,
                    name=task.task_name,
                    expected=step.task,
                )
            )
            break
        actor = family if task.lane == "Famille" else _Agent(task.assignee_id, frozenset({task.lane}))
        workflow = open_workflow(session, instance, actor, read_only=True)
        complete(session, task.id, actor, dict(step.data))
    path = _path(workflow)
    problems += check_path(case.path, path, elements)
    mails = tuple(
        session.execute(
            select(OutboxMessage.subject)
            .where(OutboxMessage.instance_id == instance.id)
            .order_by(OutboxMessage.id)
        ).scalars()
    )
    problems += check_end(case, instance.status, instance.status_label, mails)
    return Result(
        case.name, not problems, tuple(problems), path, instance.status, instance.status_label, mails
    )


def _path(workflow: Any) -> tuple[str, ...]:
    done = [
        t
        for t in workflow.get_tasks(state=TaskState.COMPLETED | TaskState.READY | TaskState.STARTED)
        if getattr(t.task_spec, "bpmn_id", None)
    ]
    done.sort(key=lambda t: (t.state != TaskState.COMPLETED, t.last_state_change))
    return tuple(t.task_spec.bpmn_id for t in done)
