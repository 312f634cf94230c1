"""Forms of « Mes documents »: add a document to the family's store, rename or re-type it."""

from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from forms.dates import FrenchDateField
from forms.documents import DocumentField
from forms.validators import strip

_BAD = re.compile(r"[\x00-\x1f\x7f/\\]")


def _plain(form: FlaskForm, field: Field) -> None:
    if field.data and _BAD.search(field.data):
        raise ValidationError(
            _(
                "Le nom ne peut contenir ni barre oblique (/ ou \\), ni caractère de contrôle : "
                "écrivez un nom simple, par exemple « Facture EDF mars 2026 »."
            )
        )


class _Details(FlaskForm):  # type: ignore[misc]
    nom = StringField(
        _l("Nom du document"),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=150, message=_l("Le nom tient en 150 caractères au plus.")),
            _plain,
        ],
        description=_l("Par exemple « Facture EDF mars 2026 ». Laissé vide : le nom du fichier."),
    )
    type_document = SelectField(
        _l("Type de document"),
        validators=[InputRequired(message=_l("Choisissez le type de document."))],
        validate_choice=True,
    )
    valable_jusqu_au = FrenchDateField(
        _l("Valable jusqu'au (facultatif)"),
        validators=[Optional()],
        description=_l(
            "La date après laquelle la pièce n'est plus acceptée (pièce d'identité, attestation…)."
        ),
    )

    def __init__(self, *args: object, types: list[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.type_document.choices = [("", _("Choisissez un type"))] + [(t, _(t)) for t in types]


class StoreUploadForm(_Details):
    """A new document: the file (checked by content), its type and validity."""

    multipart = True
    fichier = DocumentField(_l("Fichier"), required=True, message=_l("Choisissez le fichier à ajouter."))


class StoreEditForm(_Details):
    """Rename a document, change its type or validity."""

    def validate_nom(self, field: Field) -> None:
        if not field.data:
            raise ValidationError(_("Indiquez un nom pour le document."))
