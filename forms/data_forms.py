"""WTForms classes built at run time from a form definition (forms as data, engine/form_definitions.py).

The way Indico builds its survey forms: a subclass of TaskForm, one field set per entry of the
definition, with our validators and French messages (the postal-code check of forms/postal.py, the
content checks of forms/documents.py). The page is rendered by the same accessible macros as the
coded forms (web/templates/_macros/data_forms.html: sections and groups in fieldset/legend).
Conditions « show B when A = x » are evaluated here, on the server: B is asked only when A = x,
and its value is dropped otherwise, so the page works without JavaScript.
"""

from __future__ import annotations

import json
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from wtforms import (
    EmailField,
    Field,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional, Regexp

from forms.data_form_labels import shown
from forms.dates import FrenchDateField
from forms.documents import DocumentField, DocumentFormMixin
from forms.fields import PhoneField, agents_only_comment_field
from forms.postal import CommuneOfPostalCode, known_postal_code
from forms.registry import TaskForm
from forms.tasks.decision import DecisionForm
from forms.validators import RequiredIf, collapse_spaces, french_postal_code, phone_number, strip

YES_NO = [SelectChoice("oui", _l("Oui")), SelectChoice("non", _l("Non"))]
ADDRESS_PARTS = ("ligne1", "ligne2", "code_postal", "commune")
#: A value that is none of the choices (a tampered post): said in French, not WTForms' English.
NOT_A_CHOICE = _l("Choisissez parmi les réponses proposées.")


def _joined(*parts: Any) -> LazyString:
    """Texts joined by a space when shown (the classes are built once, for readers of any language)."""
    return LazyString(lambda: " ".join(text for text in map(str, parts) if text).strip())


class CheckboxesField(SelectMultipleField):  # type: ignore[misc]
    """Several choices as check boxes (rendered in a fieldset by the macros)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class NumberField(StringField):  # type: ignore[misc]
    """A number typed the French way (« 2,5 »): an int when it has no decimals, else a float."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        raw = (valuelist[0] if valuelist else "").strip().replace(" ", "").replace(",", ".")
        if not raw:
            self.data = None
            return
        try:
            value = float(raw)
        except ValueError:
            self.data = None
            raise ValueError(_("Indiquez un nombre, par exemple 2 ou 2,5.")) from None
        self.data = int(value) if value.is_integer() else value

    def _value(self) -> str:
        return "" if self.data is None else str(self.data).replace(".", ",")


def _required(spec: dict[str, Any], data_required: bool = False) -> list[Any]:
    if not spec.get("required"):
        return [Optional()]
    message = _l("Renseignez « %(label)s » : ce champ est obligatoire.", label=spec["label"])
    return [DataRequired(message) if data_required else InputRequired(message)]


#: Longest text accepted when the analyst set no maximum (short text, long text).
DEFAULT_MAX = {"text": 200, "textarea": 4000}


def _lengths(spec: dict[str, Any]) -> list[Any]:
    out: list[Any] = []
    low, high = spec.get("min_length", -1), spec.get("max_length", DEFAULT_MAX[spec["type"]])
    if low > 0 or high > 0:
        label = spec["label"]
        if low > 0 and high > 0:
            text = _l(
                "« %(label)s » doit comporter entre %(low)s et %(high)s caractères.",
                label=label,
                low=low,
                high=high,
            )
        elif low > 0:
            text = _l("« %(label)s » doit comporter au moins %(low)s caractères.", label=label, low=low)
        else:
            text = _l("« %(label)s » doit comporter au plus %(high)s caractères.", label=label, high=high)
        out.append(Length(min=low, max=high, message=text))
    if spec.get("pattern"):
        message = spec.get("pattern_message") or _l(
            "« %(label)s » n'a pas le format attendu.", label=spec["label"]
        )
        out.append(Regexp(f"^(?:{spec['pattern']})$", message=message))
    return out


def _number_range(spec: dict[str, Any]) -> list[Any]:
    low, high = spec.get("min"), spec.get("max")
    if low is None and high is None:
        return []
    values = {"label": spec["label"], "low": format(low or 0, "g"), "high": format(high or 0, "g")}
    if low is not None and high is not None:
        text = _l("« %(label)s » doit être compris entre %(low)s et %(high)s.", **values)
    elif low is not None:
        text = _l("« %(label)s » doit être supérieur ou égal à %(low)s.", **values)
    else:
        text = _l("« %(label)s » doit être inférieur ou égal à %(high)s.", **values)
    return [NumberRange(min=low, max=high, message=text)]


def _choice_field(spec: dict[str, Any], label: str, kw: dict[str, Any]) -> Field:
    choices = [SelectChoice(c["value"], c["label"]) for c in spec.get("choices") or []]
    widget = spec.get("widget", "radios")
    kw["invalid_choice_message"] = NOT_A_CHOICE
    if widget == "checkboxes":
        return CheckboxesField(label, choices=choices, validators=_required(spec, True), **kw)
    if widget == "select":
        first = [SelectChoice("", _l("— Choisissez —"))]
        return SelectField(label, choices=first + choices, validators=_required(spec, True), **kw)
    return RadioField(label, choices=choices, validators=_required(spec), **kw)


def _field(spec: dict[str, Any]) -> Field:
    """The WTForms field of one entry (not for `address` nor `section`)."""
    kind = spec["type"]
    label = spec["label"]  # positional: web/documents/presentation.py reads it from the class
    kw: dict[str, Any] = {"description": spec.get("help", "")}
    if kind == "text":
        return StringField(
            label, filters=[strip, collapse_spaces], validators=_required(spec) + _lengths(spec), **kw
        )
    if kind == "textarea":
        return TextAreaField(label, filters=[strip], validators=_required(spec) + _lengths(spec), **kw)
    if kind == "number":
        kw["render_kw"] = {"inputmode": "decimal"}
        return NumberField(label, validators=_required(spec) + _number_range(spec), **kw)
    if kind == "date":
        kw["description"] = _joined(kw["description"], _l("Format attendu : jj/mm/aaaa."))
        return FrenchDateField(label, validators=_required(spec), **kw)
    if kind == "choice":
        return _choice_field(spec, label, kw)
    if kind == "yesno":
        return RadioField(
            label, choices=YES_NO, validators=_required(spec), invalid_choice_message=NOT_A_CHOICE, **kw
        )
    if kind == "email":
        kw["render_kw"] = {"autocomplete": "email"}
        message = _l("Cette adresse électronique n'est pas valable. Format attendu : nom@exemple.fr.")
        return EmailField(label, filters=[strip], validators=[*_required(spec), Email(message)], **kw)
    if kind == "phone":
        kw["render_kw"] = {"inputmode": "tel", "autocomplete": "tel"}
        kw["description"] = _joined(kw["description"], _l("Format attendu : 06 12 34 56 78."))
        return PhoneField(label, validators=[*_required(spec), phone_number], **kw)
    if kind == "document":
        return DocumentField(
            spec["label"],
            required=bool(spec.get("required")),
            multiple=bool(spec.get("multiple")),
            message=_l("Joignez « %(label)s » (PDF, JPEG ou PNG).", label=spec["label"]),
            description=_joined(spec.get("help") or "", _l("Formats acceptés : PDF, JPEG ou PNG.")),
        )
    raise ValueError(f"unknown field type {kind!r}")  # a checked definition never gets here


def _address_fields(spec: dict[str, Any]) -> dict[str, Field]:
    """A French postal address as four fields `<name>_ligne1`... with the postal-code check."""
    name, needed = spec["name"], bool(spec.get("required"))
    first = [DataRequired(_l("Indiquez le numéro et le nom de la voie."))] if needed else [Optional()]
    code = [DataRequired(_l("Indiquez le code postal.")), french_postal_code, known_postal_code]
    return {
        f"{name}_ligne1": StringField(
            _l("Numéro et libellé de la voie"),
            filters=[strip, collapse_spaces],
            validators=[*first, Length(max=200)],
            render_kw={"autocomplete": "address-line1"},
            description=_l("Par exemple : 12 rue de la Mairie"),
        ),
        f"{name}_ligne2": StringField(
            _l("Complément d'adresse"),
            filters=[strip, collapse_spaces],
            validators=[Optional(), Length(max=200)],
            render_kw={"autocomplete": "address-line2"},
            description=_l("Bâtiment, étage, lieu-dit… (facultatif)"),
        ),
        f"{name}_code_postal": StringField(
            _l("Code postal"),
            filters=[strip],
            validators=code if needed else [Optional(), french_postal_code, known_postal_code],
            render_kw={"autocomplete": "postal-code", "inputmode": "numeric"},
            description=_l("Format attendu : 5 chiffres, par exemple 78140"),
        ),
        f"{name}_commune": StringField(
            _l("Commune"),
            filters=[strip, collapse_spaces],
            validators=[
                DataRequired(_l("Indiquez la commune.")) if needed else Optional(),
                Length(max=150),
                CommuneOfPostalCode(f"{name}_code_postal"),
            ],
            render_kw={"autocomplete": "address-level2"},
        ),
    }


class DataTaskForm(DocumentFormMixin, TaskForm):
    """Base of the classes built from a « saisie » definition."""

    multipart = False
    #: What the page shows, in order: {"kind": "section"|"field"|"group", ...} (the macros read it).
    layout: tuple[dict[str, Any], ...] = ()
    #: Field names -> (controlling field, value): asked only when the controlling field has the value.
    conditions: dict[str, tuple[str, str]] = {}
    #: Field names of each address group, for the conditions.
    groups: dict[str, tuple[str, ...]] = {}

    def _shown(self, name: str) -> bool:
        condition = self.conditions.get(name)
        if condition is None:
            return True
        other, value = condition
        if not self._shown(other):
            return False
        data = self._fields[other].data if other in self._fields else None
        return value in data if isinstance(data, list) else data == value

    def hidden_fields(self) -> set[str]:
        """The fields whose condition does not hold with what was typed (their values are dropped)."""
        hidden = set()
        for name in self.conditions:
            if not self._shown(name):
                hidden |= set(self.groups.get(name, (name,)))
        return hidden

    def validate(self, extra_validators: Any = None) -> bool:
        for name in self.hidden_fields():
            field = self._fields[name]
            field.validators = []
            field.flags.required = False
        return bool(super().validate(extra_validators))

    def to_engine_data(self) -> dict[str, Any]:
        data = super().to_engine_data()
        for name in self.hidden_fields():
            data[name] = None
        return data


def _saisie_class(definition: dict[str, Any]) -> type[TaskForm]:
    attrs: dict[str, Any] = {
        "submit_label": shown(definition.get("submit_label")) or _l("Valider"),
        "public_comment_field": definition.get("comment_field") or None,
    }
    layout: list[dict[str, Any]] = []
    conditions: dict[str, tuple[str, str]] = {}
    groups: dict[str, tuple[str, ...]] = {}
    for spec in definition.get("fields") or []:
        kind, name = spec["type"], spec["name"]
        if spec.get("show_if"):
            conditions[name] = (spec["show_if"]["field"], spec["show_if"]["equals"])
        condition = _condition_text(definition, spec)
        if kind == "section":
            layout.append({"kind": "section", "title": spec["label"], "help": spec.get("help", "")})
        elif kind == "address":
            parts = _address_fields(spec)
            attrs.update(parts)
            groups[name] = tuple(parts)
            layout.append(
                {
                    "kind": "group",
                    "legend": spec["label"],
                    "help": spec.get("help", ""),
                    "names": tuple(parts),
                    "required": bool(spec.get("required")),
                    "condition": condition,
                }
            )
        else:
            if condition:  # said in the field's hint, which aria-describedby reads out
                spec = {**spec, "help": _joined(condition, spec.get("help", ""))}
            attrs[name] = _field(spec)
            layout.append({"kind": "field", "name": name, "condition": condition})
            if kind == "document":
                attrs["multipart"] = True
    attrs.update(
        layout=tuple(layout), conditions=conditions, groups=groups, intro=definition.get("intro", "")
    )
    return type("DataForm", (DataTaskForm,), attrs)


def _condition_text(definition: dict[str, Any], spec: dict[str, Any]) -> Any:
    """« À remplir seulement si vous avez répondu « Oui » à « ... » » (shown without JavaScript)."""
    show_if = spec.get("show_if")
    if not show_if:
        return ""
    other = next((f for f in definition.get("fields") or [] if f["name"] == show_if["field"]), None)
    if other is None:
        return ""
    labels = (
        {c.value: c.label for c in YES_NO}
        if other["type"] == "yesno"
        else {c["value"]: c["label"] for c in other.get("choices") or []}
    )
    answer = labels.get(show_if["equals"], show_if["equals"])
    return _l(
        "À remplir seulement si vous avez répondu « %(answer)s » à « %(question)s ».",
        answer=answer,
        question=other["label"],
    )


def _decision_class(definition: dict[str, Any]) -> type[TaskForm]:
    outcomes = definition.get("outcomes") or []
    required = [o for o in outcomes if o.get("message_required") or o["value"] == "refusee"]
    names = LazyString(lambda: _(" ou ").join(f"« {shown(o['label'])} »" for o in required))
    help_text = definition.get("message_help") or _l(
        "Visible par la famille dans l'historique de sa demande et repris dans le courriel qui la prévient."
    )
    rules = [
        RequiredIf(
            "decision",
            o["value"],
            _l(
                "Écrivez le message à la famille pour « %(outcome)s » : elle le lira.",
                outcome=shown(o["label"]),
            ),
        )
        for o in required
    ]
    attrs = {
        "submit_label": shown(definition.get("submit_label")) or _l("Enregistrer la décision"),
        "decision": RadioField(
            _l("Décision"),
            choices=[SelectChoice(o["value"], shown(o["label"])) for o in outcomes],
            validators=[InputRequired(_l("Choisissez une décision."))],
            invalid_choice_message=NOT_A_CHOICE,
        ),
        "motif": TextAreaField(
            _l("Message à la famille"),
            filters=[strip],
            validators=[*rules, Length(max=2000)],
            description=_joined(help_text, _l("Obligatoire pour %(names)s.", names=names))
            if required
            else help_text,
        ),
        "commentaire_interne": agents_only_comment_field(),
    }
    return type("DataDecisionForm", (DecisionForm,), attrs)


_CLASSES: dict[str, type[TaskForm]] = {}


def form_class(definition: dict[str, Any]) -> type[TaskForm]:
    """The WTForms class of a checked definition (built once per distinct definition)."""
    key = json.dumps(definition, sort_keys=True)
    cls = _CLASSES.get(key)
    if cls is None:
        cls = (
            _decision_class(definition) if definition.get("kind") == "decision" else _saisie_class(definition)
        )
        _CLASSES[key] = cls
    return cls


__all__ = ["DataTaskForm", "form_class"]
