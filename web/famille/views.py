"""« Ma famille » for the families; « Dossiers famille » (view, correct, import) for the Enfance agents."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from web.core.access import family_required
from web.core.i18n import _
from web.extensions import db

from . import bp, facilities  # noqa: F401  (facilities: registers the facility pages' provider)
from .services import (
    ENFANCE,
    NotFound,
    child_for_agent,
    children_of,
    may_manage_records,
    member_for_agent,
    record_for_agent,
    records_of,
    search_records,
)

# --- Families -----------------------------------------------------------------------------------


@bp.get("/ma-famille")
@family_required
def my_family() -> str:
    """The family's record(s) as the services know them: responsible adults, children, activities."""
    session = db.session()
    return render_template(
        "famille/ma_famille.html",
        records=records_of(current_user),
        children=children_of(session, current_user),
    )


# --- Agents of the Enfance service ----------------------------------------------------------------


def enfance_required(view: Any) -> Any:
    """Agents of the Enfance service only: families get a 403, other agents too."""

    @wraps(view)
    @login_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not may_manage_records(current_user):
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def _record_or_404(record_id: int) -> Any:
    try:
        return record_for_agent(db.session(), record_id, current_user)
    except NotFound:
        abort(404)


@bp.get("/agents/familles")
@enfance_required
def records() -> str:
    text = request.args.get("q", "")[:100]
    return render_template(
        "famille/agents/records.html", records=search_records(db.session(), current_user, text), q=text
    )


@bp.get("/agents/familles/<int:record_id>")
@enfance_required
def record(record_id: int) -> str:
    found = _record_or_404(record_id)
    return render_template("famille/agents/record.html", record=found)


def _shown(obj: Any, fields: dict[str, tuple[str, str]]) -> dict[str, Any] | None:
    """What a correction form shows on GET (None on POST: the form reads what was typed); `fields`
    maps each form field to (attribute, label), as web/famille/services.py corrects them."""
    if request.method != "GET":
        return None
    return {field: getattr(obj, attr) for field, (attr, _) in fields.items()}


def _fields(changed: list[str]) -> str:
    """The corrected fields (French msgids: « école », « classe »...) in the page's language."""
    return ", ".join(_(label) for label in changed)


def _correction(
    found: Any,
    form: Any,
    apply: Callable[[], list[str]],
    done: Callable[[list[str]], str],
    page: str,
    **context: Any,
) -> Response | tuple[str, int]:
    """The steps every agent's correction shares: apply a valid form, say what changed, back to the
    record; otherwise the page again (400 with the French messages and what was typed)."""
    if form.validate_on_submit():
        changed = apply()
        db.session.flush()
        if changed:
            flash(done(changed), "success")
        else:
            flash(_("Rien n'a changé."), "info")
        return redirect(url_for("famille.record", record_id=found.id))
    status = 400 if form.errors else 200
    return render_template(page, record=found, form=form, **context), status


@bp.route("/agents/familles/<int:record_id>/enfants/<int:child_id>", methods=["GET", "POST"])
@enfance_required
def edit_child(record_id: int, child_id: int) -> Response | tuple[str, int]:
    from forms.famille import ChildForm

    from .services import CHILD_FIELDS, correct_child

    found = _record_or_404(record_id)
    try:
        child = child_for_agent(db.session(), found, child_id)
    except NotFound:
        abort(404)
    form = ChildForm(data=_shown(child, CHILD_FIELDS))
    return _correction(
        found,
        form,
        lambda: correct_child(child, {f: form[f].data for f in CHILD_FIELDS}, by=f"agent {current_user.id}"),
        lambda changed: _(
            "Dossier corrigé (%(fields)s) pour %(name)s.", fields=_fields(changed), name=child.full_name
        ),
        "famille/agents/child.html",
        child=child,
    )


@bp.route("/agents/familles/<int:record_id>/adresse", methods=["GET", "POST"])
@enfance_required
def edit_address(record_id: int) -> Response | tuple[str, int]:
    from forms.famille import AddressForm

    from .services import correct_address

    found = _record_or_404(record_id)
    form = AddressForm(data={"adresse": found.address} if request.method == "GET" else None)
    return _correction(
        found,
        form,
        lambda: correct_address(found, form.adresse.data, by=f"agent {current_user.id}"),
        lambda changed: _("Adresse du dossier %(name)s corrigée.", name=found.name),
        "famille/agents/address.html",
    )


@bp.route("/agents/familles/<int:record_id>/responsables/<int:member_id>", methods=["GET", "POST"])
@enfance_required
def edit_member(record_id: int, member_id: int) -> Response | tuple[str, int]:
    from forms.famille import MemberForm

    from .services import MEMBER_FIELDS, correct_member

    found = _record_or_404(record_id)
    try:
        member = member_for_agent(db.session(), found, member_id)
    except NotFound:
        abort(404)
    form = MemberForm(data=_shown(member, MEMBER_FIELDS))
    return _correction(
        found,
        form,
        lambda: correct_member(
            member, {f: form[f].data for f in MEMBER_FIELDS}, by=f"agent {current_user.id}"
        ),
        lambda changed: _(
            "Dossier corrigé (%(fields)s) pour %(name)s.", fields=_fields(changed), name=member.full_name
        ),
        "famille/agents/member.html",
        member=member,
    )


# The dry run shows the report; « Confirmer l'import » sends the same file back, signed so that what is
# imported is exactly what was checked (the import checks it all again anyway, in one transaction).


def _sign(content: bytes) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"famille-import:" + content, hashlib.sha256).hexdigest()


@bp.route("/agents/familles/import", methods=["GET", "POST"])
@enfance_required
def import_csv() -> str | Response | tuple[str, int]:
    from forms.famille import ImportForm

    from .importer import MAX_BYTES, CsvImportError, run

    session = db.session()
    confirm = FlaskForm()
    if request.method == "POST" and request.form.get("action") == "confirmer":
        if not confirm.validate_on_submit():
            abort(400)
        try:
            content = base64.b64decode(request.form.get("contenu", ""), validate=True)
        except ValueError:
            abort(400)
        if not hmac.compare_digest(_sign(content), request.form.get("signature", "")):
            abort(400)
        try:
            report = run(session, content, dry_run=False)
        except CsvImportError as error:
            return render_template("famille/agents/import.html", form=ImportForm(), errors=error.errors), 400
        flash(
            _(
                "Import terminé : %(created)s création(s), %(changed)s modification(s).",
                created=len(report.created),
                changed=len(report.changed),
            ),
            "success",
        )
        return render_template("famille/agents/import.html", form=ImportForm(), report=report, done=True)
    form = ImportForm()
    if form.validate_on_submit():
        content = form.fichier.data.read(MAX_BYTES + 1)
        try:
            report = run(session, content, dry_run=True)
        except CsvImportError as error:
            return render_template("famille/agents/import.html", form=form, errors=error.errors), 400
        return render_template(
            "famille/agents/import.html",
            form=form,
            report=report,
            confirm=confirm,
            contenu=base64.b64encode(content).decode(),
            signature=_sign(content),
            filename=form.fichier.data.filename,
        )
    status = 400 if form.errors else 200
    return render_template("famille/agents/import.html", form=form), status


__all__ = ["ENFANCE", "bp"]
