"""Download a document: the requesting family and the instance's agents only, always as an attachment."""

from __future__ import annotations

import io

from flask import send_file
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from engine.api import get_document
from web.core.previews import preview_png, unavailable_png
from web.extensions import db

from . import bp


@bp.get("/documents/<int:document_id>")
@login_required
def download(document_id: int) -> Response:
    """404 for a missing id and for a document of a request the user may not see (same answer)."""
    document = get_document(db.session(), document_id, current_user)
    response = send_file(
        io.BytesIO(document.content),
        mimetype=document.mime,
        as_attachment=True,
        download_name=document.filename,
        max_age=0,
        etag=False,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/documents/<int:document_id>/apercu.png")
@login_required
def preview(document_id: int) -> Response:
    """The first page (PDF) or the scaled image, for the dossier pages; same access rule as the download."""
    document = get_document(db.session(), document_id, current_user)
    png = preview_png(document.content, document.mime) or unavailable_png()
    response = send_file(io.BytesIO(png), mimetype="image/png", max_age=0, etag=False)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response
