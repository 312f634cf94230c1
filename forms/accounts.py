"""Page forms of the accounts area."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):  # type: ignore[misc]
    """MON ESPACE PERSO: user name (or e-mail) and password."""

    username = StringField(
        "Nom d'utilisateur",
        validators=[DataRequired("Saisissez votre nom d'utilisateur."), Length(max=320)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        "Mot de passe",
        validators=[DataRequired("Saisissez votre mot de passe."), Length(max=128)],
        render_kw={"autocomplete": "current-password"},
    )
