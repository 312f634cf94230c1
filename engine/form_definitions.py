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

FIELD_TYPES: dict[str, str] = {
    "text": "Texte court",
    "textarea": "Texte long",
    "number": "Nombre",
    "date": "Date",
    "choice": "Choix",
    "yesno": "Oui / non",
    "email": "Adresse électronique",
    "phone": "Téléphone",
    "address": "Adresse postale française",
    "document": "Document à joindre",
    "section": "Section (titre de groupe)",
}
WIDGETS = {"radios": "Boutons radio", "select": "Liste déroulante", "checkboxes": "Cases à cocher"}
DECISION_OUTCOMES = {
    "acceptee": "Accepter la demande",
    "refusee": "Refuser la demande",
    "complement": "Demander des compléments à la famille",
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
    "required": "il manque « {detail} »",
    "enum": "la valeur « {value} » n'est pas permise",
    "pattern": "le nom « {value} » doit commencer par une lettre minuscule et ne contenir que des "
    "lettres minuscules sans accent, des chiffres et « _ » (40 caractères au plus)",
    "additionalProperties": "le réglage « {detail} » n'est pas connu",
    "minLength": "ce texte ne peut pas être vide",
    "maxLength": "ce texte est trop long",
    "type": "la valeur « {value} » n'a pas le bon type",
}


def empty(kind: str = "saisie") -> dict[str, Any]:
    """A new definition: no field yet (saisie), or the three usual outcomes (decision)."""
    if kind == "decision":
        return {
            "kind": "decision",
            "submit_label": "Enregistrer la décision",
            "outcomes": [
                {"value": value, "label": label, "message_required": value != "acceptee"}
                for value, label in DECISION_OUTCOMES.items()
            ],
        }
    return {"kind": "saisie", "submit_label": "Envoyer ma demande", "fields": []}


def _field_name(definition: dict[str, Any], path: list[Any]) -> str | None:
    """The name (or the position) of the field an error path points into."""
    if len(path) >= 2 and path[0] == "fields" and isinstance(path[1], int):
        fields = definition.get("fields") or []
        field = fields[path[1]] if path[1] < len(fields) else None
        name = field.get("name") if isinstance(field, dict) else None
        return f"« {name} »" if isinstance(name, str) and name else f"n° {path[1] + 1}"
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
        text = f"le type « {error.instance} » n'existe pas (types possibles : {', '.join(FIELD_TYPES)})"
    else:
        template = _KEYWORDS.get(str(error.validator), "la définition n'est pas valable ({message})")
        text = template.format(detail=detail, value=error.instance, message=error.message)
    where = _field_name(definition, path)
    setting = next((p for p in reversed(path) if isinstance(p, str) and p != "fields"), None)
    if where is not None:
        own = f" (réglage « {setting} »)" if setting and setting not in {"name", "type"} else ""
        return f"Champ {where}{own} : {text}"
    return f"Formulaire : {text}"


def _choice_problems(field: dict[str, Any], where: str) -> list[str]:
    if field["type"] != "choice":
        return []
    choices = field.get("choices") or []
    if not choices:
        return [f"{where} : la liste de choix est vide ; ajoutez au moins un choix"]
    values = [c["value"] for c in choices]
    dupes = sorted({v for v in values if values.count(v) > 1})
    return [f"{where} : le choix « {v} » figure plusieurs fois" for v in dupes]


#: A quantified group that itself holds a quantifier, e.g. (a+)+ : catastrophic backtracking (ReDoS).
_NESTED_QUANTIFIER = re.compile(r"\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)[+*{]")


def _limit_problems(field: dict[str, Any], where: str) -> list[str]:
    out = []
    if "min" in field and "max" in field and field["min"] > field["max"]:
        out.append(f"{where} : le minimum ({field['min']:g}) dépasse le maximum ({field['max']:g})")
    if field.get("min_length", 0) > field.get("max_length", 10000):
        out.append(f"{where} : la longueur minimale dépasse la longueur maximale")
    if field.get("pattern"):
        try:
            re.compile(field["pattern"])
        except re.error:
            out.append(
                f"{where} : le motif « {field['pattern']} » n'est pas une expression régulière valable"
            )
        else:
            if _NESTED_QUANTIFIER.search(field["pattern"]):
                out.append(
                    f"{where} : le motif « {field['pattern']} » répète un groupe déjà répété ; il pourrait "
                    "bloquer le serveur sur certaines saisies : écrivez-le sans répétition imbriquée"
                )
    return out


def _condition_problems(field: dict[str, Any], where: str, before: dict[str, dict[str, Any]]) -> list[str]:
    show_if = field.get("show_if")
    if not show_if:
        return []
    other = before.get(show_if["field"])
    if other is None:
        return [
            f"{where} : la condition porte sur le champ « {show_if['field']} », qui n'existe pas "
            "(ou qui vient après ce champ)"
        ]
    allowed = _values_of(other)
    if allowed is not None and show_if["equals"] not in allowed:
        return [
            f"{where} : la condition attend « {show_if['equals']} » pour le champ « {show_if['field']} », "
            f"qui ne peut valoir que {', '.join(f'« {v} »' for v in allowed)}"
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
        where = f"Champ « {name} »"
        if name in seen:
            out.append(
                f"{where} : ce nom est déjà celui d'un autre champ du formulaire ; choisissez-en un autre"
            )
        seen.add(name)
        if name in RESERVED:
            out.append(f"{where} : ce nom est réservé par Guichet ; choisissez-en un autre")
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
        return ["Formulaire : la définition doit être un objet JSON"]
    errors = sorted(_VALIDATOR.iter_errors(definition), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        return list(dict.fromkeys(_schema_problem(definition, e) for e in errors))
    if definition["kind"] == "decision":
        outcomes = definition.get("outcomes") or []
        if not outcomes:
            return ["Décision : la liste des issues est vide ; gardez au moins une issue"]
        values = [o["value"] for o in outcomes]
        return [
            f"Décision : l'issue « {v} » figure plusieurs fois"
            for v in sorted(set(values))
            if values.count(v) > 1
        ]
    fields = definition.get("fields") or []
    if complete and not [f for f in fields if f["type"] != "section"]:
        return ["Formulaire : il n'a encore aucun champ ; ajoutez-en au moins un"]
    out = _field_problems(fields)
    comment = definition.get("comment_field")
    if comment and not any(f["name"] == comment and f["type"] in {"text", "textarea"} for f in fields):
        out.append(
            f"Formulaire : le message à l'historique « {comment} » n'est pas un champ de texte du formulaire"
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
