"""The studio's form editor (web/studio/formulaires.py): one field's settings, the form's, the outcomes.

Each form edits one entry of a form definition (engine/form_definitions.py); the whole definition
is then checked again (JSON Schema and semantic checks) before the draft is saved, so the editor
never stores a form that publishing would refuse for the same reason.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from forms.data_forms import CheckboxesField
from forms.validators import collapse_spaces, strip

#: Which settings each field type shows in the editor.
SETTINGS = {
    "text": {"min_length", "max_length", "pattern", "pattern_message"},
    "textarea": {"min_length", "max_length"},
    "number": {"min", "max"},
    "choice": {"widget", "choices"},
    "document": {"multiple"},
}


#: Names Guichet keeps for itself (engine/form_definitions.py refuses them too).
RESERVED = {"action", "csrf_token", "reference", "date_limite", "decision", "motif", "commentaire_interne"}


def suggested_name(label: str, taken: set[str]) -> str:
    """A field name from its label: « Numéro d'immatriculation » -> numero_d_immatriculation."""
    ascii_text = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode().lower()
    base = re.sub(r"[^a-z0-9]+", "_", ascii_text).strip("_")[:34] or "champ"
    if not base[0].isalpha():
        base = f"champ_{base}"[:34]
    name, n = base, 2
    while name in taken or name in RESERVED:
        name, n = f"{base}_{n}", n + 1
    return name


def _number(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip().replace(",", ".")
        if not value:
            return None
        try:
            number = float(value)
        except ValueError:
            return value
        return int(number) if number.is_integer() else number
    return value


def _is_number(form: Any, field: Any) -> None:
    if field.data is not None and not isinstance(field.data, int | float):
        raise ValidationError(_l("Indiquez un nombre, par exemple 0 ou 2,5."))


def parse_choices(text: str) -> list[dict[str, str]]:
    """One choice per line: « libellé » or « valeur | libellé » (the value is then made from the label)."""
    choices: list[dict[str, str]] = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        value, _, label = line.partition("|")
        if not label.strip():
            label, value = value, ""
        label = " ".join(label.split())
        value = value.strip() or suggested_name(label, {c["value"] for c in choices})
        choices.append({"value": value[:60], "label": label[:200]})
    return choices


def choices_text(choices: list[dict[str, str]]) -> str:
    return "\n".join(f"{c['value']} | {c['label']}" for c in choices)


class FieldEditForm(FlaskForm):  # type: ignore[misc]
    """« Ajouter un champ » / « Modifier le champ »."""

    label = StringField(
        _l("Libellé"),
        filters=[collapse_spaces],
        validators=[
            InputRequired(_l("Indiquez le libellé du champ, tel que la famille le lira.")),
            Length(max=200),
        ],
        description=_l("La question posée, par exemple « Numéro d'immatriculation du véhicule »."),
    )
    name = StringField(
        _l("Nom technique"),
        filters=[strip],
        validators=[Optional(), Length(max=40)],
        description=_l(
            "Le nom de la donnée dans la demande (lettres minuscules sans accent, chiffres, « _ »). "
            "Laissé vide, il est tiré du libellé."
        ),
    )
    help = TextAreaField(
        _l("Aide"),
        filters=[strip],
        validators=[Length(max=1000)],
        description=_l("Facultatif : un exemple ou une précision, affiché sous le libellé."),
    )
    required = BooleanField(_l("Réponse obligatoire"))
    min = StringField(_l("Valeur minimale"), filters=[_number], validators=[Optional(), _is_number])
    max = StringField(_l("Valeur maximale"), filters=[_number], validators=[Optional(), _is_number])
    min_length = IntegerField(
        _l("Longueur minimale (caractères)"),
        validators=[Optional(), NumberRange(0, 10000, _l("Entre 0 et 10 000 caractères."))],
    )
    max_length = IntegerField(
        _l("Longueur maximale (caractères)"),
        validators=[Optional(), NumberRange(1, 10000, _l("Entre 1 et 10 000 caractères."))],
    )
    pattern = StringField(
        _l("Format attendu (expression régulière)"),
        filters=[strip],
        validators=[Length(max=200)],
        description=_l(
            "Facultatif. Par exemple [A-Z]{2}-[0-9]{3}-[A-Z]{2} pour une plaque d'immatriculation."
        ),
    )
    pattern_message = StringField(
        _l("Message si le format n'est pas respecté"), filters=[collapse_spaces], validators=[Length(max=300)]
    )
    widget = SelectField(
        _l("Présentation des choix"),
        validate_choice=False,  # an unknown value falls back to radios (spec)
        choices=[
            SelectChoice("radios", _l("Boutons radio")),
            SelectChoice("select", _l("Liste déroulante")),
            SelectChoice("checkboxes", _l("Cases à cocher")),
        ],
    )
    choices = TextAreaField(
        _l("Choix proposés"),
        description=_l("Un choix par ligne : « libellé », ou « valeur | libellé »."),
    )
    multiple = BooleanField(_l("Plusieurs fichiers possibles"))
    # Checked with the whole form (a condition on a missing field is refused, naming it).
    show_if_field = SelectField(
        _l("Afficher seulement si le champ"),
        choices=[SelectChoice("", _l("— toujours afficher —"))],
        validate_choice=False,
    )
    show_if_equals = StringField(
        _l("… a pour valeur"),
        filters=[strip],
        validators=[Length(max=60)],
        description=_l("La valeur d'un choix (colonne « valeur ») ou « oui » / « non »."),
    )

    def spec(self, kind: str, taken: set[str]) -> dict[str, Any]:
        """The definition entry typed in this form for a field of type `kind`."""
        spec: dict[str, Any] = {
            "name": self.name.data or suggested_name(self.label.data or "", taken),
            "type": kind,
            "label": self.label.data,
        }
        if self.help.data:
            spec["help"] = self.help.data
        if kind != "section":
            spec["required"] = bool(self.required.data)
        allowed = SETTINGS.get(kind, set())
        for key in ("min", "max", "min_length", "max_length", "pattern", "pattern_message"):
            value = self[key].data
            if key in allowed and value not in (None, ""):
                spec[key] = value
        if "widget" in allowed:
            spec["widget"] = self.widget.data if self.widget.data in {"select", "checkboxes"} else "radios"
            spec["choices"] = parse_choices(self.choices.data or "")
        if "multiple" in allowed and self.multiple.data:
            spec["multiple"] = True
        if self.show_if_field.data and kind != "section":
            spec["show_if"] = {"field": self.show_if_field.data, "equals": self.show_if_equals.data or ""}
        return spec

    def load(self, spec: dict[str, Any]) -> None:
        """Fill the form from an existing entry (GET of « Modifier le champ »)."""
        for key in (
            "label",
            "name",
            "help",
            "required",
            "min",
            "max",
            "min_length",
            "max_length",
            "pattern",
            "pattern_message",
            "widget",
            "multiple",
        ):
            if key in spec:
                self[key].data = spec[key]
        self.choices.data = choices_text(spec.get("choices") or [])
        if spec.get("show_if"):
            self.show_if_field.data = spec["show_if"]["field"]
            self.show_if_equals.data = spec["show_if"]["equals"]


class FormSettingsForm(FlaskForm):  # type: ignore[misc]
    submit_label = StringField(
        _l("Texte du bouton d'envoi"),
        filters=[collapse_spaces],
        validators=[
            InputRequired(_l("Indiquez le texte du bouton, par exemple « Envoyer ma demande ».")),
            Length(max=80),
        ],
    )
    intro = TextAreaField(
        _l("Texte d'introduction"),
        filters=[strip],
        validators=[Length(max=2000)],
        description=_l("Facultatif : affiché au-dessus des champs."),
    )


class OutcomesForm(FlaskForm):  # type: ignore[misc]
    """The agents' decision: which outcomes, their labels, and when the message to the family is required."""

    submit_label = StringField(
        _l("Texte du bouton"),
        filters=[collapse_spaces],
        validators=[InputRequired(_l("Indiquez le texte du bouton.")), Length(max=80)],
    )
    message_help = TextAreaField(
        _l("Aide du « Message à la famille »"), filters=[strip], validators=[Length(max=500)]
    )


class CsrfForm(FlaskForm):  # type: ignore[misc]
    """The small POST buttons (create, move, delete): only the CSRF token."""


class ModelForm(FlaskForm):  # type: ignore[misc]
    """« Nouvelle démarche à partir d'un modèle »."""

    title = StringField(
        _l("Titre de la démarche"),
        filters=[collapse_spaces],
        validators=[InputRequired(_l("Indiquez le titre, tel que les familles le liront.")), Length(max=150)],
        description=_l("Par exemple « Demande de carte de stationnement résident »."),
    )
    key = StringField(
        _l("Identifiant"),
        filters=[strip],
        validators=[
            InputRequired(_l("Indiquez l'identifiant de la démarche.")),
            Regexp(
                r"^[a-z][a-z0-9_]{2,59}$",
                message=_l(
                    "L'identifiant : lettres minuscules sans accent, chiffres "
                    "et « _ », 3 à 60 caractères, en commençant par une lettre (par exemple "
                    "stationnement_resident)."
                ),
            ),
        ],
        description=_l(
            "Il ne change plus après la première publication : par exemple stationnement_resident."
        ),
    )
    group = SelectField(
        _l("Groupe d'agents qui instruit"), validators=[InputRequired(_l("Choisissez le groupe."))]
    )
    days = IntegerField(
        _l("Durée maximale (jours)"),
        validators=[
            InputRequired(_l("Indiquez la durée maximale en jours.")),
            NumberRange(1, 365, _l("La durée maximale est comprise entre 1 et 365 jours.")),
        ],
        description=_l("Les agents sont relancés avant, la demande est signalée en retard à son terme."),
    )
    rubrique = StringField(
        _l("Rubrique du catalogue"),
        filters=[collapse_spaces],
        validators=[Optional(), Length(max=60)],
        description=_l("Par exemple « Stationnement »."),
    )
    description = TextAreaField(
        _l("Description courte"),
        filters=[strip],
        validators=[InputRequired(_l("Indiquez une description courte pour le catalogue.")), Length(max=300)],
    )
    pieces = TextAreaField(
        _l("Documents à fournir"),
        filters=[strip],
        validators=[Length(max=2000)],
        description=_l("Un document par ligne."),
    )
    help_text = TextAreaField(
        _l("Aide à la saisie"),
        filters=[strip],
        validators=[Length(max=4000)],
        description=_l("La page d'aide de la démarche ; paragraphes séparés par une ligne vide."),
    )
    blocks = CheckboxesField(
        _l("Briques réutilisables à inclure"),
        description=_l(
            "Chacune ajoute au diagramme le modèle "
            "éprouvé des démarches existantes ; vous pourrez tout modifier dans l'éditeur."
        ),
    )

    def model(self) -> dict[str, Any]:
        """The keyword arguments of the engine's DemarcheModel."""
        return dict(
            key=self.key.data,
            title=self.title.data,
            group=self.group.data,
            max_duration=f"P{self.days.data}D",
            description=self.description.data,
            help_text=self.help_text.data or "",
            rubrique=self.rubrique.data or "",
            pieces=self.pieces.data or "",
            blocks=frozenset(self.blocks.data or ()),
        )


__all__ = [
    "SETTINGS",
    "CsrfForm",
    "FieldEditForm",
    "FormSettingsForm",
    "ModelForm",
    "OutcomesForm",
    "choices_text",
    "parse_choices",
]


class BlockForm(FlaskForm):  # type: ignore[misc]
    """« Ajouter un bloc réutilisable » to a draft: which block, around which agents' task."""

    block = SelectField(
        _l("Bloc à insérer"),
        validators=[InputRequired(message=_l("Choisissez le bloc à insérer."))],
        description=_l("Le bloc est ajouté à votre brouillon ; vérifiez-le dans l'éditeur avant de publier."),
    )
    task = SelectField(
        _l("Autour de la tâche des agents"),
        validators=[InputRequired(message=_l("Choisissez la tâche des agents où insérer le bloc."))],
        description=_l(
            "Le bloc va dans le couloir de cette tâche (la réponse de la famille dans « Famille »)."
        ),
    )
