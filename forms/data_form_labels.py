"""The labels the engine writes into a new form definition (engine/form_definitions.py: « Envoyer ma
demande », the three decision outcomes...). Once written they are the analyst's text; while they are
kept as written, they are shown in the reader's language."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

DEFAULT_LABELS = {
    text: _l(text)
    for text in (
        "Valider",
        "Envoyer ma demande",
        "Enregistrer la décision",
        "Accepter la demande",
        "Refuser la demande",
        "Demander des compléments à la famille",
    )
}


def shown(label: Any) -> Any:
    """`label` in the reader's language when it is one of the engine's defaults, else as written."""
    return DEFAULT_LABELS.get(label, label) if isinstance(label, str) else label
