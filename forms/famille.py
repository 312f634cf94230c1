"""Forms of « Ma famille » (agents' import and corrections) and of « Actualités » (communication)."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import Field, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, ValidationError

from forms.dates import FrenchDateField
from forms.fields import phone_field
from forms.validators import collapse_spaces, not_in_future, strip

MAX_CSV_BYTES = 5 * 1024 * 1024
MAX_IMAGE_BYTES = 5 * 1024 * 1024


class ImportForm(FlaskForm):  # type: ignore[misc]
    """An agent of the Enfance service uploads a CSV from the town's management software."""

    fichier = FileField(
        "Fichier CSV",
        description="Export du logiciel de gestion : fichier des activités ou fichier des familles, en UTF-8 "
        "(Windows-1252 accepté), séparateur point-virgule. 5 Mo au plus.",
        render_kw={"accept": ".csv,text/csv"},
    )

    def validate_fichier(self, field: Field) -> None:
        storage = field.data
        if storage is None or not getattr(storage, "filename", ""):
            raise ValidationError("Choisissez le fichier CSV à importer.")
        if not storage.filename.lower().endswith((".csv", ".txt")):
            raise ValidationError("Le fichier doit être un fichier CSV (extension .csv).")


class ChildForm(FlaskForm):  # type: ignore[misc]
    """An agent corrects a child's record (what the software's next import will also send)."""

    nom = StringField(
        "Nom",
        filters=[strip, collapse_spaces],
        validators=[DataRequired("Indiquez le nom."), Length(max=150)],
    )
    prenom = StringField(
        "Prénom",
        filters=[strip, collapse_spaces],
        validators=[DataRequired("Indiquez le prénom."), Length(max=150)],
    )
    date_naissance = FrenchDateField(
        "Date de naissance",
        validators=[Optional(), not_in_future],
        description="Format jj/mm/aaaa, par exemple 14/03/2017.",
    )
    ecole = StringField("École", filters=[strip, collapse_spaces], validators=[Optional(), Length(max=200)])
    classe = StringField(
        "Classe",
        filters=[strip, collapse_spaces],
        validators=[Optional(), Length(max=50)],
        description="Par exemple CE1, MS, 6e.",
    )


class AddressForm(FlaskForm):  # type: ignore[misc]
    """An agent corrects the household's address (what the software's next import will also send)."""

    adresse = StringField(
        "Adresse",
        filters=[strip, collapse_spaces],
        validators=[Optional(), Length(max=300, message="L'adresse fait 300 caractères au plus.")],
        description="Numéro, rue, code postal et commune, par exemple 12 rue des Lilas 78140 Vélizy. "
        "Laissez vide si elle n'est pas connue.",
        render_kw={"autocomplete": "off"},
    )


class MemberForm(FlaskForm):  # type: ignore[misc]
    """An agent corrects a responsible adult of the household."""

    nom = StringField(
        "Nom",
        filters=[strip, collapse_spaces],
        validators=[
            DataRequired("Indiquez le nom."),
            Length(max=150, message="Le nom fait 150 caractères au plus."),
        ],
    )
    prenom = StringField(
        "Prénom",
        filters=[strip, collapse_spaces],
        validators=[
            DataRequired("Indiquez le prénom."),
            Length(max=150, message="Le prénom fait 150 caractères au plus."),
        ],
    )
    telephone = phone_field("Téléphone", "06 12 34 56 78 (facultatif)", autocomplete=False)
    courriel = StringField(
        "Adresse de courriel",
        filters=[strip],
        validators=[
            Optional(),
            Length(max=320, message="L'adresse de courriel fait 320 caractères au plus."),
            Email("Cette adresse de courriel n'est pas valable.", check_deliverability=False),
        ],
        description="Facultative, par exemple prenom.nom@exemple.fr.",
        render_kw={"autocomplete": "off", "inputmode": "email"},
    )


AUDIENCES = [
    SelectChoice("tous", "Tout le monde (page d'accueil, liste des actualités et flux Atom)"),
    SelectChoice("service", "Les familles d'un service"),
    SelectChoice("activite", "Les familles d'une activité"),
]


class NewsForm(FlaskForm):  # type: ignore[misc]
    """A communication agent writes a news item; the body is sanitised on the server (allowlist)."""

    titre = StringField(
        "Titre",
        filters=[strip, collapse_spaces],
        validators=[
            DataRequired("Indiquez le titre."),
            Length(max=200, message="Le titre fait 200 caractères au plus."),
        ],
    )
    resume = TextAreaField(
        "Résumé",
        filters=[strip],
        validators=[
            DataRequired("Indiquez un résumé de l'actualité."),
            Length(max=500, message="Le résumé fait 500 caractères au plus."),
        ],
        description="Affiché dans les listes et dans le flux. Texte simple, 500 caractères au plus.",
    )
    corps = TextAreaField(
        "Texte",
        filters=[strip],
        validators=[Optional(), Length(max=20000, message="Le texte fait 20 000 caractères au plus.")],
        description="Mise en forme simple : un paragraphe par ligne vide, ou les balises <p>, <strong>, "
        "<em>, "
        '<ul>, <ol>, <li>, <h2>, <h3>, <a href="https://…">. Tout le reste (scripts, styles, attributs) '
        "est retiré à l'enregistrement.",
        render_kw={"rows": 10},
    )
    image = FileField(
        "Image",
        description="Facultative. JPEG, PNG, GIF ou WebP de 5 Mo au plus ; elle est redimensionnée "
        "(1200 pixels de large au plus).",
        render_kw={"accept": "image/jpeg,image/png,image/gif,image/webp"},
    )
    image_alt = StringField(
        "Texte alternatif de l'image",
        filters=[strip, collapse_spaces],
        validators=[Optional(), Length(max=300)],
        description="Obligatoire avec une image : décrivez ce qu'elle montre pour les personnes qui ne la "
        "voient pas.",
    )
    retirer_image = RadioField(
        "Image actuelle",
        choices=[SelectChoice("garder", "La garder"), SelectChoice("retirer", "La retirer")],
        default="garder",
        validators=[Optional()],
    )
    publication = FrenchDateField(
        "Date de publication",
        validators=[InputRequired("Indiquez la date de publication.")],
        description="L'actualité apparaît ce jour-là. Format jj/mm/aaaa.",
    )
    expiration = FrenchDateField(
        "Date de fin d'affichage",
        validators=[Optional()],
        description="Facultative : l'actualité disparaît ce jour-là. Format jj/mm/aaaa.",
    )
    audience = RadioField(
        "Qui la voit ?",
        choices=AUDIENCES,
        default="tous",
        validators=[InputRequired("Choisissez qui la voit.")],
    )
    # Checked by validate_service / validate_activite (no Optional(): it would stop them).
    service = SelectField("Service", choices=[], validate_choice=False)
    activite = SelectField("Activité", choices=[], validate_choice=False)

    def validate_expiration(self, field: Field) -> None:
        if field.data and self.publication.data and field.data <= self.publication.data:
            raise ValidationError("La date de fin d'affichage doit être après la date de publication.")

    def validate_service(self, field: Field) -> None:
        if self.audience.data == "service":
            allowed = {str(c[0]) for c in _choices(field)}
            if not field.data or field.data not in allowed:
                raise ValidationError("Choisissez le service dont les familles verront l'actualité.")

    def validate_activite(self, field: Field) -> None:
        if self.audience.data == "activite":
            allowed = {str(c[0]) for c in _choices(field)}
            if not field.data or field.data not in allowed:
                raise ValidationError("Choisissez l'activité dont les familles verront l'actualité.")


def _choices(field: Any) -> list[Any]:
    return [(c.value, c.label) if isinstance(c, SelectChoice) else c for c in field.choices]
