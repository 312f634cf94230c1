"""Forms of the démarche « Changement d'adresses postales »."""

from __future__ import annotations

from wtforms import SelectChoice, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from forms.dates import DateWithin, FrenchDateField
from forms.documents import DocumentField, DocumentFormMixin
from forms.fields import agents_only_comment_field
from forms.postal import CommuneOfPostalCode, known_postal_code
from forms.registry import TaskForm, task_form
from forms.tasks.decision import DecisionForm, decision_field, message_field
from forms.validators import RequiredIf, collapse_spaces, french_postal_code, strip

#: The effective date of the move: at most a year ago, at most three months ahead.
MONTHS_BEFORE = 12
MONTHS_AFTER = 3


@task_form("changement_adresse.saisie")
class NewAddressForm(DocumentFormMixin, TaskForm):
    """The family types the new postal address, its effective date and joins a proof of address."""

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
        validators=[DataRequired("Indiquez le code postal."), french_postal_code, known_postal_code],
        render_kw={"autocomplete": "postal-code", "inputmode": "numeric"},
        description="Format attendu : 5 chiffres, par exemple 78140",
    )
    commune = StringField(
        "Commune",
        filters=[strip, collapse_spaces],
        validators=[DataRequired("Indiquez la commune."), Length(max=150), CommuneOfPostalCode()],
        render_kw={"autocomplete": "address-level2"},
        description="La commune desservie par ce code postal, par exemple Vélizy-Villacoublay",
    )
    date_effet = FrenchDateField(
        "Date d'effet",
        validators=[
            InputRequired("Indiquez la date de votre emménagement à cette adresse."),
            DateWithin(MONTHS_BEFORE, MONTHS_AFTER, "La date d'effet"),
        ],
        description="La date de votre emménagement : au plus un an avant aujourd'hui, au plus 3 mois après. "
        "Format attendu : jj/mm/aaaa.",
    )
    justificatif_domicile = DocumentField(
        "Justificatif de domicile",
        required=True,
        message="Joignez un justificatif de domicile de moins de 3 mois (PDF, JPEG ou PNG).",
        description="Facture d'énergie ou de téléphone, quittance de loyer, attestation d'assurance "
        "habitation… de moins de 3 mois. Formats acceptés : PDF, JPEG ou PNG.",
    )


@task_form("changement_adresse.instruction")
class AddressDecisionForm(DecisionForm):
    """An agent of the Accueil service accepts, refuses or asks the family for more information."""

    decision = decision_field(SelectChoice("complement", "Demander des compléments à la famille"))
    motif = message_field(
        RequiredIf(
            "decision",
            "complement",
            "Indiquez les informations ou les documents attendus : la famille lira ce message.",
        ),
        also_required_for=" ou de demande de compléments",
    )
    commentaire_interne = agents_only_comment_field()  # declared again: fields keep their order


@task_form("changement_adresse.complement")
class ComplementForm(DocumentFormMixin, TaskForm):
    """The family answers the service's question, with documents if asked."""

    submit_label = "Envoyer mes compléments"
    public_comment_field = "reponse"

    reponse = TextAreaField(
        "Votre réponse",
        filters=[strip],
        validators=[DataRequired("Écrivez votre réponse au service."), Length(max=2000)],
        description="Le service lira votre réponse dans l'historique de la demande.",
    )
    pieces = DocumentField(
        "Documents",
        multiple=True,
        description="Facultatif : un ou plusieurs fichiers PDF, JPEG ou PNG.",
    )
