"""« Choisir dans mes documents » for every document field of a démarche (forms.documents.DocumentStore).

The field's macro (web/templates/_macros/documents.html, `document_choice`) adds, beside the file
input, a select named `<field>-coffre` listing the family's documents and a checkbox `<field>-garder`
(« Garder ce fichier dans mes documents »); no JavaScript. The field's validator asks this store for
the picked documents and hands it the uploads to keep, in the request's transaction.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Flask, has_request_context, request
from flask_login import current_user
from wtforms import Field
from wtforms.validators import ValidationError

from engine.errors import NotFound
from forms.dates import today_in_france
from forms.documents import STORE_EXTENSION, CheckedFile
from forms.registry import source_text
from web.core.i18n import _, _l, local_date
from web.extensions import db

from . import bp, services

GONE = _l("Ce document ne se trouve plus dans vos documents : choisissez-en un autre.")


def _family_id() -> int | None:
    if not has_request_context():
        return None  # a form validated outside a request (a script): no store to offer
    if not current_user or not current_user.is_authenticated or current_user.is_staff:
        return None
    return int(current_user.id)


class FamilyStore:
    """The signed-in family's store, as seen by document fields."""

    def chosen(self, field: Field) -> list[CheckedFile]:
        user_id = _family_id()
        raw = request.form.getlist(f"{field.name}-coffre") if user_id else []
        picked: list[CheckedFile] = []
        for value in raw:
            if not value:
                continue
            try:
                document = services.get(db.session(), user_id or 0, int(value))
            except (NotFound, ValueError):
                raise ValidationError(str(GONE)) from None
            if document.expired(today_in_france()):
                raise ValidationError(
                    _(
                        "Le document « %(name)s » n'est plus valable depuis le %(date)s : "
                        "choisissez un document à jour ou téléversez-en un nouveau.",
                        name=document.name,
                        date=local_date(document.valid_until, with_time=False),
                    )
                )
            picked.append(services.as_checked(document))
        return picked

    def keep(self, field: Field, files: list[CheckedFile]) -> None:
        user_id = _family_id()
        if not user_id or not request.form.get(f"{field.name}-garder"):
            return
        label = source_text(field.label.text)  # French, as the document types are
        kind = label if label in services.document_types() else None
        for checked in files:
            try:
                services.add(db.session(), user_id, checked, kind=kind or _guess_kind(label))
            except services.QuotaExceeded as error:
                raise ValidationError(str(error)) from None


def _guess_kind(label: str) -> str:
    """The stored (French) type the field's label names, in French or in the page's language."""
    lowered = label.lower()
    for kind in services.document_types():
        if kind.lower() in lowered or _(kind).lower() in lowered:
            return kind
    return "Autre document"


@bp.app_template_global()
def store_choices(field: Any) -> list[dict[str, Any]] | None:
    """The family's documents for a field's select (None for agents and visitors: no store to offer)."""
    user_id = _family_id()
    if user_id is None:
        return None
    today: date = today_in_france()
    selected = set(request.form.getlist(f"{field.name}-coffre")) if request.method == "POST" else set()
    return [
        {
            "id": document.id,
            "label": _label(document, today),
            "expired": document.expired(today),
            "selected": str(document.id) in selected,
        }
        for document in services.documents_of(db.session(), user_id)
    ]


def _label(document: Any, today: date) -> str:
    """« Facture EDF — Justificatif de domicile (expiré le 31/12/2025) » in the page's language."""
    label = f"{document.name} — {_(document.kind)}"
    if document.expired(today):
        date_text = local_date(document.valid_until, with_time=False)
        label += " " + _("(expiré le %(date)s)", date=date_text)
    return label


def register(app: Flask) -> None:
    app.extensions[STORE_EXTENSION] = FamilyStore()
