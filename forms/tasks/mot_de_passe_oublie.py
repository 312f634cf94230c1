"""Forms of « OUBLI DE MOT DE PASSE » (workflows/mot_de_passe_oublie.bpmn) and of its reset link.

Wording follows the town's guide (compte-famille-mode-d-emploi, section 5). The typed login never
becomes task data: `to_engine_data` leaves it out and the web hook hands it to the engine as a
secret for the one call that needs it. `NewPasswordForm` is not a task form: the page behind the
mailed link is a plain view (web/accounts/reset.py explains why).
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError

from forms.password_policy import MIN_LENGTH, POLICY_TEXT, check_password
from forms.registry import TaskForm, task_form
from forms.validators import strip


@task_form("mot_de_passe_oublie.demande")
class ForgottenPasswordForm(TaskForm):
    """« Vous avez oublié votre mot de passe. » ANNULER or VALIDER."""

    submit_label = _l("VALIDER")
    navigation = ("annuler",)

    identifiant = StringField(
        _l("Nom d'utilisateur (ou adresse de courriel)"),
        filters=[strip],
        validators=[
            DataRequired(_l("Saisissez votre nom d'utilisateur ou votre adresse de courriel.")),
            Length(
                max=320,
                message=_l("Ce nom d'utilisateur ou cette adresse est trop long (320 caractères au plus)."),
            ),
        ],
        render_kw={"autocomplete": "username", "spellcheck": "false", "autocapitalize": "none"},
    )

    # Shown (by the template, through the captcha macro) only when the visitor's address made many
    # requests in the past hour; web/accounts/reset.py then requires and checks it before VALIDER.
    captcha_reponse = StringField(
        _l("Entrez le texte ci-dessous"),
        filters=[strip],
        validators=[Optional(), Length(max=64)],
        render_kw={"autocomplete": "off", "inputmode": "numeric"},
    )

    def to_engine_data(self) -> dict[str, Any]:
        data = super().to_engine_data()
        for private in ("identifiant", "captcha_reponse"):  # never stored in the instance
            data.pop(private, None)
        return data


class NewPasswordForm(FlaskForm):  # type: ignore[misc]
    """« Nouveau mot de passe » twice, under the signup policy (forms/password_policy.py).

    The account's user name and e-mail and the town's name are given by the view: the policy refuses
    a password that contains them.
    """

    mot_de_passe = PasswordField(
        _l("Nouveau mot de passe"),
        validators=[DataRequired(_l("Choisissez un nouveau mot de passe."))],
        render_kw={"autocomplete": "new-password", "minlength": MIN_LENGTH},
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

    def __init__(
        self, *args: Any, username: str = "", email: str = "", town: str = "", **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.account_username = username
        self.account_email = email
        self.town = town

    def validate_mot_de_passe(self, field: Field) -> None:
        problems = check_password(
            field.data or "", username=self.account_username, email=self.account_email, town=self.town
        )
        if problems:
            raise ValidationError(" ".join(problems))
