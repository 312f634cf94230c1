"""« Mes documents »: the family's pages (list and add, show with preview, rename, delete, download)."""

from __future__ import annotations

import io
from functools import wraps
from typing import Any

from flask import abort, flash, redirect, render_template, send_file, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from engine.errors import NotFound
from forms.coffre import StoreEditForm, StoreUploadForm
from forms.dates import today_in_france
from web.core.i18n import _
from web.core.previews import preview_png
from web.extensions import db

from . import bp, choice, services  # noqa: F401  (choice: the template global of document fields)
from .models import StoredDocument


def family_required(view: Any) -> Any:
    """Families only; an agent gets the same 404 as for a document that is not there."""

    @wraps(view)
    @login_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_user.is_staff:
            abort(404)
        return view(*args, **kwargs)

    return wrapper


def _mine(document_id: int) -> StoredDocument:
    try:
        return services.get(db.session(), current_user.id, document_id)
    except NotFound:
        abort(404)


def _list_page(form: StoreUploadForm, status: int = 200) -> tuple[str, int]:
    session = db.session()
    return render_template(
        "coffre/index.html",
        form=form,
        documents=services.documents_of(session, current_user.id),
        used=services.used_bytes(session, current_user.id),
        quota=services.quota_bytes(),
        today=today_in_france(),
    ), status


@bp.get("/mes-documents")
@family_required
def index() -> tuple[str, int]:
    return _list_page(StoreUploadForm(types=services.document_types()))


@bp.post("/mes-documents")
@family_required
def upload() -> Response | tuple[str, int]:
    form = StoreUploadForm(types=services.document_types())
    if not form.validate():
        return _list_page(form, 422)
    checked = form.fichier.documents[0]
    try:
        document = services.add(
            db.session(),
            current_user.id,
            checked,
            name=form.nom.data or None,
            kind=form.type_document.data,
            valid_until=form.valable_jusqu_au.data,
        )
    except services.QuotaExceeded as error:
        form.fichier.errors = [str(error)]
        return _list_page(form, 422)
    flash(_("Document « %(name)s » ajouté à vos documents.", name=document.name), "success")
    return redirect(url_for("coffre.show", document_id=document.id))


def _show_page(document: StoredDocument, form: StoreEditForm, status: int = 200) -> tuple[str, int]:
    return render_template("coffre/show.html", document=document, form=form, today=today_in_france()), status


@bp.get("/mes-documents/<int:document_id>")
@family_required
def show(document_id: int) -> tuple[str, int]:
    document = _mine(document_id)
    form = StoreEditForm(
        types=services.document_types(),
        data={"nom": document.name, "type_document": document.kind, "valable_jusqu_au": document.valid_until},
    )
    return _show_page(document, form)


@bp.post("/mes-documents/<int:document_id>")
@family_required
def edit(document_id: int) -> Response | tuple[str, int]:
    document = _mine(document_id)
    form = StoreEditForm(types=services.document_types())
    if not form.validate():
        return _show_page(document, form, 422)
    services.rename(
        db.session(), document, form.nom.data, form.type_document.data, form.valable_jusqu_au.data
    )
    flash(_("Document modifié."), "success")
    return redirect(url_for("coffre.show", document_id=document.id))


@bp.post("/mes-documents/<int:document_id>/supprimer")
@family_required
def delete(document_id: int) -> Response:
    document = _mine(document_id)
    name = document.name
    services.delete(db.session(), document)
    flash(_("Document « %(name)s » supprimé de vos documents.", name=name), "success")
    return redirect(url_for("coffre.index"))


def _no_store(response: Response) -> Response:
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/mes-documents/<int:document_id>/telecharger")
@family_required
def download(document_id: int) -> Response:
    document = _mine(document_id)
    checked = services.as_checked(document)
    response = send_file(
        io.BytesIO(checked.content),
        mimetype=checked.mime,
        as_attachment=True,
        download_name=checked.filename,
        max_age=0,
        etag=False,
    )
    return _no_store(response)


@bp.get("/mes-documents/<int:document_id>/apercu.png")
@family_required
def preview(document_id: int) -> Response:
    document = _mine(document_id)
    png = preview_png(services.content_of(document), document.mime)
    if png is None:
        abort(404)
    return _no_store(send_file(io.BytesIO(png), mimetype="image/png", max_age=0, etag=False))
