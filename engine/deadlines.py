"""Deadlines of the agents' tasks: the reminder and escalation flags, and the checks of timer values.

A démarche reminds its agents with a non-interrupting boundary timer some time before its maximum
duration (`avant_echeance(date_limite, "P3D")`), and escalates with another non-interrupting
boundary timer at the maximum duration itself (`date_limite`); the service tasks behind them
(web/delais/services.py) call `flag_open_agent_tasks` to stamp `reminded_at` / `escalated_at` on the
open agent tasks of the instance. `date_limite` is written into the start task's data by
`engine.api.start` (the instance's `deadline_at`, ISO 8601).

The flags belong to the request: an agent task opened after them (the family answered a question
of an ask-for-information loop) starts flagged with their first dates (`request_flags`).
"""

from __future__ import annotations

import ast
from datetime import datetime

from lxml import etree
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from . import durations
from . import stored_messages as stored
from .errors import ScriptError
from .i18n import N_, _
from .models import REQUESTER_LANE, HistoryEvent, HumanTask, HumanTaskState
from .snapshots import InboxTask, inbox_tasks
from .stored_messages import french

_BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
#: session.info key: {instance id: {column: value}} for the agent tasks a step is about to create
#: (read by engine.execution.Runner.sync_tasks).
NEW_TASK_VALUES = "guichet_new_task_values"
REMINDED = "reminded_at"
ESCALATED = "escalated_at"
#: The internal timeline entries the reminder and escalation services write (web/delais/services.py).
REMINDED_EVENT = "task_reminded"
ESCALATED_EVENT = "instance_escalated"
_FLAG_OF_EVENT = {REMINDED_EVENT: REMINDED, ESCALATED_EVENT: ESCALATED}


BAD_DURATION = N_("« %(value)s » n'est pas une durée ISO 8601 (par exemple P3D ou PT48H)")


def before_deadline(deadline: str, duration: str) -> str:
    """The ISO 8601 instant `duration` (ISO 8601, e.g. "P3D") before `deadline` (ISO 8601)."""
    try:
        return durations.before(durations.parse_datetime(str(deadline)), str(duration)).isoformat()
    except Exception as exc:  # SpiffWorkflow raises a bare Exception for a bad duration
        message = french(stored.BAD_DEADLINE, deadline=deadline, duration=duration)
        raise ScriptError(message) from exc


def flag_open_agent_tasks(session: Session, instance_id: int, column: str, now: datetime) -> list[InboxTask]:
    """Stamp `column` (reminded_at or escalated_at) on the instance's open agent tasks; return them.

    A task already stamped keeps its first date (a timer fires once, but a diagram may have two).
    When the timer was already due as the task became ready (a request filed late), the task's row
    is written at the end of this very step: the flag is handed to it through the session.
    """
    if column not in (REMINDED, ESCALATED):
        raise ValueError(column)
    tasks = (
        session.execute(
            select(HumanTask)
            .where(
                HumanTask.instance_id == instance_id,
                HumanTask.state == HumanTaskState.OPEN,
                HumanTask.lane != REQUESTER_LANE,
            )
            .order_by(HumanTask.id)
        )
        .scalars()
        .all()
    )
    for task in tasks:
        if getattr(task, column) is None:
            setattr(task, column, now)
    if not tasks:
        session.info.setdefault(NEW_TASK_VALUES, {}).setdefault(instance_id, {}).setdefault(column, now)
    return inbox_tasks(session, tasks)


#: Built once (its SQL cache key is kept): run each time a step opens an agent task.
_FLAGS = (
    select(HistoryEvent.event_type, func.min(HistoryEvent.created_at))
    .where(
        HistoryEvent.instance_id == bindparam("b_instance_id"),
        HistoryEvent.event_type.in_(list(_FLAG_OF_EVENT)),
    )
    .group_by(HistoryEvent.event_type)
)


def request_flags(session: Session, instance_id: int) -> dict[str, datetime]:
    """{reminded_at / escalated_at: first date} of the request, read from its timeline.

    A reminder or an escalation that fired while no agent task was open (the family had a question
    to answer) is thus carried to the agents' task that opens when the family answers.
    """
    rows = session.execute(_FLAGS, {"b_instance_id": instance_id}).all()
    return {_FLAG_OF_EVENT[event_type]: at for event_type, at in rows if at is not None}


# --- Deploy-time checks of timer values (called by engine.lint) ----------------------------------


def _literal(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _bad_duration(value: str, iso_duration: object) -> bool:
    return not iso_duration.match(value)  # type: ignore[attr-defined]


def timer_problems(root: etree._Element, iso_duration: object) -> list[tuple[etree._Element, str]]:
    """(timer element, French problem) for every timer whose literal value is malformed.

    Literal values are checked: `"P15D"` in timeDuration, `"2027-01-31T12:00:00+00:00"` in timeDate,
    and the duration given to `avant_echeance(date_limite, "P3D")`. A value computed from the data
    (`date_limite`) is only known at run time.
    """
    problems: list[tuple[etree._Element, str]] = []
    for definition in root.iter(f"{_BPMN}timerEventDefinition"):
        owner = definition.getparent()
        for kind in ("timeDuration", "timeDate", "timeCycle"):
            node = definition.find(f"{_BPMN}{kind}")
            if node is None or not (node.text or "").strip():
                continue
            source = node.text.strip()
            try:
                tree = ast.parse(source, mode="eval").body
            except SyntaxError:
                continue  # engine.lint reports the syntax error with the other expressions
            literal = _literal(tree)
            if kind == "timeDuration" and literal is not None and _bad_duration(literal, iso_duration):
                problems.append((owner, _(BAD_DURATION, value=literal)))
            elif kind == "timeDate" and literal is not None:
                try:
                    datetime.fromisoformat(literal)
                except ValueError:
                    problems.append((owner, _("« %(value)s » n'est pas une date ISO 8601", value=literal)))
            elif (
                isinstance(tree, ast.Call)
                and isinstance(tree.func, ast.Name)
                and tree.func.id == "avant_echeance"
            ):
                if len(tree.args) != 2 or tree.keywords:
                    problems.append(
                        (owner, _("avant_echeance attend deux arguments : la date limite et une durée"))
                    )
                    continue
                duration = _literal(tree.args[1])
                if duration is not None and _bad_duration(duration, iso_duration):
                    problems.append((owner, _(BAD_DURATION, value=duration)))
    return problems
