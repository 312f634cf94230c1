"""Forms as data: the JSON definition of a user task's form, its JSON Schema and its checks.

A definition is what the analyst builds in the studio's form editor (web/studio/formulaires.py);
it travels inside the BPMN of the démarche (engine/form_storage.py), so it is versioned, drafted,
diffed and rolled back with it. Two kinds:

- « saisie »: fields in order — text, textarea, number, date, choice (radios, select or checkboxes),
  yesno, email, phone, address (French postal address), document — and `section` headings.
  Each field has a name (the variable of the task data), a label, an optional help, `required`,
  limits (min/max for numbers, min_length/max_length/pattern for text), choices, and an optional
  condition `show_if` {"field": other, "equals": value}: evaluated on the server (the page works
  without JavaScript): the field is asked only when the condition holds, its value dropped otherwise.
- « decision »: the agents' decision step — the outcomes the analyst lists (accept, refuse, ask for
  more...) and, for each, whether the message to the family is required.

`problems(definition)` returns French sentences naming the field: the JSON Schema first
(`jsonschema`), then what a schema cannot say (duplicate names, a condition on a missing field, a
choice list with no choice, a pattern that does not compile). Flask-free; WTForms classes are built
from a checked definition in forms/data_forms.py.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from jsonschema import Draft202012Validator

from .i18n import N_, _

#: Labels of the form editor (translate where shown: `_(FIELD_TYPES[kind])`); the decision outcomes
#: are also the default labels written into a new decision form (the town's content, in French).
FIELD_TYPES: dict[str, str] = {
    "text": N_("Texte court"),
    "textarea": N_("Texte long"),
    "number": N_("Nombre"),
    "date": N_("Date"),
    "choice": N_("Choix"),
    "yesno": N_("Oui / non"),
    "email": N_("Adresse électronique"),
    "phone": N_("Téléphone"),
    "address": N_("Adresse postale française"),
    "document": N_("Document à joindre"),
    "section": N_("Section (titre de groupe)"),
}
WIDGETS = {
    "radios": N_("Boutons radio"),
    "select": N_("Liste déroulante"),
    "checkboxes": N_("Cases à cocher"),
}
DECISION_OUTCOMES = {
    "acceptee": N_("Accepter la demande"),
    "refusee": N_("Refuser la demande"),
    "complement": N_("Demander des compléments à la famille"),
}
NAME = r"^[a-z][a-z0-9_]{0,39}$"
#: Names the engine or the family's pages already use: a field may not take them.
RESERVED = {"action", "csrf_token", "reference", "date_limite", "decision", "motif", "commentaire_interne"}

_CHOICE = {
    "type": "object",
    "required": ["value", "label"],
    "additionalProperties": False,
    "properties": {
        "value": {"type": "string", "minLength": 1, "maxLength": 60},
        "label": {"type": "string", "minLength": 1, "maxLength": 200},
    },
}
_FIELD = {
    "type": "object",
    "required": ["name", "type", "label"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "pattern": NAME},
        "type": {"enum": list(FIELD_TYPES)},
        "label": {"type": "string", "minLength": 1, "maxLength": 200},
        "help": {"type": "string", "maxLength": 1000},
        "required": {"type": "boolean"},
        "min": {"type": "number"},
        "max": {"type": "number"},
        "min_length": {"type": "integer", "minimum": 0, "maximum": 10000},
        "max_length": {"type": "integer", "minimum": 1, "maximum": 10000},
        "pattern": {"type": "string", "maxLength": 200},
        "pattern_message": {"type": "string", "maxLength": 300},
        "widget": {"enum": list(WIDGETS)},
        "multiple": {"type": "boolean"},
        "choices": {"type": "array", "items": _CHOICE, "maxItems": 100},
        "show_if": {
            "type": "object",
            "required": ["field", "equals"],
            "additionalProperties": False,
            "properties": {"field": {"type": "string"}, "equals": {"type": "string", "maxLength": 60}},
        },
    },
}
_OUTCOME = {
    "type": "object",
    "required": ["value", "label"],
    "additionalProperties": False,
    "properties": {
        "value": {"enum": list(DECISION_OUTCOMES)},
        "label": {"type": "string", "minLength": 1, "maxLength": 200},
        "message_required": {"type": "boolean"},
    },
}
SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Formulaire Guichet",
    "type": "object",
    "required": ["kind"],
    "additionalProperties": False,
    "properties": {
        "kind": {"enum": ["saisie", "decision"]},
        "submit_label": {"type": "string", "minLength": 1, "maxLength": 80},
        "intro": {"type": "string", "maxLength": 2000},
        "comment_field": {"type": "string"},
        "fields": {"type": "array", "items": _FIELD, "maxItems": 200},
        "outcomes": {"type": "array", "items": _OUTCOME, "maxItems": 3},
        "message_help": {"type": "string", "maxLength": 500},
    },
}
_VALIDATOR = Draft202012Validator(SCHEMA)
_KEYWORDS = {
    "required": N_("il manque « %(detail)s »"),
    "enum": N_("la valeur « %(value)s » n'est pas permise"),
    "pattern": N_(
        "le nom « %(value)s » doit commencer par une lettre minuscule et ne contenir que des lettres "
        "minuscules sans accent, des chiffres et « _ » (40 caractères au plus)"
    ),
    "additionalProperties": N_("le réglage « %(detail)s » n'est pas connu"),
    "minLength": N_("ce texte ne peut pas être vide"),
    "maxLength": N_("ce texte est trop long"),
    "type": N_("la valeur « %(value)s » n'a pas le bon type"),
}


def empty(kind: str = "saisie") -> dict[str, Any]:
    """A new definition: no field yet (saisie), or the three usual outcomes (decision)."""
    if kind == "decision":
        return {
            "kind": "decision",
            "submit_label": N_("Enregistrer la décision"),
            "outcomes": [
                {"value": value, "label": label, "message_required": value != "acceptee"}
                for value, label in DECISION_OUTCOMES.items()
            ],
        }
    return {"kind": "saisie", "submit_label": N_("Envoyer ma demande"), "fields": []}


def _field_name(definition: dict[str, Any], path: list[Any]) -> str | None:
    """The name (or the position) of the field an error path points into."""
    if len(path) >= 2 and path[0] == "fields" and isinstance(path[1], int):
        fields = definition.get("fields") or []
        field = fields[path[1]] if path[1] < len(fields) else None
        name = field.get("name") if isinstance(field, dict) else None
        return f"« {name} »" if isinstance(name, str) and name else _("n° %(id)s", id=path[1] + 1)
    return None


def _schema_problem(definition: dict[str, Any], error: Any) -> str:
    path = list(error.absolute_path)
    detail = ""
    if error.validator == "required":
        detail = str(error.message).split("'")[1] if "'" in str(error.message) else ""
    elif error.validator == "additionalProperties":
        extra = re.findall(r"'([^']+)'", str(error.message))
        detail = extra[0] if extra else ""
    if error.validator == "enum" and path[-1:] == ["type"]:
        text = _(
            "le type « %(type)s » n'existe pas (types possibles : %(types)s)",
            type=error.instance,
            types=", ".join(FIELD_TYPES),
        )
    else:
        template = _KEYWORDS.get(str(error.validator), N_("la définition n'est pas valable (%(error)s)"))
        text = _(template, detail=detail, value=error.instance, error=error.message)
    where = _field_name(definition, path)
    setting = next((p for p in reversed(path) if isinstance(p, str) and p != "fields"), None)
    if where is not None:
        if setting and setting not in {"name", "type"}:
            return _(
                "Champ %(where)s (réglage « %(setting)s ») : %(text)s",
                where=where,
                setting=setting,
                text=text,
            )
        return _("Champ %(where)s : %(text)s", where=where, text=text)
    return _("Formulaire : %(text)s", text=text)


def _choice_problems(field: dict[str, Any], where: str) -> list[str]:
    if field["type"] != "choice":
        return []
    choices = field.get("choices") or []
    if not choices:
        return [_("%(where)s : la liste de choix est vide ; ajoutez au moins un choix", where=where)]
    values = [c["value"] for c in choices]
    dupes = sorted({v for v in values if values.count(v) > 1})
    return [
        _(
            "%(where)s : le choix « %(value)s » figure plusieurs fois",
            where=where,
            value=v,
        )
        for v in dupes
    ]


#: A quantified group that itself holds a quantifier, e.g. (a+)+ : catastrophic backtracking (ReDoS).
_NESTED_QUANTIFIER = re.compile(r"\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)[+*{]")


def _limit_problems(field: dict[str, Any], where: str) -> list[str]:
    out = []
    if "min" in field and "max" in field and field["min"] > field["max"]:
        out.append(
            _(
                "%(where)s : le minimum (%(min)s) dépasse le maximum (%(max)s)",
                where=where,
                min=format(field["min"], "g"),
                max=format(field["max"], "g"),
            )
        )
    if field.get("min_length", 0) > field.get("max_length", 10000):
        out.append(_("%(where)s : la longueur minimale dépasse la longueur maximale", where=where))
    if field.get("pattern"):
        try:
            re.compile(field["pattern"])
        except re.error:
            out.append(
                _(
                    "%(where)s : le motif « %(pattern)s » n'est pas une expression régulière valable",
                    where=where,
                    pattern=field["pattern"],
                )
            )
        else:
            if _NESTED_QUANTIFIER.search(field["pattern"]):
                out.append(
                    _(
                        "%(where)s : le motif « %(pattern)s » répète un groupe déjà répété ; il pourrait "
                        "bloquer le serveur sur certaines saisies : écrivez-le sans répétition imbriquée",
                        where=where,
                        pattern=field["pattern"],
                    )
                )
    return out


def _condition_problems(field: dict[str, Any], where: str, before: dict[str, dict[str, Any]]) -> list[str]:
    show_if = field.get("show_if")
    if not show_if:
        return []
    other = before.get(show_if["field"])
    if other is None:
        return [
            _(
                "%(where)s : la condition porte sur le champ « %(field)s », qui n'existe pas "
                "(ou qui vient après ce champ)",
                where=where,
                field=show_if["field"],
            )
        ]
    allowed = _values_of(other)
    if allowed is not None and show_if["equals"] not in allowed:
        return [
            _(
                "%(where)s : la condition attend « %(value)s » pour le champ « %(field)s », qui ne peut "
                "valoir que %(allowed)s",
                where=where,
                value=show_if["equals"],
                field=show_if["field"],
                allowed=", ".join(f"« {v} »" for v in allowed),
            )
        ]
    return []


def _values_of(field: dict[str, Any]) -> list[str] | None:
    if field["type"] == "yesno":
        return ["oui", "non"]
    if field["type"] == "choice":
        return [c["value"] for c in field.get("choices") or []]
    return None


def _field_problems(fields: list[dict[str, Any]]) -> list[str]:
    out: list[str] = []
    before: dict[str, dict[str, Any]] = {}
    seen: set[str] = set()
    for field in fields:
        name = field["name"]
        where = _("Champ « %(name)s »", name=name)
        if name in seen:
            out.append(
                _(
                    "%(where)s : ce nom est déjà celui d'un autre champ du formulaire ; "
                    "choisissez-en un autre",
                    where=where,
                )
            )
        seen.add(name)
        if name in RESERVED:
            out.append(_("%(where)s : ce nom est réservé par Guichet ; choisissez-en un autre", where=where))
        out += _choice_problems(field, where)
        out += _limit_problems(field, where)
        out += _condition_problems(field, where, before)
        if field["type"] != "section":
            before[name] = field
    return out


def problems(definition: Any, *, complete: bool = True) -> list[str]:
    """Every problem of a definition, as French sentences naming the field; empty when it is valid.

    `complete=False` (the form editor, while fields are being added) allows a form with no field yet.
    """
    if not isinstance(definition, dict):
        return [_("Formulaire : la définition doit être un objet JSON")]
    errors = sorted(_VALIDATOR.iter_errors(definition), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        return list(dict.fromkeys(_schema_problem(definition, e) for e in errors))
    if definition["kind"] == "decision":
        outcomes = definition.get("outcomes") or []
        if not outcomes:
            return [_("Décision : la liste des issues est vide ; gardez au moins une issue")]
        values = [o["value"] for o in outcomes]
        return [
            _("Décision : l'issue « %(value)s » figure plusieurs fois", value=v)
            for v in sorted(set(values))
            if values.count(v) > 1
        ]
    fields = definition.get("fields") or []
    if complete and not [f for f in fields if f["type"] != "section"]:
        return [_("Formulaire : il n'a encore aucun champ ; ajoutez-en au moins un")]
    out = _field_problems(fields)
    comment = definition.get("comment_field")
    if comment and not any(f["name"] == comment and f["type"] in {"text", "textarea"} for f in fields):
        out.append(
            _(
                "Formulaire : le message à l'historique « %(name)s » n'est pas un champ de texte du "
                "formulaire",
                name=comment,
            )
        )
    return out


# Editing (the form editor's operations): pure functions on a copy of the definition.


def with_field(definition: dict[str, Any], field: dict[str, Any], index: int | None = None) -> dict[str, Any]:
    """The definition with `field` added at the end (index None) or replacing the field at `index`."""
    result = copy.deepcopy(definition)
    fields = result.setdefault("fields", [])
    if index is None:
        fields.append(field)
    else:
        fields[index] = field
    return result


def moved(definition: dict[str, Any], index: int, step: int) -> dict[str, Any]:
    """The definition with the field at `index` moved up (step -1) or down (+1); unchanged at an end."""
    result = copy.deepcopy(definition)
    fields = result.get("fields") or []
    target = index + step
    if 0 <= index < len(fields) and 0 <= target < len(fields):
        fields[index], fields[target] = fields[target], fields[index]
    return result


def without(definition: dict[str, Any], index: int) -> dict[str, Any]:
    result = copy.deepcopy(definition)
    fields = result.get("fields") or []
    if 0 <= index < len(fields):
        del fields[index]
    return result
