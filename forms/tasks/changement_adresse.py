"""Forms of the démarche « Changement d'adresses postales »."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
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

    submit_label = _l("Envoyer ma demande")

    adresse_ligne1 = StringField(
        _l("Numéro et libellé de la voie"),
        filters=[strip, collapse_spaces],
        validators=[DataRequired(_l("Indiquez le numéro et le nom de la voie.")), Length(max=200)],
        render_kw={"autocomplete": "address-line1"},
        description=_l("Par exemple : 12 rue de la Mairie"),
    )
    adresse_ligne2 = StringField(
        _l("Complément d'adresse"),
        filters=[strip, collapse_spaces],
        validators=[Optional(), Length(max=200)],
        render_kw={"autocomplete": "address-line2"},
        description=_l("Bâtiment, étage, lieu-dit… (facultatif)"),
    )
    code_postal = StringField(
        _l("Code postal"),
        filters=[strip],
        validators=[DataRequired(_l("Indiquez le code postal.")), french_postal_code, known_postal_code],
        render_kw={"autocomplete": "postal-code", "inputmode": "numeric"},
        description=_l("Format attendu : 5 chiffres, par exemple 78140"),
    )
    commune = StringField(
        _l("Commune"),
        filters=[strip, collapse_spaces],
        validators=[DataRequired(_l("Indiquez la commune.")), Length(max=150), CommuneOfPostalCode()],
        render_kw={"autocomplete": "address-level2"},
        description=_l("La commune desservie par ce code postal, par exemple Vélizy-Villacoublay"),
    )
    date_effet = FrenchDateField(
        _l("Date d'effet"),
        validators=[
            InputRequired(_l("Indiquez la date de votre emménagement à cette adresse.")),
            DateWithin(MONTHS_BEFORE, MONTHS_AFTER, _l("La date d'effet")),
        ],
        description=_l(
            "La date de votre emménagement : au plus un an avant aujourd'hui, au plus 3 mois après. "
            "Format attendu : jj/mm/aaaa."
        ),
    )
    justificatif_domicile = DocumentField(
        _l("Justificatif de domicile"),
        required=True,
        message=_l("Joignez un justificatif de domicile de moins de 3 mois (PDF, JPEG ou PNG)."),
        description=_l(
            "Facture d'énergie ou de téléphone, quittance de loyer, attestation d'assurance "
            "habitation… de moins de 3 mois. Formats acceptés : PDF, JPEG ou PNG."
        ),
    )


@task_form("changement_adresse.instruction")
class AddressDecisionForm(DecisionForm):
    """An agent of the Accueil service accepts, refuses or asks the family for more information."""

    decision = decision_field(SelectChoice("complement", _l("Demander des compléments à la famille")))
    motif = message_field(
        RequiredIf(
            "decision",
            "complement",
            _l("Indiquez les informations ou les documents attendus : la famille lira ce message."),
        ),
        description=_l(
            "Visible par la famille dans l'historique de sa demande et repris dans le courriel ou le SMS "
            "qui la prévient. Obligatoire en cas de refus ou de demande de compléments."
        ),
    )
    commentaire_interne = agents_only_comment_field()  # declared again: fields keep their order


@task_form("changement_adresse.complement")
class ComplementForm(DocumentFormMixin, TaskForm):
    """The family answers the service's question, with documents if asked."""

    submit_label = _l("Envoyer mes compléments")
    public_comment_field = "reponse"

    reponse = TextAreaField(
        _l("Votre réponse"),
        filters=[strip],
        validators=[DataRequired(_l("Écrivez votre réponse au service.")), Length(max=2000)],
        description=_l("Le service lira votre réponse dans l'historique de la demande."),
    )
    pieces = DocumentField(
        _l("Documents"),
        multiple=True,
        description=_l("Facultatif : un ou plusieurs fichiers PDF, JPEG ou PNG."),
    )
