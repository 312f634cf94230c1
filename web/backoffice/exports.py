"""Exports of the back office: the filtered queue and the closed requests, as CSV and ODS, streamed.

CSV: UTF-8 with a BOM (Excel then reads the accents right), `;` separator (French Excel), headers in the
agent's language, dates in Paris time, and cells that a spreadsheet would take for a formula (starting with
= + - @, a tab or a carriage return) prefixed with an apostrophe (OWASP « CSV injection »).
ODS: written on the fly by `stream-write-ods` (a ZIP streamed by `stream-zip`), dates as real
date cells in Paris time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from typing import Any

from flask import render_template, request
from flask_login import current_user

from engine import api
from engine.api import normalise
from forms.queues import ClosedExportForm
from web.core.access import staff_required
from web.core.audit import Event, audit
from web.core.i18n import _, _l, gettext
from web.core.presentation import PARIS
from web.core.spreadsheets import download, local, stream_csv, stream_ods
from web.extensions import db

from . import bp
from .queues import QueueView, _render_queue

QUEUE_HEADERS = (
    _l("Référence"),
    _l("Démarche"),
    _l("Tâche"),
    _l("Famille"),
    _l("Reçue le"),
    _l("Échéance"),
    _l("En retard"),
    _l("Statut"),
    _l("Service"),
    _l("Attribuée à"),
)
CLOSED_HEADERS = (
    _l("Référence"),
    _l("Démarche"),
    _l("Famille"),
    _l("Déposée le"),
    _l("Clôturée le"),
    _l("Statut"),
)


def _headers(headers: tuple[Any, ...]) -> list[str]:
    """The header row in the agent's language (CSV and ODS want plain strings)."""
    return [str(header) for header in headers]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", normalise(text)).strip("-")


@bp.get("/export.csv")
@staff_required
def export_queue_csv() -> Any:
    """The filtered queue as CSV."""
    return export_queue("csv")


@bp.get("/export.ods")
@staff_required
def export_queue_ods() -> Any:
    """The filtered queue as ODS."""
    return export_queue("ods")


def export_queue(fmt: str) -> Any:
    """The filtered queue (every page), as the agent sees it."""
    view = QueueView(request.args)
    if not view.valid:
        return _render_queue(view)
    now = view.query.now
    late = _("En retard")

    def rows() -> Iterator[list[Any]]:
        for row in api.iter_queue(db.session(), view.query):
            yield [
                row.reference,
                gettext(row.demarche_title),
                gettext(row.title),
                row.requester_name,
                local(row.created_at),
                local(row.due_at),
                late if row.is_overdue(now) else "",
                gettext(row.status_label) if row.status_label else "",
                row.lane,
                row.assignee_name or "",
            ]

    name = f"file-{_slug(view.file or 'tous-mes-services')}-{local(now):%Y-%m-%d}"  # type: ignore[str-format]
    audit(Event.EXPORT, target=name, details={"format": fmt, "filtres": request.query_string.decode()[:150]})
    if fmt == "csv":
        return download(stream_csv(_headers(QUEUE_HEADERS), rows()), name, fmt)
    return download(stream_ods(_("File"), _headers(QUEUE_HEADERS), rows()), name, fmt)


@bp.get("/demandes-cloturees")
@staff_required
def closed_requests() -> Any:
    """« Demandes clôturées »: choose a period, see the first ones, export them all."""
    form = ClosedExportForm(formdata=request.args if request.args else None)
    fmt = request.args.get("format")
    if not request.args or not form.validate():
        status = 400 if form.errors else 200
        return render_template("backoffice/closed.html", form=form, rows=None), status
    start = datetime.combine(form.du.data, time(0), PARIS)
    end = datetime.combine(form.au.data + timedelta(days=1), time(0), PARIS)
    groups = current_user.groups

    def rows() -> Iterator[list[Any]]:
        for row in api.iter_closed(db.session(), groups, start, end):
            yield [
                row.reference,
                gettext(row.demarche_title),
                row.requester_name,
                local(row.created_at),
                local(row.completed_at),
                gettext(row.status_label) if row.status_label else "",
            ]

    name = f"demandes-cloturees-{form.du.data:%Y-%m-%d}-au-{form.au.data:%Y-%m-%d}"
    if fmt in ("csv", "ods"):
        audit(Event.EXPORT, target=name, details={"format": fmt})
    if fmt == "csv":
        return download(stream_csv(_headers(CLOSED_HEADERS), rows()), name, "csv")
    if fmt == "ods":
        return download(stream_ods(_("Demandes clôturées"), _headers(CLOSED_HEADERS), rows()), name, "ods")
    preview = []
    for row in rows():
        preview.append(row)
        if len(preview) == 50:
            break
    return render_template(
        "backoffice/closed.html", form=form, rows=preview, headers=_headers(CLOSED_HEADERS)
    )
