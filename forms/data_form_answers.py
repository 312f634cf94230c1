"""What the agents' dossier shows of a data form's answers: the fields' labels and their choices'
labels (forms/data_forms.py builds the form itself)."""

from __future__ import annotations

from typing import Any

from flask_babel.speaklater import LazyString

from forms.data_forms import ADDRESS_PARTS, YES_NO, form_class


def field_labels(definition: dict[str, Any]) -> dict[str, str]:
    """Field name -> label of a « saisie » definition (the agents' « Données de la demande »)."""
    if definition.get("kind") != "saisie":
        return {}
    labels = {}
    for name, unbound in vars(form_class(definition)).items():
        args = getattr(unbound, "args", None)
        if args and isinstance(args[0], (str, LazyString)) and name not in {"layout", "conditions", "groups"}:
            labels[name] = str(args[0])
    for spec in definition.get("fields") or []:
        if spec["type"] == "address":
            for part in ADDRESS_PARTS:
                name = f"{spec['name']}_{part}"
                labels[name] = f"{spec['label']} – {labels.get(name, part)}"
    return labels


def value_labels(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Field name -> {stored value: label} of the choice and yes/no fields of a « saisie » definition:
    the agents read « Voiture particulière », not the value « voiture » the form stores."""
    if definition.get("kind") != "saisie":
        return {}
    labels: dict[str, dict[str, Any]] = {}
    for spec in definition.get("fields") or []:
        if spec["type"] == "yesno":
            labels[spec["name"]] = {choice.value: choice.label for choice in YES_NO}
        elif spec["type"] == "choice":
            labels[spec["name"]] = {c["value"]: c["label"] for c in spec.get("choices") or []}
    return labels
