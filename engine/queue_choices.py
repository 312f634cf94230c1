"""What surrounds the agents' queue page: the choices of its filter and the numbers of its tabs.

The queue page is the agents' most requested page (issue 19's load test GETs it before every
decision): what it reads besides the rows is read in as few statements as possible.

- The filter's choices (« Démarche », « Statut ») come from one statement over the small columns of
  `process_definition` (never its BPMN text, never ORM objects). Every page reads that list again:
  a démarche deployed by another process (another gunicorn worker, the CLI) is in the choices at
  the next page, with no cache to invalidate. What each version says (followed as a request? its
  statuses per lane?) is kept per (id, sha256), as the catalogue keeps its entries: a stored
  version never changes.
- The tabs' numbers and « En attente de la famille » are one statement (scalar subqueries).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from .catalogue import entry_by_identity
from .models import ProcessDefinition
from .queue_counts import COUNT_CAP, counts_columns, read_counts
from .runtime import bundle_for
from .service_requests import waiting_count

_DEFINITION = ProcessDefinition.__table__.c

#: Status labels of the user tasks of each definition, by lane: {(id, sha256): {lane: {label}}}.
_LABELS: dict[tuple[int, str], dict[str, frozenset[str]]] = {}


@dataclass(frozen=True)
class FilterChoices:
    """The choices of the queue's filter: (key, title) of the démarches followed as requests (the
    latest version of each, by title), and the statuses a task of the view's lanes can have."""

    demarches: list[tuple[str, str]]
    statuses: list[str]


def _labels_by_lane(session: Session, definition_id: int, digest: str) -> dict[str, frozenset[str]]:
    """The `statusLabel` of the user tasks of one stored version, by lane (parsed once)."""
    key = (definition_id, digest)
    if key not in _LABELS:
        xml = session.execute(
            select(_DEFINITION.bpmn_xml).where(_DEFINITION.id == definition_id)
        ).scalar_one()
        bundle = bundle_for(definition_id, digest, xml)
        by_lane: dict[str, set[str]] = {}
        for spec in [bundle.spec, *bundle.subprocess_specs.values()]:
            for task_spec in spec.task_specs.values():
                props = bundle.props(getattr(task_spec, "bpmn_id", None))
                if props.get("formKey") and props.get("statusLabel") and getattr(task_spec, "lane", None):
                    by_lane.setdefault(task_spec.lane, set()).add(props["statusLabel"])
        _LABELS[key] = {lane: frozenset(labels) for lane, labels in by_lane.items()}
    return _LABELS[key]


def filter_choices(session: Session, lanes: frozenset[str]) -> FilterChoices:
    """The démarches and statuses of the queue's filter, in one statement (see the module's doc).

    Statuses: read from the deployed diagrams (the `statusLabel` of their user tasks, which is what
    the inbox rows carry), every version (an old version's tasks may still be open), not from the
    100,000 rows of a large queue. Démarches: as `engine.definitions.latest_definitions` orders
    them (by title), without the signup and password reset (they erase their data at the end)."""
    rows = session.execute(
        select(
            _DEFINITION.id, _DEFINITION.key, _DEFINITION.version, _DEFINITION.title, _DEFINITION.sha256
        ).order_by(_DEFINITION.title)
    ).all()
    latest: dict[str, tuple[int, int]] = {}  # key -> (version, position in `rows`)
    labels: set[str] = set()
    for position, (definition_id, key, version, _title, digest) in enumerate(rows):
        if key not in latest or version > latest[key][0]:
            latest[key] = (version, position)
        if lanes:  # « Mes demandes » asks for the démarches only
            by_lane = _labels_by_lane(session, definition_id, digest)
            labels |= {label for lane in lanes for label in by_lane.get(lane, frozenset())}
    demarches = []
    for _version, position in sorted(latest.values(), key=lambda found: found[1]):
        definition_id, key, _version, title, digest = rows[position]
        if entry_by_identity(session, definition_id, digest).followed:
            demarches.append((key, title))
    return FilterChoices(demarches, sorted(labels))


def demarche_choices(session: Session) -> list[tuple[str, str]]:
    """(key, title) of the démarches followed as requests, by title: in « Mes demandes » and the
    agents' démarche filter; signup and password reset (they erase their data at the end) are not."""
    return filter_choices(session, frozenset()).demarches


@dataclass(frozen=True)
class TabCounts:
    """The numbers above a queue: open tasks per lane and « Mes tâches » under "" (`queue_counts`),
    and the requests waiting for the family (« En attente de la famille »)."""

    counts: dict[str, int]
    waiting: int


@lru_cache(maxsize=256)
def _tabs_statement(ordered: tuple[str, ...], family_lane: str, cap: int, nobody: bool) -> Select[Any]:
    """Built once per set of lanes (the agent is a bound parameter): building this statement and
    its SQLAlchemy cache key cost more than SQLite's answer to it."""
    waiting = waiting_count(frozenset(ordered), family_lane).label("waiting")
    return select(*counts_columns(ordered, cap, nobody), waiting)


def tab_counts(
    session: Session, lanes: frozenset[str], agent_id: int | None, family_lane: str, cap: int = COUNT_CAP
) -> TabCounts:
    """`queue_counts` and the waiting count in one statement."""
    ordered = tuple(sorted(lanes))
    if not ordered:
        return TabCounts({"": 0}, 0)
    statement = _tabs_statement(ordered, family_lane, cap, agent_id is None)
    row = session.execute(statement, {"agent_id": agent_id}).one()
    return TabCounts(read_counts(row, ordered), row[-1])
