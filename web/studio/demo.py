"""Demo: « Demande de carte de stationnement résident », built and published as an analyst would.

No file in workflows/: the démarche is made with the studio's own functions (web/studio/building.py,
the ones behind « Nouvelle démarche à partir d'un modèle », « Ajouter un champ » and « Publier »),
by the demo analyst, so that it shows in the catalogue, in the queue of the « Stationnement » group
(demo agent `stationnement`) and in the studio after `make run`. Idempotent: nothing is done when
the démarche is already published.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from engine import api
from engine.errors import NotFound

from . import building

KEY = "stationnement_resident"
GROUP = "Stationnement"
MODEL = api.DemarcheModel(
    key=KEY,
    title="Demande de carte de stationnement résident",
    group=GROUP,
    max_duration="P30D",
    rubrique="Stationnement",
    description="Demandez la carte qui permet de stationner près de chez vous au tarif résident.",
    pieces="La carte grise du véhicule (certificat d'immatriculation)",
    help_text=(
        "La carte de stationnement résident permet de stationner dans la zone de votre domicile au tarif "
        "résident. Indiquez le véhicule et joignez sa carte grise ; si le véhicule n'est pas à votre nom "
        "(véhicule de société, de location longue durée), précisez son titulaire.\n\n"
        "Le service Stationnement vérifie votre demande et peut vous demander des compléments. La carte "
        "est ensuite à retirer à l'accueil de la mairie."
    ),
)
#: The fields of « Saisir la demande », as « Ajouter un champ » records them.
FIELDS: list[dict[str, Any]] = [
    {"name": "section_vehicule", "type": "section", "label": "Votre véhicule"},
    {
        "name": "immatriculation",
        "type": "text",
        "label": "Immatriculation",
        "required": True,
        "help": "Telle qu'elle figure sur la carte grise, par exemple AB-123-CD.",
        "pattern": "[A-Z]{2}-[0-9]{3}-[A-Z]{2}",
        "pattern_message": "L'immatriculation s'écrit avec des tirets, par exemple AB-123-CD.",
    },
    {
        "name": "type_vehicule",
        "type": "choice",
        "label": "Type de véhicule",
        "required": True,
        "widget": "radios",
        "choices": [
            {"value": "voiture", "label": "Voiture particulière"},
            {"value": "utilitaire", "label": "Véhicule utilitaire léger"},
        ],
    },
    {"name": "a_votre_nom", "type": "yesno", "label": "Le véhicule est-il à votre nom ?", "required": True},
    {
        "name": "titulaire",
        "type": "textarea",
        "label": "Titulaire de la carte grise",
        "required": True,
        "max_length": 500,
        "help": "Nom de la société ou du loueur, et votre lien avec lui.",
        "show_if": {"field": "a_votre_nom", "equals": "non"},
    },
    {"name": "section_pieces", "type": "section", "label": "Pièce justificative"},
    {"name": "carte_grise", "type": "document", "label": "Carte grise", "required": True},
]


def load_parking_demo(session: Session, analyst_id: int, author: str) -> bool:
    """Build and publish the démarche unless it is published already; True when it was published now."""
    try:
        api.studio_demarche(session, KEY)
        return False
    except NotFound:
        pass
    building.create_from_model(session, analyst_id, MODEL)
    for field in FIELDS:
        problems = building.add_field(session, analyst_id, KEY, "saisie", field)
        if problems:  # pragma: no cover - the demo's own form is valid (tests/integration/test_demo.py)
            raise ValueError(problems)
    building.publish_draft(session, analyst_id, author, KEY, "Première version, construite dans le studio")
    return True
