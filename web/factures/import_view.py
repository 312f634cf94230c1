"""« Importer des factures » (finance agents): a dry run shows the French report; « Confirmer l'import »
sends the same file back, signed, so that what is imported is exactly what was checked."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from flask import abort, current_app, flash, render_template, request
from flask_login import current_user
from flask_wtf import FlaskForm

from web.core.i18n import ngettext
from web.extensions import db

from . import bp
from .agents import finances_required


def _sign(content: bytes) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"factures-import:" + content, hashlib.sha256).hexdigest()


@bp.route("/agents/factures/import", methods=["GET", "POST"])
@finances_required
def import_invoices() -> Any:
    from forms.factures import InvoiceImportForm

    from .importer import MAX_BYTES, CsvImportError, run

    page = "factures/agents/import.html"
    session = db.session()
    actor = f"import ({current_user.display_name})"
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
            report = run(session, content, dry_run=False, actor=actor)
        except CsvImportError as error:
            return render_template(page, form=InvoiceImportForm(), errors=error.errors), 400
        flash(
            ngettext(
                "Import terminé : %(num)d facture créée.",
                "Import terminé : %(num)d factures créées.",
                len(report.created),
            ),
            "success",
        )
        return render_template(page, form=InvoiceImportForm(), report=report, done=True)
    form = InvoiceImportForm()
    if form.validate_on_submit():
        content = form.fichier.data.read(MAX_BYTES + 1)
        try:
            report = run(session, content, dry_run=True, actor=actor)
        except CsvImportError as error:
            return render_template(page, form=form, errors=error.errors), 400
        return render_template(
            page,
            form=form,
            report=report,
            confirm=confirm,
            contenu=base64.b64encode(content).decode(),
            signature=_sign(content),
            filename=form.fichier.data.filename,
        )
    return render_template(page, form=form), (400 if form.errors else 200)
