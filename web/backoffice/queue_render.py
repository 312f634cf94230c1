"""What the queue page needs beyond the view: counts as they read (exact up to the cap, « plus de
1 000 » beyond: engine/queue_counts.py) and the links of its rows, built cheaply."""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for
from flask_babel import format_decimal

from engine import api
from web.core.i18n import _

from . import bp


@bp.app_template_global()
def queue_count(count: int) -> str:
    """A tab's number: « 42 », or « plus de 1 000 » when the count stopped at the cap."""
    if count > api.QUEUE_COUNT_CAP:
        return _("plus de %(num)s", num=format_decimal(api.QUEUE_COUNT_CAP))
    return format_decimal(count)


@bp.app_template_global()
def queue_number(count: int) -> str:
    """A count as the language writes it (« 10 000 » in French, « 10,000 » in English)."""
    return format_decimal(count)


def exact_total(counts: dict[str, int], keys: frozenset[str] | set[str]) -> int | None:
    """The sum of some tabs' counts, or None when one of them stopped at the cap."""
    values = [counts.get(key, 0) for key in keys]
    if any(value > api.QUEUE_COUNT_CAP for value in values):
        return None
    return sum(values)


@bp.app_template_global()
def queue_lanes_count(counts: dict[str, int]) -> str:
    """« Tous mes services »: the sum of the services' tabs, « plus de N » if one stopped at the cap."""
    lanes = {key: value for key, value in counts.items() if key}
    total = exact_total(lanes, set(lanes))
    if total is not None:
        return format_decimal(total)
    at_least = sum(min(value, api.QUEUE_COUNT_CAP) for value in lanes.values())
    return _("plus de %(num)s", num=format_decimal(at_least))


#: Stands for an id in a link built once (paths hold no user input: no clash with a typed value).
_ID = 9876543210


class RowLinks:
    """The links of each row: the dossier (with the queue's filter) and the claim, release and
    assign actions. `url_for` costs 30–40 µs a call and a page of 50 rows made 150 of them: each
    link is built once with a stand-in id, then the row's id goes in its place."""

    def __init__(self, args: dict[str, Any]) -> None:
        self._dossier = url_for("backoffice.dossier", instance_id=_ID)
        rest = url_for("backoffice.dossier", instance_id=_ID, **args).partition("?")[2]
        self._query = f"&{rest}" if rest else ""
        self._claim = url_for("backoffice.claim_task", task_id=_ID)
        self._release = url_for("backoffice.release_task", task_id=_ID)
        self._assign = url_for("backoffice.assign_task", task_id=_ID)

    def dossier(self, instance_id: int, task_id: int) -> str:
        """As `url_for("backoffice.dossier", instance_id=…, tache=…, **args)` writes it."""
        return f"{self._dossier.replace(str(_ID), str(int(instance_id)))}?tache={int(task_id)}{self._query}"

    def claim(self, task_id: int) -> str:
        return self._claim.replace(str(_ID), str(int(task_id)))

    def release(self, task_id: int) -> str:
        return self._release.replace(str(_ID), str(int(task_id)))

    def assign(self, task_id: int) -> str:
        return self._assign.replace(str(_ID), str(int(task_id)))


@bp.app_template_global()
def queue_row_links(args: dict[str, Any]) -> RowLinks:
    return RowLinks(args)


class RowTexts:
    """The texts of each row with a value in them, translated once for the page (a `_()` in the
    template's loop costs a derived Jinja context each time: 100 a page), and the « tr » texts of
    the rows (démarche, task, status: a handful of values over 50 rows) looked up once each."""

    def __init__(self) -> None:
        self._select = _("Sélectionner %(ref)s")
        self._task_of = _("la tâche de %(name)s")
        self._tr = current_app.jinja_env.filters["tr"]
        self._seen: dict[str, str] = {}

    def select(self, reference: str) -> str:
        return self._select % {"ref": reference}

    def task_of(self, name: str) -> str:
        return self._task_of % {"name": name}

    def tr(self, value: str | None) -> str:
        key = value or ""
        if key not in self._seen:
            self._seen[key] = self._tr(value)
        return self._seen[key]


@bp.app_template_global()
def queue_row_texts() -> RowTexts:
    return RowTexts()
