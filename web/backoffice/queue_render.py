"""What the queue page needs beyond the view: counts as they read (exact up to the cap, « plus de
1 000 » beyond: engine/queue_counts.py) and the links of its rows, built cheaply."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from flask import current_app, url_for
from flask_babel import format_decimal
from flask_login import current_user
from markupsafe import Markup, escape

from engine import api
from web.core.i18n import _, current_language, date_formatter

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
_ID = str(9876543210)


class RowLinks:
    """The links of each row, escaped for an attribute: the dossier (with the queue's filter) and
    the claim, release and assign actions. `url_for` costs 30–40 µs a call and a page of 50 rows
    made 200 of them: each link is built and escaped once with a stand-in id, then the row's id
    goes in its place."""

    def __init__(self, args: dict[str, Any]) -> None:
        self._dossier = str(escape(url_for("backoffice.dossier", instance_id=_ID)))
        rest = url_for("backoffice.dossier", instance_id=_ID, **args).partition("?")[2]
        self._query = str(escape(f"&{rest}")) if rest else ""
        self._claim = str(escape(url_for("backoffice.claim_task", task_id=_ID)))
        self._release = str(escape(url_for("backoffice.release_task", task_id=_ID)))
        self._assign = str(escape(url_for("backoffice.assign_task", task_id=_ID)))

    def dossier(self, instance_id: int, task_id: int) -> str:
        """As `url_for("backoffice.dossier", instance_id=…, tache=…, **args)` writes it, escaped."""
        return f"{self._dossier.replace(_ID, str(int(instance_id)))}?tache={int(task_id)}{self._query}"

    def claim(self, task_id: int) -> str:
        return self._claim.replace(_ID, str(int(task_id)))

    def release(self, task_id: int) -> str:
        return self._release.replace(_ID, str(int(task_id)))

    def assign(self, task_id: int) -> str:
        return self._assign.replace(_ID, str(int(task_id)))


class QueueRows:
    """The `<tr>` rows of the queue table, written in Python: the hot path of the agents' most
    requested page (issue 19's load test GETs it before every decision). In the template, each
    `{{ f(x) }}` and `_()` of a row went through Jinja's runtime call (15 a row, 750 a page of 50),
    a third of the page's CPU. Every value is escaped here as Jinja's autoescape did (`escape`),
    and the HTML is the one the template wrote, modulo whitespace (docs/performance.md, « The
    agents' queue page, CPU »).

    The labels are translated once for the page, the texts with a value (« Sélectionner DEM-… »)
    formatted from one translation, the BPMN texts (démarche, task, status: a handful of values)
    looked up once each, the links built from one `url_for` each (`RowLinks`), the dates written
    with the language resolved once (`date_formatter`)."""

    def __init__(self, args: dict[str, Any], *, all_lanes: bool, me: int | None) -> None:
        self.links = RowLinks(args)
        self.all_lanes, self.me = all_lanes, me
        self._tr = current_app.jinja_env.filters["tr"]
        self._seen: dict[str | None, Markup] = {}
        self.received, self.due = date_formatter(), date_formatter(False)
        self.select, self.task_of = _("Sélectionner %(ref)s"), _("la tâche de %(name)s")
        self.t = {
            key: escape(text)
            for key, text in {
                "reference": _("Référence"),
                "demarche": _("Démarche"),
                "famille": _("Famille"),
                "recue": _("Reçue le"),
                "echeance": _("Échéance"),
                "statut": _("Statut"),
                "attribuee": _("Attribuée à"),
                "late": _("En retard"),
                "nobody": _("À personne"),
                "claim": _("Prendre en charge"),
                "me": _("Moi"),
                "release": _("Remettre dans la file"),
                "assign": _("Attribuer…"),
                "this_row": _("la tâche de cette ligne"),
                "reminded": _("Relancée"),
            }.items()
        }

    def tr(self, value: str | None) -> Markup:
        """The `tr` filter's text (web/demarches/catalogue.py), escaped, once per distinct value."""
        if value not in self._seen:
            self._seen[value] = escape(self._tr(value))
        return self._seen[value]

    def __call__(self, rows: Sequence[api.QueueRow], now: datetime) -> Markup:
        # Every value in the rows is escaped by `row` (or is an int): the joined text is safe.
        return Markup("".join([self.row(row, now) for row in rows]))  # noqa: S704

    def row(self, row: api.QueueRow, now: datetime) -> str:
        """One `<tr>`: as queue.html wrote it before (same elements, attributes and texts)."""
        t, task_id = self.t, row.id
        overdue = row.is_overdue(now)
        opening = '<tr class="row-overdue">' if overdue else "<tr>"
        check = ""
        if row.assignee_id is None:
            label = escape(self.select % {"ref": row.reference})
            check = (
                f'<input type="checkbox" name="taches" value="{task_id}" id="tache-{task_id}">'
                f'<label for="tache-{task_id}" class="visually-hidden">{label}</label>'
            )
        due = "—"
        if row.due_at:
            late = f' <strong class="overdue tag-overdue">{t["late"]}</strong>' if overdue else ""
            due = f"{escape(self.due(row.due_at))}{late}"
        reminded = ""
        if row.reminded_at and not overdue:
            reminded = f' <strong class="flag flag-reminded">{t["reminded"]}</strong>'
        lane = f" · {escape(row.lane)}" if self.all_lanes else ""
        hidden = t["this_row"]
        if row.requester_name:
            hidden = escape(self.task_of % {"name": row.requester_name})
        return (
            f"{opening}\n"
            f'<td data-label="">{check}</td>\n'
            f'<td data-label="{t["reference"]}"><a href="{self.links.dossier(row.instance_id, task_id)}"'
            f' class="reference-link">{escape(row.reference)}</a></td>\n'
            f'<td data-label="{t["demarche"]}">{self.tr(row.demarche_title)}<br>'
            f'<span class="hint">{self.tr(row.title)}{lane}</span></td>\n'
            f'<td data-label="{t["famille"]}">{escape(row.requester_name or "—")}</td>\n'
            f'<td data-label="{t["recue"]}">{escape(self.received(row.created_at))}</td>\n'
            f'<td data-label="{t["echeance"]}">{due}</td>\n'
            f'<td data-label="{t["statut"]}">{self.tr(row.status_label)}{reminded}</td>\n'
            f'<td data-label="{t["attribuee"]}">\n{self.holder(row)}\n'
            f'<br><a href="{self.links.assign(task_id)}">{t["assign"]}'
            f'<span class="visually-hidden"> {hidden}</span></a>\n</td>\n</tr>\n'
        )

    def holder(self, row: api.QueueRow) -> str:
        """Who holds the task, and the claim or release button."""
        t, reference = self.t, escape(row.reference)
        if row.assignee_id is None:
            return (
                f'<span class="muted">{t["nobody"]}</span><br>\n'
                f'<button type="submit" class="button button-small" formaction="{self.links.claim(row.id)}">'
                f'{t["claim"]}<span class="visually-hidden"> {reference}</span></button>'
            )
        if row.assignee_id == self.me:
            return (
                f"<strong>{t['me']}</strong><br>\n"
                f'<button type="submit" class="link-button" formaction="{self.links.release(row.id)}">'
                f'{t["release"]}<span class="visually-hidden"> {reference}</span></button>'
            )
        return str(escape(row.assignee_name))


@bp.app_template_global()
def queue_rows(rows: Sequence[api.QueueRow], view: Any, now: datetime, mine: str) -> Markup:
    """The rows of the queue table (`QueueRows`), for `view` (web/backoffice/queues.py::QueueView)."""
    me = getattr(current_user, "id", None)
    return QueueRows(view.args, all_lanes=not view.file or view.file == mine, me=me)(rows, now)


#: The filter's fields as rendered, by everything they depend on (see `queue_filter_fields`);
#: emptied when full (a query string is anyone's to vary).
_FILTER_FIELDS: dict[tuple[Any, ...], Markup] = {}
_FILTER_FIELDS_MAX = 256


@bp.app_template_global()
def queue_filter_fields(view: Any, mine: str) -> Markup:
    """The fields of the queue's filter (backoffice/_queue_filter_fields.html), for `view`
    (web/backoffice/queues.py::QueueView). Rendering them through forms.html's `render_field` and
    WTForms' widgets cost 1.2 ms, 14 % of the page. Their HTML depends only on the language, the
    fields' values and errors, whether « Attribuée à » is shown, and the choices read from the
    database by this request: together they are the key, so the same URL in the same language gives
    the same fields, and a démarche deployed meanwhile changes the key (nothing can go stale)."""
    form, attribution = view.form, view.file != mine
    state = tuple(
        (field.name, tuple(field.raw_data or ()), repr(field.data), tuple(str(e) for e in field.errors))
        for field in form
    )
    choices = (tuple(view.choices.demarches), tuple(view.choices.statuses))
    key = (current_language(), attribution, choices, state)
    found = _FILTER_FIELDS.get(key)
    if found is None:
        template = current_app.jinja_env.get_template("backoffice/_queue_filter_fields.html")
        # Rendered by Jinja with autoescape (an .html template), as if included in queue.html.
        found = Markup(template.render(form=form, attribution=attribution))  # noqa: S704
        if len(_FILTER_FIELDS) >= _FILTER_FIELDS_MAX:
            _FILTER_FIELDS.clear()
        _FILTER_FIELDS[key] = found
    return found
