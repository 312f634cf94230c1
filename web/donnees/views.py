"""« Mes données » (the family's export) and « Données personnelles » (the public register)."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from engine.errors import NotFound
from web.core.access import family_required
from web.core.audit import Event, audit
from web.core.i18n import _
from web.core.personal_data import discover
from web.extensions import db

from . import bp, closure, services  # noqa: F401  (closure: the hooks of « Clôturer mon compte »)
from .models import ExportStatus


@bp.get("/mes-donnees")
@family_required
def mine() -> str:
    return render_template(
        "donnees/mes_donnees.html",
        export=services.current_export(db.session(), current_user.id),
        statuses=ExportStatus,
        providers=discover(),
        hours=current_app.config["EXPORT_DOWNLOAD_HOURS"],
    )


@bp.post("/mes-donnees/export")
@family_required
def ask_export() -> Response:
    export = services.request_export(db.session(), current_user)
    audit(
        Event.DATA_EXPORT,
        target=f"compte {current_user.id}",
        details={"etape": "demandé", "export": export.id, "statut": export.status},
    )
    if export.status == ExportStatus.READY:
        flash(_("Vos données sont prêtes : téléchargez-les ci-dessous (une seule fois)."), "success")
    else:
        flash(
            _(
                "Votre export est en préparation : vous recevrez un courriel dès qu'il sera prêt "
                "à télécharger."
            ),
            "success",
        )
    return redirect(url_for("donnees.mine"))


@bp.post("/mes-donnees/export/<int:export_id>")
@family_required
def download(export_id: int) -> Response:
    """A POST: the download spends the export (a GET never writes, web/core/transaction.py)."""
    try:
        content = services.take_download(db.session(), current_user.id, export_id)
    except NotFound:
        abort(404)
    audit(
        Event.DATA_EXPORT,
        target=f"compte {current_user.id}",
        details={"etape": "téléchargé", "export": export_id, "octets": len(content)},
    )
    response = current_app.response_class(content, mimetype="application/zip")
    response.headers["Content-Disposition"] = 'attachment; filename="mes-donnees-guichet.zip"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/donnees-personnelles")
def register_page() -> str:
    """The register of processing: what Guichet keeps, why, and for how long (public)."""
    return render_template("donnees/registre.html", config=current_app.config)
