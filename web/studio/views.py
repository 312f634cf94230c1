"""Studio pages (roles analyste and admin; anyone else gets a 404 on every studio URL)."""

from __future__ import annotations

import re
from typing import Any

from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from engine import api
from engine.errors import Conflict, DeployError, NotFound
from forms.registry import load_all
from web.accounts.services import group_names
from web.core.errors import render_error
from web.core.i18n import _, ngettext
from web.extensions import db

from . import bp, building, editor_texts, scenario_views, services
from .helpers import (
    STUDIO_ROLES,
    _author,
    _ctx,
    _demarche_or_none,
    _problems_json,
    _read_upload,
    _wants_json,
    analyst_required,
)
from .models import ACTION_LABELS, StudioAction

MAX_COMMENT = 2000
#: A démarche's key (the executable process's id): what the URLs and the key columns accept.
KEY_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,99}$")


@bp.get("/")
@analyst_required
def home() -> str:
    session = db.session()
    demarches = api.studio_demarches(session)
    drafts = {d.key: d for d in services.drafts_of(session, current_user.id)}
    known = {d.key for d in demarches}
    return render_template(
        "studio/home.html",
        demarches=demarches,
        drafts=drafts,
        new_drafts=[d for k, d in drafts.items() if k not in known],
        journal=services.audit(session, limit=20),
        action_labels=ACTION_LABELS,
        import_errors=[],
    )


@bp.post("/importer")
@analyst_required
def import_file() -> Response | tuple[str, int]:
    """« Téléverser un fichier .bpmn » from another modeler: it becomes the analyst's draft, with its list."""
    session = db.session()
    data, error = _read_upload()
    validation = api.validate_bpmn(data, _ctx()) if data is not None else None
    if validation is not None and validation.process_id is None:
        error = (
            _("Ce fichier ne peut pas être ouvert dans le studio.")
            + " "
            + " ".join(p.message for p in validation.problems)
        )
    if error or data is None or validation is None or validation.process_id is None:
        return _home_with_error(error or _("Fichier illisible."), 400)
    key = validation.process_id
    if not KEY_PATTERN.match(key):
        return _home_with_error(
            _(
                "L'identifiant du processus « %(key)s » ne convient pas : il doit commencer par une lettre "
                "et ne contenir que des lettres sans accent, des chiffres, « _ », « - » ou « . » "
                "(100 caractères au plus). Corrigez-le dans votre outil, puis ouvrez le fichier de nouveau.",
                key=key[:120],
            ),
            400,
        )
    current = _demarche_or_none(key)
    services.save_draft(
        session, current_user.id, key, data.decode("utf-8"), current.current.version if current else 0
    )
    flash(
        _("Le fichier est ouvert comme votre brouillon : corrigez les problèmes listés puis publiez."),
        "success",
    )
    return redirect(url_for("studio.demarche", key=key))


def _page(key: str, status: int = 200, **extra: Any) -> tuple[str, int]:
    session = db.session()
    demarche = _demarche_or_none(key)
    draft = services.draft(session, current_user.id, key)
    if demarche is None and draft is None:
        raise NotFound(_("Cette démarche n'existe pas."))
    validation = api.validate_bpmn(draft.bpmn_xml.encode("utf-8"), _ctx()) if draft is not None else None
    context: dict[str, Any] = {
        "key": key,
        "demarche": demarche,
        "draft": draft,
        "validation": validation,
        "journal": services.audit(session, key=key),
        "action_labels": ACTION_LABELS,
        "comment": "",
        "comment_error": None,
        "publish_error": None,
        "upload_error": None,
        "refused": None,
        "scenario_failures": None,
        "title": demarche.title if demarche else ((validation.title if validation else None) or key),
        "steps": api.describe_version(session, key, demarche.current.version) if demarche else (),
    }
    context.update(extra)
    return render_template("studio/demarche.html", **context), status


@bp.get("/<key>")
@analyst_required
def demarche(key: str) -> tuple[str, int]:
    return _page(key)


@bp.post("/<key>/brouillon")
@analyst_required
def save_draft(key: str) -> Response | tuple[str, int] | tuple[Response, int]:
    """Save the analyst's draft: the editor's XML or an uploaded file. Never live; checked and listed."""
    session = db.session()
    data, error = _read_upload()
    if error or data is None:
        if _wants_json():
            return jsonify({"ok": False, "error": error}), 400
        return _page(key, 400, upload_error=error)
    demarche = _demarche_or_none(key)
    existing = services.draft(session, current_user.id, key)
    base = existing.base_version if existing else (demarche.current.version if demarche else 0)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        message = _("Le fichier n'est pas un texte UTF-8 : ce n'est pas un diagramme BPMN.")
        if _wants_json():
            return jsonify({"ok": False, "error": message}), 400
        return _page(key, 400, upload_error=message)
    services.save_draft(session, current_user.id, key, text, base)
    validation = api.validate_bpmn(data, _ctx())
    if _wants_json():
        return jsonify({**_problems_json(validation), "saved": True})
    flash(_("Brouillon enregistré (il n'est visible que par vous et n'est pas en service)."), "success")
    return redirect(url_for("studio.demarche", key=key))


@bp.post("/<key>/valider")
@analyst_required
def validate(key: str) -> tuple[Response, int] | Response:
    """The editor's live check: the problems of the posted XML, with element ids for the markers."""
    data, error = _read_upload()
    if error or data is None:
        return jsonify({"ok": False, "error": error}), 400
    return jsonify(_problems_json(api.validate_bpmn(data, _ctx())))


@bp.post("/<key>/brouillon/abandonner")
@analyst_required
def discard_draft(key: str) -> Response:
    services.discard_draft(db.session(), current_user.id, key)
    flash(_("Brouillon abandonné."), "success")
    return redirect(url_for("studio.demarche", key=key) if _demarche_or_none(key) else url_for("studio.home"))


@bp.post("/<key>/publier")
@analyst_required
def publish(key: str) -> Response | tuple[str, int]:
    """Publish the analyst's draft as the next version; 409 if someone published meanwhile."""
    session = db.session()
    draft = services.draft(session, current_user.id, key)
    comment = request.form.get("commentaire", "").strip()
    if draft is None:
        return _page(key, 400, publish_error=_("Vous n'avez pas de brouillon à publier pour cette démarche."))
    if not comment:
        return _page(key, 400, comment_error=_("Indiquez ce qui change dans cette version."), comment=comment)
    if len(comment) > MAX_COMMENT:
        return _page(
            key,
            400,
            comment_error=_("Le commentaire dépasse %(max)s caractères.", max=MAX_COMMENT),
            comment=comment,
        )
    try:
        version = building.publish_draft(session, current_user.id, _author(), key, comment)
    except building.CasesFailed as exc:  # every case is played on the draft first
        session.rollback()
        count = len(exc.failures)
        error = ngettext(
            "%(num)d cas de test échoue sur ce brouillon.",
            "%(num)d cas de test échouent sur ce brouillon.",
            count,
        )
        return _page(key, 400, publish_error=error, scenario_failures=exc.failures, comment=comment)
    except api.Refused as exc:
        session.rollback()
        return _page(key, 400, refused=exc.validation, comment=comment)
    except DeployError as exc:
        session.rollback()
        return _page(key, 400, publish_error=" ".join(_capital(e) for e in exc.errors), comment=comment)
    except Conflict as exc:
        # Nothing published; the draft row was committed by an earlier request and stays.
        session.rollback()
        return _page(key, 409, publish_error=exc.message, comment=comment)
    flash(
        _(
            "Version %(version)s publiée : les nouvelles demandes l'utilisent dès maintenant.",
            version=version.version,
        ),
        "success",
    )
    return redirect(url_for("studio.demarche", key=key))


def _capital(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else text + "."


@bp.post("/<key>/versions/<int:version>/republier")
@analyst_required
def rollback(key: str, version: int) -> Response | tuple[str, int]:
    """« Revenir à cette version »: republish an older version as the next one."""
    session = db.session()
    try:
        current = int(request.form.get("version_en_service", ""))
    except ValueError:
        abort(400)
    comment = request.form.get("commentaire", "").strip()[:MAX_COMMENT]
    failures = scenario_views.blocking_failures(key, api.version_xml(session, key, version))
    if failures:  # a republished version is a publication: its cases must pass too
        error = ngettext(
            "%(num)d cas de test échoue sur la version %(version)s.",
            "%(num)d cas de test échouent sur la version %(version)s.",
            len(failures),
            version=version,
        )
        return _page(key, 400, publish_error=error, scenario_failures=failures)
    try:
        published = api.rollback_version(
            session, key, version, author=_author(), comment=comment, ctx=_ctx(), expected_version=current
        )
    except api.Refused as exc:
        session.rollback()
        return _page(key, 400, refused=exc.validation)
    except DeployError as exc:
        session.rollback()
        return _page(key, 400, publish_error=" ".join(_capital(e) for e in exc.errors))
    except Conflict as exc:
        session.rollback()
        return _page(key, 409, publish_error=exc.message)
    services.record(
        session,
        actor=_author(),
        action=StudioAction.ROLLBACK,
        key=key,
        version=published.version,
        from_version=version,
        comment=published.comment,
    )
    flash(
        _(
            "La version %(old)s est republiée comme version %(new)s : les nouvelles demandes l'utilisent.",
            old=version,
            new=published.version,
        ),
        "success",
    )
    return redirect(url_for("studio.demarche", key=key))


def _bpmn_download(xml: str, filename: str) -> Response:
    filename = re.sub(r"[^A-Za-z0-9_.-]", "_", filename)
    return Response(
        xml,
        mimetype="application/xml",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/<key>/versions/<int:version>.bpmn")
@analyst_required
def download_version(key: str, version: int) -> Response:
    return _bpmn_download(api.version_xml(db.session(), key, version), f"{key}-v{version}.bpmn")


@bp.get("/<key>/brouillon.bpmn")
@analyst_required
def download_draft(key: str) -> Response:
    draft = services.draft(db.session(), current_user.id, key)
    if draft is None:
        raise NotFound(_("Vous n'avez pas de brouillon pour cette démarche."))
    return _bpmn_download(draft.bpmn_xml, f"{key}-brouillon.bpmn")


@bp.get("/choix.json")
@analyst_required
def choices() -> Response:
    """What the editor's « Guichet » group offers: agent groups (lanes), forms, service operations
    (with their parameter names)."""
    parameters = api.service_operation_parameters()
    return jsonify(
        {
            "groups": ["Famille", *group_names(db.session())],
            # Coded forms (forms/tasks/) and the data forms built in the form editor (web/studio/building.py).
            "forms": sorted(set(load_all()) | building.form_keys(db.session(), current_user.id)),
            "operations": [
                {"id": op, "description": desc, "parameters": parameters.get(op, [])}
                for op, desc in api.service_operations()
            ],
        }
    )


@bp.get("/<key>/editeur")
@analyst_required
def editor(key: str) -> tuple[str, int]:
    """The bpmn-js modeler on the analyst's draft (or the version in service), with the checks' markers."""
    session = db.session()
    demarche = _demarche_or_none(key)
    draft = services.draft(session, current_user.id, key)
    if demarche is None and draft is None:
        raise NotFound(_("Cette démarche n'existe pas."))
    if draft is not None or demarche is None:
        xml = draft.bpmn_xml if draft is not None else ""
        source_url = url_for("studio.download_draft", key=key)
    else:
        xml = api.version_xml(session, key, demarche.current.version)
        source_url = url_for("studio.download_version", key=key, version=demarche.current.version)
    validation = api.validate_bpmn(xml.encode("utf-8"), _ctx())
    return render_template(
        "studio/editor.html",
        key=key,
        demarche=demarche,
        draft=draft,
        xml=xml,
        source_url=source_url,
        validation=validation,
        title=demarche.title if demarche else (validation.title or key),
        texts=editor_texts.texts(),
    ), 200


@bp.errorhandler(413)
def too_large(_exc: Exception) -> tuple[str, int]:
    """A file far too large (e.g. 50 Mo) is refused before it is read, with the studio's message."""
    if not current_user.is_authenticated or current_user.role not in STUDIO_ROLES:
        return render_error(404)
    message = api.check_upload_size(request.content_length) or (
        _("Le fichier envoyé est trop volumineux : un diagramme BPMN ne peut pas dépasser 2048 Kio.")
    )
    return _home_with_error(message, 413)


def _home_with_error(message: str, status: int) -> tuple[str, int]:
    session = db.session()
    return render_template(
        "studio/home.html",
        demarches=api.studio_demarches(session),
        drafts={d.key: d for d in services.drafts_of(session, current_user.id)},
        new_drafts=[],
        journal=services.audit(session, limit=20),
        action_labels=ACTION_LABELS,
        import_errors=[message],
    ), status


@bp.get("/<key>/comparer")
@analyst_required
def compare(key: str) -> tuple[str, int]:
    """What changed between two published versions (elements added, removed, changed), as a list."""
    session = db.session()
    demarche = api.studio_demarche(session, key)
    numbers = [v.version for v in demarche.versions]
    new = request.args.get("a", type=int) or numbers[0]
    old = request.args.get("de", type=int) or (numbers[1] if len(numbers) > 1 else numbers[0])
    if old not in numbers or new not in numbers:
        raise NotFound(_("Cette version de la démarche n'existe pas."))
    return render_template(
        "studio/compare.html",
        key=key,
        demarche=demarche,
        title=demarche.title,
        old=old,
        new=new,
        numbers=numbers,
        changes=api.diff_versions(session, key, old, new),
        status_labels={"added": _("Ajouté"), "removed": _("Supprimé"), "changed": _("Modifié")},
    ), 200
