"""Forms of the finance service's agents (web/factures/agents.py)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import Field, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from forms.validators import strip


class CancelInvoiceForm(FlaskForm):  # type: ignore[misc]
    motif = TextAreaField(
        "Motif de l'annulation",
        filters=[strip],
        validators=[
            DataRequired("Indiquez le motif de l'annulation : il figure dans l'historique de la facture."),
            Length(max=1000, message="Le motif ne doit pas dépasser 1 000 caractères."),
        ],
        description="Visible par la famille sur sa facture, par exemple « Absence justifiée "
        "(certificat médical) ».",
    )


class ReviewPaymentForm(FlaskForm):  # type: ignore[misc]
    note = TextAreaField(
        "Ce qui a été fait",
        filters=[strip],
        validators=[
            DataRequired("Indiquez ce qui a été fait (remboursement, rapprochement avec le relevé...)."),
            Length(max=1000, message="La note ne doit pas dépasser 1 000 caractères."),
        ],
        description="Par exemple « Remboursé par virement le 08/12 » ou "
        "« Rapproché du relevé DGFiP du 07/12 ».",
    )


class InvoiceImportForm(FlaskForm):  # type: ignore[misc]
    fichier = FileField(
        "Fichier CSV des factures",
        description="Export du logiciel de gestion, une ligne par ligne de facture, en UTF-8 (Windows-1252 "
        "accepté), séparateur point-virgule. 5 Mo au plus.",
        render_kw={"accept": ".csv,text/csv"},
        validators=[Optional()],
    )

    def validate_fichier(self, field: Field) -> None:
        storage = field.data
        if storage is None or not getattr(storage, "filename", ""):
            raise ValidationError("Choisissez le fichier CSV à importer.")
        if not storage.filename.lower().endswith((".csv", ".txt")):
            raise ValidationError("Le fichier doit être un fichier CSV (extension .csv).")
