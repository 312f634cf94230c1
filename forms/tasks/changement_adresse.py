"""Forms of the démarche « Changement d'adresses postales »."""

from __future__ import annotations

from wtforms import RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from forms.registry import TaskForm, task_form
from forms.validators import RequiredIf, collapse_spaces, french_postal_code, strip


@task_form("changement_adresse.saisie")
class NewAddressForm(TaskForm):
    """The family types the new postal address."""

    submit_label = "Envoyer ma demande"

    adresse_ligne1 = StringField(
        "Numéro et libellé de la voie",
        filters=[strip, collapse_spaces],
        validators=[DataRequired("Indiquez le numéro et le nom de la voie."), Length(max=200)],
        render_kw={"autocomplete": "address-line1"},
        description="Par exemple : 12 rue de la Mairie",
    )
    adresse_ligne2 = StringField(
        "Complément d'adresse",
        filters=[strip, collapse_spaces],
        validators=[Optional(), Length(max=200)],
        render_kw={"autocomplete": "address-line2"},
        description="Bâtiment, étage, lieu-dit… (facultatif)",
    )
    code_postal = StringField(
        "Code postal",
        filters=[strip],
        validators=[DataRequired("Indiquez le code postal."), french_postal_code],
        render_kw={"autocomplete": "postal-code", "inputmode": "numeric"},
        description="Format attendu : 5 chiffres, par exemple 78140",
    )
    commune = StringField(
        "Commune",
        filters=[strip, collapse_spaces],
        validators=[DataRequired("Indiquez la commune."), Length(max=150)],
        render_kw={"autocomplete": "address-level2"},
    )


@task_form("changement_adresse.instruction")
class AddressDecisionForm(TaskForm):
    """An agent of the Accueil service accepts or refuses the new address."""

    submit_label = "Enregistrer la décision"
    public_comment_field = "motif"
    internal_comment_field = "commentaire_interne"

    decision = RadioField(
        "Décision",
        choices=[
            SelectChoice("acceptee", "Accepter la demande"),
            SelectChoice("refusee", "Refuser la demande"),
        ],
        validators=[InputRequired("Choisissez une décision.")],
    )
    motif = TextAreaField(
        "Message à la famille",
        filters=[strip],
        validators=[
            RequiredIf("decision", "refusee", "Indiquez le motif du refus : la famille le lira."),
            Length(max=2000),
        ],
        description="Visible par la famille dans l'historique de sa demande. Obligatoire en cas de refus.",
    )
    commentaire_interne = TextAreaField(
        "Commentaire interne",
        filters=[strip],
        validators=[Optional(), Length(max=2000)],
        description="Réservé aux agents : jamais montré à la famille.",
    )
