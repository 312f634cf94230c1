"""Forms of the finance service's agents (web/factures/agents.py)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import Field, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from forms.dates import FrenchDateField
from forms.validators import strip

LINES = 4  # lines of the agents' « Nouvelle facture » form


class CancelInvoiceForm(FlaskForm):  # type: ignore[misc]
    motif = TextAreaField(
        _l("Motif de l'annulation"),
        filters=[strip],
        validators=[
            DataRequired(
                _l("Indiquez le motif de l'annulation : il figure dans l'historique de la facture.")
            ),
            Length(max=1000, message=_l("Le motif ne doit pas dépasser 1 000 caractères.")),
        ],
        description=_l(
            "Visible par la famille sur sa facture, par exemple « Absence justifiée (certificat médical) »."
        ),
    )


class ReviewPaymentForm(FlaskForm):  # type: ignore[misc]
    note = TextAreaField(
        _l("Ce qui a été fait"),
        filters=[strip],
        validators=[
            DataRequired(_l("Indiquez ce qui a été fait (remboursement, rapprochement avec le relevé...).")),
            Length(max=1000, message=_l("La note ne doit pas dépasser 1 000 caractères.")),
        ],
        description=_l(
            "Par exemple « Remboursé par virement le 08/12 » ou « Rapproché du relevé DGFiP du 07/12 »."
        ),
    )


class InvoiceImportForm(FlaskForm):  # type: ignore[misc]
    fichier = FileField(
        _l("Fichier CSV des factures"),
        description=_l(
            "Export du logiciel de gestion, une ligne par ligne de facture, en UTF-8 (Windows-1252 "
            "accepté), séparateur point-virgule. 5 Mo au plus."
        ),
        render_kw={"accept": ".csv,text/csv"},
        validators=[Optional()],
    )

    def validate_fichier(self, field: Field) -> None:
        storage = field.data
        if storage is None or not getattr(storage, "filename", ""):
            raise ValidationError(_l("Choisissez le fichier CSV à importer."))
        if not storage.filename.lower().endswith((".csv", ".txt")):
            raise ValidationError(_l("Le fichier doit être un fichier CSV (extension .csv)."))


def _line_fields(n: int) -> dict[str, Field]:
    return {
        f"enfant_{n}": StringField(
            _l("Enfant (n° du logiciel), ligne %(n)s", n=n),
            filters=[strip],
            validators=[Optional(), Length(max=50)],
            description=_l("Par exemple E-0001 ; vide pour une ligne sans enfant."),
        ),
        f"activite_{n}": StringField(
            _l("Activité (identifiant), ligne %(n)s", n=n),
            filters=[strip],
            validators=[Optional(), Length(max=50)],
            description=_l("Par exemple CL-MERC."),
        ),
        f"libelle_{n}": StringField(
            _l("Libellé, ligne %(n)s", n=n), filters=[strip], validators=[Optional(), Length(max=300)]
        ),
        f"quantite_{n}": StringField(
            _l("Quantité, ligne %(n)s", n=n), filters=[strip], validators=[Optional(), Length(max=6)]
        ),
        f"prix_{n}": StringField(
            _l("Prix unitaire (€), ligne %(n)s", n=n),
            filters=[strip],
            validators=[Optional(), Length(max=20)],
            description=_l("Par exemple 12,50."),
        ),
    }


class NewInvoiceForm(FlaskForm):  # type: ignore[misc]
    """An agent of the finance service issues an invoice by hand (lines: web/factures/create_view.py)."""

    famille = StringField(
        _l("Dossier famille (n° du logiciel)"),
        filters=[strip],
        validators=[
            InputRequired(_l("Indiquez le numéro du dossier famille, par exemple F-0001.")),
            Length(max=50),
        ],
    )
    debut = FrenchDateField(
        _l("Début de la période"),
        validators=[InputRequired(_l("Indiquez le début de la période (jj/mm/aaaa)."))],
    )
    fin = FrenchDateField(
        _l("Fin de la période"), validators=[InputRequired(_l("Indiquez la fin de la période (jj/mm/aaaa)."))]
    )
    echeance = FrenchDateField(
        _l("Échéance"),
        validators=[Optional()],
        description=_l("Vide : l'échéance habituelle (30 jours par défaut)."),
    )


for _n in range(1, LINES + 1):
    for _name, _field in _line_fields(_n).items():
        setattr(NewInvoiceForm, _name, _field)
