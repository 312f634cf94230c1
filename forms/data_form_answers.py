"""What the agents' dossier shows of a data form's answers: the fields' labels and their choices'
labels (forms/data_forms.py builds the form itself)."""

from __future__ import annotations

from typing import Any

from flask_babel.speaklater import LazyString

from forms.data_forms import ADDRESS_PARTS, form_class
from forms.fields import choice_labels


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


def value_labels(definition: dict[str, Any]) -> dict[str, dict[Any, Any]]:
    """Field name -> {stored value: label} of the choice and yes/no fields of a « saisie » definition:
    the agents read « Voiture particulière », not the value « voiture » the form stores."""
    if definition.get("kind") != "saisie":
        return {}
    fields = vars(form_class(definition)).items()
    return {name: labels for name, unbound in fields if (labels := choice_labels(unbound))}
