"""Forms of « Ma famille » (agents' import and corrections) and of « Actualités » (communication)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
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
        _l("Fichier CSV"),
        description=_l(
            "Export du logiciel de gestion : fichier des activités ou fichier des familles, en UTF-8 "
            "(Windows-1252 accepté), séparateur point-virgule. 5 Mo au plus."
        ),
        render_kw={"accept": ".csv,text/csv"},
    )

    def validate_fichier(self, field: Field) -> None:
        storage = field.data
        if storage is None or not getattr(storage, "filename", ""):
            raise ValidationError(_("Choisissez le fichier CSV à importer."))
        if not storage.filename.lower().endswith((".csv", ".txt")):
            raise ValidationError(_("Le fichier doit être un fichier CSV (extension .csv)."))


class ChildForm(FlaskForm):  # type: ignore[misc]
    """An agent corrects a child's record (what the software's next import will also send)."""

    nom = StringField(
        _l("Nom"),
        filters=[strip, collapse_spaces],
        validators=[DataRequired(_l("Indiquez le nom.")), Length(max=150)],
    )
    prenom = StringField(
        _l("Prénom"),
        filters=[strip, collapse_spaces],
        validators=[DataRequired(_l("Indiquez le prénom.")), Length(max=150)],
    )
    date_naissance = FrenchDateField(
        _l("Date de naissance"),
        validators=[Optional(), not_in_future],
        description=_l("Format jj/mm/aaaa, par exemple 14/03/2017."),
    )
    ecole = StringField(
        _l("École"), filters=[strip, collapse_spaces], validators=[Optional(), Length(max=200)]
    )
    classe = StringField(
        _l("Classe"),
        filters=[strip, collapse_spaces],
        validators=[Optional(), Length(max=50)],
        description=_l("Par exemple CE1, MS, 6e."),
    )


class AddressForm(FlaskForm):  # type: ignore[misc]
    """An agent corrects the household's address (what the software's next import will also send)."""

    adresse = StringField(
        _l("Adresse"),
        filters=[strip, collapse_spaces],
        validators=[Optional(), Length(max=300, message=_l("L'adresse fait 300 caractères au plus."))],
        description=_l(
            "Numéro, rue, code postal et commune, par exemple 12 rue des Lilas 78140 Vélizy. "
            "Laissez vide si elle n'est pas connue."
        ),
        render_kw={"autocomplete": "off"},
    )


class MemberForm(FlaskForm):  # type: ignore[misc]
    """An agent corrects a responsible adult of the household."""

    nom = StringField(
        _l("Nom"),
        filters=[strip, collapse_spaces],
        validators=[
            DataRequired(_l("Indiquez le nom.")),
            Length(max=150, message=_l("Le nom fait 150 caractères au plus.")),
        ],
    )
    prenom = StringField(
        _l("Prénom"),
        filters=[strip, collapse_spaces],
        validators=[
            DataRequired(_l("Indiquez le prénom.")),
            Length(max=150, message=_l("Le prénom fait 150 caractères au plus.")),
        ],
    )
    telephone = phone_field(_l("Téléphone"), "06 12 34 56 78 (facultatif)", autocomplete=False)
    courriel = StringField(
        _l("Adresse de courriel"),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=320, message=_l("L'adresse de courriel fait 320 caractères au plus.")),
            Email(_l("Cette adresse de courriel n'est pas valable."), check_deliverability=False),
        ],
        description=_l("Facultative, par exemple prenom.nom@exemple.fr."),
        render_kw={"autocomplete": "off", "inputmode": "email"},
    )


AUDIENCES = [
    SelectChoice("tous", _l("Tout le monde (page d'accueil, liste des actualités et flux Atom)")),
    SelectChoice("service", _l("Les familles d'un service")),
    SelectChoice("activite", _l("Les familles d'une activité")),
]


class NewsForm(FlaskForm):  # type: ignore[misc]
    """A communication agent writes a news item; the body is sanitised on the server (allowlist)."""

    titre = StringField(
        _l("Titre"),
        filters=[strip, collapse_spaces],
        validators=[
            DataRequired(_l("Indiquez le titre.")),
            Length(max=200, message=_l("Le titre fait 200 caractères au plus.")),
        ],
    )
    resume = TextAreaField(
        _l("Résumé"),
        filters=[strip],
        validators=[
            DataRequired(_l("Indiquez un résumé de l'actualité.")),
            Length(max=500, message=_l("Le résumé fait 500 caractères au plus.")),
        ],
        description=_l("Affiché dans les listes et dans le flux. Texte simple, 500 caractères au plus."),
    )
    corps = TextAreaField(
        _l("Texte"),
        filters=[strip],
        validators=[Optional(), Length(max=20000, message=_l("Le texte fait 20 000 caractères au plus."))],
        render_kw={"rows": 10},
    )
    image = FileField(
        _l("Image"),
        description=_l(
            "Facultative. JPEG, PNG, GIF ou WebP de 5 Mo au plus ; elle est redimensionnée "
            "(1200 pixels de large au plus)."
        ),
        render_kw={"accept": "image/jpeg,image/png,image/gif,image/webp"},
    )
    image_alt = StringField(
        _l("Texte alternatif de l'image"),
        filters=[strip, collapse_spaces],
        validators=[Optional(), Length(max=300)],
        description=_l(
            "Obligatoire avec une image : décrivez ce qu'elle montre pour les personnes qui ne la voient pas."
        ),
    )
    retirer_image = RadioField(
        _l("Image actuelle"),
        choices=[SelectChoice("garder", _l("La garder")), SelectChoice("retirer", _l("La retirer"))],
        default="garder",
        validators=[Optional()],
    )
    publication = FrenchDateField(
        _l("Date de publication"),
        validators=[InputRequired(_l("Indiquez la date de publication."))],
        description=_l("L'actualité apparaît ce jour-là. Format jj/mm/aaaa."),
    )
    expiration = FrenchDateField(
        _l("Date de fin d'affichage"),
        validators=[Optional()],
        description=_l("Facultative : l'actualité disparaît ce jour-là. Format jj/mm/aaaa."),
    )
    audience = RadioField(
        _l("Qui la voit ?"),
        choices=AUDIENCES,
        default="tous",
        validators=[InputRequired(_l("Choisissez qui la voit."))],
    )
    # Checked by validate_service / validate_activite (no Optional(): it would stop them).
    service = SelectField(_l("Service"), choices=[], validate_choice=False)
    activite = SelectField(_l("Activité"), choices=[], validate_choice=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A plain string, escaped in the page: a lazy one is marked safe by Flask-Babel (its __html__),
        # and this hint shows HTML tags as text.
        self.corps.description = _(
            "Mise en forme simple : un paragraphe par ligne vide, ou les balises <p>, <strong>, "
            "<em>, "
            '<ul>, <ol>, <li>, <h2>, <h3>, <a href="https://…">. Tout le reste (scripts, styles, attributs) '
            "est retiré à l'enregistrement."
        )

    def validate_expiration(self, field: Field) -> None:
        if field.data and self.publication.data and field.data <= self.publication.data:
            raise ValidationError(_("La date de fin d'affichage doit être après la date de publication."))

    def validate_service(self, field: Field) -> None:
        if self.audience.data == "service":
            allowed = {str(c[0]) for c in _choices(field)}
            if not field.data or field.data not in allowed:
                raise ValidationError(_("Choisissez le service dont les familles verront l'actualité."))

    def validate_activite(self, field: Field) -> None:
        if self.audience.data == "activite":
            allowed = {str(c[0]) for c in _choices(field)}
            if not field.data or field.data not in allowed:
                raise ValidationError(_("Choisissez l'activité dont les familles verront l'actualité."))


def _choices(field: Any) -> list[Any]:
    return [(c.value, c.label) if isinstance(c, SelectChoice) else c for c in field.choices]
