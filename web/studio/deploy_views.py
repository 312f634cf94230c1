"""Studio pages around a new version: which running requests can move (and moving them, undoing it),
and where requests wait (figures per element, one request's path)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from engine import api
from engine.errors import Conflict, DeployError, NotFound
from web.core.i18n import _, ngettext
from web.extensions import db

from . import bp, scenario_services, services
from .helpers import _author, _demarche_or_none, analyst_required

PARIS = ZoneInfo("Europe/Paris")


def _demarche(key: str) -> api.DemarcheView:
    demarche = _demarche_or_none(key)
    if demarche is None:
        raise NotFound(_("Cette démarche n'existe pas."))
    return demarche


@bp.route("/<key>/apercu", methods=["GET", "POST"])
@analyst_required
def preview_draft(key: str) -> tuple[str, int]:
    """Before publishing: the running requests split by the draft, and (POST) the cases replayed on it."""
    session = db.session()
    demarche = _demarche(key)
    draft = services.draft(session, current_user.id, key)
    if draft is None:
        raise NotFound(_("Vous n'avez pas de brouillon pour cette démarche."))
    error = None
    try:
        preview = api.migration_preview_draft(session, key, draft.bpmn_xml)
    except DeployError as exc:
        preview, error = None, " ".join(exc.errors)
    results = scenario_services.run_all(session, key, draft.bpmn_xml) if request.method == "POST" else None
    return render_template(
        "studio/preview.html",
        key=key,
        title=demarche.title,
        demarche=demarche,
        preview=preview,
        preview_error=error,
        results=results,
        draft_mode=True,
        batches=(),
    ), 200


@bp.get("/<key>/deplacement")
@analyst_required
def migration(key: str) -> tuple[str, int]:
    """After publishing: the running requests on older versions, which can move to the current one."""
    session = db.session()
    demarche = _demarche(key)
    preview = api.migration_preview_version(session, key, demarche.current.version)
    return render_template(
        "studio/preview.html",
        key=key,
        title=demarche.title,
        demarche=demarche,
        preview=preview,
        preview_error=None,
        results=None,
        draft_mode=False,
        batches=api.migration_batches(session, key),
    ), 200


@bp.post("/<key>/deplacer")
@analyst_required
def migrate(key: str) -> Response | tuple[str, int]:
    """Move the movable requests (each under its lock, loaded back before writing)."""
    session = db.session()
    try:
        expected = int(request.form.get("version", ""))
        ids = [int(v) for v in request.form.getlist("demande")]
    except ValueError:
        ids, expected = [], 0
    if not ids:
        flash(_("Aucune demande à déplacer n'a été choisie : rien n'a été changé."), "error")
        return redirect(url_for("studio.migration", key=key))
    try:
        outcome = api.migrate_requests(session, key, ids, expected_version=expected, actor=_author())
    except Conflict as exc:
        session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("studio.migration", key=key))
    moved = len(outcome.moved)
    message = ngettext(
        "%(num)d demande déplacée vers la version %(version)s.",
        "%(num)d demandes déplacées vers la version %(version)s.",
        moved,
        version=expected,
    )
    if outcome.skipped:
        skipped = " ; ".join(f"{r} ({why})" for r, why in outcome.skipped)
        message += " " + _("Restées sur leur version : %(list)s.", list=skipped)
    flash(message, "success")
    return redirect(url_for("studio.migration", key=key))


@bp.post("/<key>/deplacements/<batch>/annuler")
@analyst_required
def undo_migration(key: str, batch: str) -> Response:
    session = db.session()
    try:
        outcome = api.undo_migration(session, batch, actor=_author(), key=key)
    except Conflict as exc:
        session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("studio.migration", key=key))
    message = ngettext(
        "%(num)d demande revenue à sa version précédente.",
        "%(num)d demandes revenues à leur version précédente.",
        len(outcome.moved),
    )
    if outcome.skipped:
        skipped = " ; ".join(f"{r} ({why})" for r, why in outcome.skipped)
        message += " " + _("Non annulé : %(list)s.", list=skipped)
    flash(message, "success")
    return redirect(url_for("studio.migration", key=key))


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _period() -> tuple[date | None, date | None, list[str]]:
    errors = []
    since, until = _day(request.args.get("du")), _day(request.args.get("au"))
    if request.args.get("du") and since is None:
        errors.append(_("La date de début n'est pas une date (jj/mm/aaaa)."))
    if request.args.get("au") and until is None:
        errors.append(_("La date de fin n'est pas une date (jj/mm/aaaa)."))
    if since and until and until < since:
        errors.append(_("La date de fin est avant la date de début."))
        until = None
    return since, until, errors


def _utc(day: date | None, *, end: bool = False) -> datetime | None:
    if day is None:
        return None
    moment = datetime.combine(day + timedelta(days=1) if end else day, time(), PARIS)
    return moment.astimezone(ZoneInfo("UTC"))


@bp.get("/<key>/attente")
@analyst_required
def waiting(key: str) -> tuple[str, int]:
    """Per element (user task, timer, automatic step): requests passed, waiting now, median and 90th
    percentile of the time spent."""
    session = db.session()
    demarche = _demarche(key)
    numbers = [v.version for v in demarche.versions]
    version = request.args.get("version", type=int)
    if version is not None and version not in numbers:
        raise NotFound(_("Cette version de la démarche n'existe pas."))
    since, until, errors = _period()
    figures = api.element_figures(
        session, key, version=version, since=_utc(since), until=_utc(until, end=True)
    )
    most = max((f.waiting for f in figures if f.kind == "user"), default=0)  # the busiest task
    path_steps, reference, path_error, path_version = _request_path(session, key)
    context: dict[str, Any] = {
        "key": key,
        "title": demarche.title,
        "numbers": numbers,
        "version": version,
        "diagram_version": path_version or version or demarche.current.version,
        "since": since,
        "until": until,
        "errors": errors,
        "figures": figures,
        "most": most,
        "duration": api.human_duration,
        "kinds": api.WAITING_KIND_LABELS,
        "reference": reference,
        "path": path_steps,
        "path_error": path_error,
    }
    return render_template("studio/waiting.html", **context), 400 if errors else 200


def _request_path(session: Any, key: str) -> tuple[list[api.PathStep], str, str | None, int | None]:
    """One request's path (its reference typed in the page's second form) and its version."""
    reference = (request.args.get("reference") or "").strip()[:30]
    if not reference:
        return [], "", None, None
    found = api.find_request(session, key, reference.upper())
    if found is None:
        return [], reference, _("Aucune demande « %(ref)s » pour cette démarche.", ref=reference), None
    return api.request_path(session, found[0]), reference, None, found[1]
