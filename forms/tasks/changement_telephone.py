"""Forms of the démarche « Changement de téléphones »."""

from __future__ import annotations

from wtforms import Field, RadioField, SelectChoice, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from forms.fields import agents_only_comment_field, phone_field
from forms.registry import TaskForm, task_form
from forms.validators import RequiredIf, strip

AT_LEAST_ONE_NUMBER = "Indiquez au moins un numéro : téléphone fixe ou mobile."


@task_form("changement_telephone.saisie")
class NewPhonesForm(TaskForm):
    """The family types its new numbers (E.164 once validated); at least one of the two."""

    submit_label = "Envoyer ma demande"

    telephone = phone_field("Téléphone", "01 23 45 67 89")
    mobile = phone_field("Mobile", "06 12 34 56 78")

    def validate_telephone(self, field: Field) -> None:
        # Runs after phone_number: an empty number is None by then; `mobile` is not validated yet.
        if not (field.data or "").strip() and not (self.mobile.data or "").strip():
            raise ValidationError(AT_LEAST_ONE_NUMBER)


@task_form("changement_telephone.instruction")
class PhonesDecisionForm(TaskForm):
    """An agent of the Accueil service accepts or refuses the new numbers."""

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
        description="Visible par la famille dans l'historique de sa demande et repris dans le courriel ou "
        "le SMS qui la prévient. Obligatoire en cas de refus.",
    )
    commentaire_interne = agents_only_comment_field()
