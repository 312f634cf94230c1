"""Screens of the signup wizard « CRÉATION D'UN ESPACE PERSONNEL » (workflows/inscription.bpmn).

Wording, order and the « * » of required fields follow the town's guide (compte-famille-mode-d-emploi).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import DateField, EmailField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from forms.fields import phone_field
from forms.password_policy import POLICY_TEXT, StrongPassword
from forms.registry import TaskForm, task_form
from forms.validators import ImageUpload, collapse_spaces, not_in_future, strip, username

WIZARD = ("annuler", "precedent")


@task_form("inscription.bienvenue")
class WelcomeForm(TaskForm):
    """BIENVENUE: the only action is « JE CRÉE MON ESPACE »."""

    submit_label = _l("JE CRÉE MON ESPACE")


@task_form("inscription.identite")
class IdentityForm(TaskForm):
    """IDENTITÉ."""

    submit_label = _l("SUIVANT")
    navigation = ("annuler",)
    multipart = True

    civilite = SelectField(
        _l("Civilité"),
        choices=[
            SelectChoice("", "—"),
            SelectChoice("Madame", _l("Madame")),
            SelectChoice("Monsieur", _l("Monsieur")),
        ],
        validators=[DataRequired(_l("Choisissez votre civilité."))],
        render_kw={"autocomplete": "honorific-prefix"},
    )
    nom = StringField(
        _l("Nom usuel"),
        filters=[strip, collapse_spaces],
        validators=[DataRequired(_l("Indiquez votre nom usuel.")), Length(max=150)],
        render_kw={"autocomplete": "family-name"},
    )
    nom_naissance = StringField(
        _l("Nom de naissance"), filters=[strip, collapse_spaces], validators=[Optional(), Length(max=150)]
    )
    prenom = StringField(
        _l("Prénom(s)"),
        filters=[strip, collapse_spaces],
        validators=[DataRequired(_l("Indiquez votre ou vos prénoms.")), Length(max=150)],
        render_kw={"autocomplete": "given-name"},
    )
    date_naissance = DateField(
        _l("Date de naissance"),
        validators=[Optional(), not_in_future],
        render_kw={"autocomplete": "bday"},
        description=_l("Format attendu : jj/mm/aaaa (votre navigateur propose un calendrier)."),
    )
    pays_naissance = StringField(
        _l("Pays de naissance"), filters=[strip, collapse_spaces], validators=[Optional(), Length(max=100)]
    )
    departement_naissance = StringField(
        _l("Département de naissance"),
        filters=[strip, collapse_spaces],
        validators=[Optional(), Length(max=100)],
    )
    commune_naissance = StringField(
        _l("Commune de naissance"), filters=[strip, collapse_spaces], validators=[Optional(), Length(max=150)]
    )
    photo = FileField(
        _l("Photo"),
        validators=[ImageUpload()],
        description=_l("Facultative. Image JPEG ou PNG de 2 Mo au plus."),
        render_kw={"accept": "image/jpeg,image/png"},
    )


@task_form("inscription.contact")
class ContactForm(TaskForm):
    """MOYENS DE CONTACT."""

    submit_label = _l("SUIVANT")
    navigation = WIZARD

    telephone = phone_field(_l("Téléphone"), "01 23 45 67 89")
    mobile = phone_field(_l("Mobile"), "06 12 34 56 78")
    fax = phone_field(_l("Fax"), autocomplete=False)
    courriel = EmailField(
        _l("Courriel"),
        filters=[strip],
        validators=[
            DataRequired(_l("Indiquez votre adresse de courriel.")),
            Email(
                _l("Cette adresse de courriel n'est pas valable (exemple : prenom.nom@exemple.fr)."),
                check_deliverability=False,
            ),
            Length(max=320),
        ],
        render_kw={"autocomplete": "email"},
    )
    contact_prefere = SelectField(
        _l("Moyen de contact préféré"),
        choices=[
            SelectChoice("courriel", _l("Courriel")),
            SelectChoice("mobile", _l("Mobile (SMS)")),
            SelectChoice("telephone", _l("Téléphone")),
        ],
        default="courriel",
    )


@task_form("inscription.authentification")
class CredentialsForm(TaskForm):
    """AUTHENTIFICATION, SERVICES and CONTRÔLE DE SÉCURITÉ; VALIDER creates the (inactive) account."""

    submit_label = _l("VALIDER")
    navigation = WIZARD
    password_fields = ("mot_de_passe",)
    captcha = True

    nom_utilisateur = StringField(
        _l("Nom d'utilisateur"),
        filters=[strip],
        validators=[DataRequired(_l("Choisissez un nom d'utilisateur.")), username],
        render_kw={"autocomplete": "username"},
    )
    mot_de_passe = PasswordField(
        _l("Mot de passe"),
        validators=[
            DataRequired(_l("Choisissez un mot de passe.")),
            StrongPassword(username_field="nom_utilisateur", email_field="courriel"),
        ],
        render_kw={"autocomplete": "new-password"},
        description=POLICY_TEXT,
    )
    confirmation = PasswordField(
        _l("Confirmation du mot de passe"),
        validators=[
            DataRequired(_l("Saisissez de nouveau le mot de passe.")),
            EqualTo("mot_de_passe", _l("Les deux mots de passe ne sont pas identiques.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    cle_enfance = StringField(
        _l("Clé Espace Citoyens Enfance"),
        filters=[strip],
        validators=[Optional(), Length(max=40)],
        description=_l("Facultative : vous pourrez la saisir plus tard dans « Modifier mon espace »."),
        render_kw={"autocomplete": "off"},
    )
    # Required by the hook only when the captcha is shown (CAPTCHA_ENABLED; off for kiosks and tests).
    captcha_reponse = StringField(
        _l("Entrez le texte ci-dessous"),
        filters=[strip],
        validators=[Optional(), Length(max=64)],
        render_kw={"autocomplete": "off", "inputmode": "numeric"},
    )

    def to_engine_data(self) -> dict[str, object]:
        data = super().to_engine_data()
        for private in ("confirmation", "cle_enfance", "captcha_reponse"):
            data.pop(private, None)
        return data


@task_form("inscription.activation")
class ActivationForm(TaskForm):
    """Completed by the activation link (the family clicks « Activer mon espace »)."""

    submit_label = _l("Activer mon espace")
