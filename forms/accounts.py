"""Page forms of the accounts area: login, « Modifier mon espace », « Modifier les identifiants »."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, Field, PasswordField, RadioField, SelectChoice, SelectField, StringField
from wtforms.validators import AnyOf, DataRequired, EqualTo, Length, Optional, ValidationError

from forms.fields import CONTACT_FIELDS, IDENTITY_FIELDS, PHONE_FIELDS, phone_field
from forms.validators import collapse_spaces, not_in_future, strip
from forms.validators import username as valid_username

CIVILITES = ("Madame", "Monsieur")  # the stored values
CIVILITE_LABELS = {"Madame": _l("Madame"), "Monsieur": _l("Monsieur")}
PASSWORD_MAX = 128  # code points, as forms.password_policy counts them


def at_most(count: int, message: str) -> Any:
    """Length(max=count) without the maxlength attribute: browsers count UTF-16 units, so an emoji
    would count twice and a valid 128-character password could not be typed in full."""

    def check(form: Any, field: Field) -> None:
        if field.data and len(field.data) > count:
            raise ValidationError(message)

    return check


TOO_LONG = _l("Le mot de passe comporte au plus %(max)d caractères.", max=PASSWORD_MAX)
CONTACTS = (("courriel", _l("Courriel")), ("mobile", _l("Mobile (SMS)")), ("telephone", _l("Téléphone")))


class LoginForm(FlaskForm):  # type: ignore[misc]
    """MON ESPACE PERSO: user name (or e-mail) and password."""

    username = StringField(
        _l("Nom d'utilisateur"),
        validators=[DataRequired(_l("Saisissez votre nom d'utilisateur.")), Length(max=320)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Mot de passe"),
        validators=[DataRequired(_l("Saisissez votre mot de passe.")), at_most(PASSWORD_MAX, TOO_LONG)],
        render_kw={"autocomplete": "current-password"},
    )
    # Asked for only after repeated failures of the login (the view checks it); rendered by the
    # render_captcha macro, which also carries the challenge id.
    captcha_reponse = StringField(
        _l("Entrez le texte ci-dessous"), filters=[strip], validators=[Optional(), Length(max=64)]
    )


class FrenchDateField(DateField):  # type: ignore[misc]
    """A date field whose unreadable-value message is French (WTForms' own is English)."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            self.data = None
            raise ValueError(_l("Cette date n'est pas valable. Format attendu : jj/mm/aaaa.")) from exc


def _choice_field(label: Any, choices: tuple[tuple[str, Any], ...], message: Any, **kwargs: Any) -> Any:
    """A select whose invalid-choice message is French (validate_choice off, AnyOf instead)."""
    values = [value for value, _ in choices if value]
    return SelectField(
        label,
        choices=[SelectChoice(value, text) for value, text in choices],
        validate_choice=False,
        validators=[*kwargs.pop("validators", []), AnyOf(values, message=message)],
        **kwargs,
    )


def _text(label: Any, max_length: int, *, required: Any = None, **kwargs: Any) -> StringField:
    first = DataRequired(required) if required else Optional()
    return StringField(
        label, filters=[strip, collapse_spaces], validators=[first, Length(max=max_length)], **kwargs
    )


class ProfileForm(FlaskForm):  # type: ignore[misc]
    """« Modifier mon espace »: IDENTITÉ and MOYENS DE CONTACT (the address and e-mail have démarches)."""

    # IDENTITÉ
    civilite = _choice_field(
        _l("Civilité"),
        (("", "—"), *((value, CIVILITE_LABELS[value]) for value in CIVILITES)),
        _l("Choisissez votre civilité."),
        # Optional: an account without one (older records) can still save its other changes; the
        # page asks for it (accounts/edit_space.html).
        validators=[Optional()],
        render_kw={"autocomplete": "honorific-prefix"},
    )
    nom = _text(
        _l("Nom usuel"),
        150,
        required=_l("Indiquez votre nom usuel."),
        render_kw={"autocomplete": "family-name"},
    )
    nom_naissance = _text(_l("Nom de naissance"), 150)
    prenom = _text(
        _l("Prénom(s)"),
        150,
        required=_l("Indiquez votre ou vos prénoms."),
        render_kw={"autocomplete": "given-name"},
    )
    date_naissance = FrenchDateField(
        _l("Date de naissance"),
        validators=[Optional(), not_in_future],
        render_kw={"autocomplete": "bday"},
        description=_l("Format attendu : jj/mm/aaaa (votre navigateur propose un calendrier)."),
    )
    pays_naissance = _text(_l("Pays de naissance"), 100)
    departement_naissance = _text(_l("Département de naissance"), 100)
    commune_naissance = _text(_l("Commune de naissance"), 150)
    # MOYENS DE CONTACT: the phone and the mobile are shown read-only, like the address; they change
    # through « Changement de téléphones », which the Accueil service checks (docs/guide-famille.md).
    fax = phone_field(_l("Fax"), autocomplete=False)
    contact_prefere = _choice_field(
        _l("Moyen de contact préféré"), CONTACTS, _l("Choisissez un moyen de contact.")
    )

    IDENTITY_FIELDS = IDENTITY_FIELDS
    CONTACT_FIELDS = tuple(name for name in CONTACT_FIELDS if name not in PHONE_FIELDS)
    PHONE_LABELS = {"telephone": _l("Téléphone"), "mobile": _l("Mobile")}

    def __init__(self, *args: Any, phones: dict[str, str | None] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.phones = phones or {}  # the account's stored numbers, for contact_prefere

    def validate_contact_prefere(self, field: Field) -> None:
        if field.data in PHONE_FIELDS and not self.phones.get(field.data):
            label = self.PHONE_LABELS[field.data]
            raise ValidationError(
                gettext(
                    "Aucun numéro dans « %(label)s » : ajoutez-le d'abord par la démarche « Changement "
                    "de téléphones » pour être contacté de cette façon.",
                    label=label,
                )
            )

    def values(self) -> dict[str, str | date | None]:
        """The account columns and their new values (empty texts become None)."""
        return {name: self[name].data or None for name in (*self.IDENTITY_FIELDS, *self.CONTACT_FIELDS)}


class CredentialsForm(FlaskForm):  # type: ignore[misc]
    """« Modifier les identifiants de mon espace personnel »: user name and/or password.

    The current password is always asked (ASVS 6.2.3). The new password follows
    forms.password_policy; `account_email` and `town` feed its checks (pass them to the constructor).
    """

    username = StringField(
        _l("Nom d'utilisateur"),
        filters=[strip],
        validators=[DataRequired(_l("Indiquez votre nom d'utilisateur.")), valid_username],
        render_kw={"autocomplete": "username"},
    )
    current_password = PasswordField(
        _l("Mot de passe actuel"),
        validators=[
            DataRequired(_l("Saisissez votre mot de passe actuel.")),
            at_most(PASSWORD_MAX, TOO_LONG),
        ],
        render_kw={"autocomplete": "current-password"},
        description=_l("Pour vérifier qu'il s'agit bien de vous."),
    )
    new_password = PasswordField(
        _l("Nouveau mot de passe"),
        validators=[Optional(strip_whitespace=False)],
        render_kw={"autocomplete": "new-password"},
    )
    confirmation = PasswordField(
        _l("Confirmation du mot de passe"),
        validators=[EqualTo("new_password", _l("Les deux mots de passe ne sont pas identiques."))],
        render_kw={"autocomplete": "new-password"},
    )

    def __init__(self, *args: Any, account_email: str = "", town: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.account_email = account_email
        self.town = town
        from forms.password_policy import POLICY_TEXT

        self.new_password.description = _l(  # shown next to the field
            "Laissez vide pour garder votre mot de passe. %(policy)s", policy=POLICY_TEXT
        )

    def validate_new_password(self, field: Field) -> None:
        if not field.data:
            return
        from forms.password_policy import check_password

        errors = check_password(
            field.data, username=self.username.data or "", email=self.account_email, town=self.town
        )
        if errors:
            raise ValidationError(" ".join(errors))

    def changes_password(self) -> bool:
        return bool(self.new_password.data)


#: The services whose « clé espace citoyens » the signup and « Modifier mon espace » ask for
#: (« Clé Espace Citoyens Enfance »): the keys page offers these, whatever the agent's own groups.
KEY_SERVICES = ("Enfance",)


class ServiceKeyForm(FlaskForm):  # type: ignore[misc]
    """An agent issues a « clé espace citoyens » for a family known to a service (KEY_SERVICES)."""

    service = SelectField(
        _l("Service"),
        validators=[DataRequired(_l("Choisissez le service."))],
        choices=[SelectChoice(name, name) for name in KEY_SERVICES],
        description=_l("Le service dont la famille saisira la clé (« Clé Espace Citoyens Enfance »)."),
    )
    famille = StringField(
        _l("Dossier famille"),
        validators=[DataRequired(_l("Indiquez le dossier famille.")), Length(max=200)],
        description=_l(
            "Identifiant du dossier dans le logiciel du service (par exemple F-0042) ou nom exact "
            "du dossier (par exemple MARTIN Camille)."
        ),
    )


class EnterServiceKeyForm(FlaskForm):  # type: ignore[misc]
    """SERVICES: a family enters the key a service gave them."""

    cle = StringField(
        _l("Clé Espace Citoyens Enfance"),
        validators=[DataRequired(_l("Saisissez la clé qui vous a été remise.")), Length(max=40)],
        render_kw={"autocomplete": "off"},
        description=_l("Fournie par le service si vous y êtes connus (format XXXX-XXXX-XXXX-XXXX)."),
    )


#: The portal's languages, each named in itself (never translated): « Langue » on « Modifier mon profil ».
LANGUAGE_CHOICES = (("fr", "Français"), ("en", "English"))


class LanguageForm(FlaskForm):  # type: ignore[misc]
    """« Modifier mon profil »: the language of the pages and of the mails (saved on the account)."""

    langue = RadioField(
        _l("Langue des pages et des courriels"),
        choices=[SelectChoice(code, name) for code, name in LANGUAGE_CHOICES],
        validate_choice=False,  # AnyOf instead: WTForms' own message is English only
        validators=[AnyOf([code for code, _name in LANGUAGE_CHOICES], message=_l("Choisissez une langue."))],
    )
