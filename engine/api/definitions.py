"""Door: the démarches themselves: deploy a BPMN file, the published versions, the catalogue, lanes."""

from __future__ import annotations

from engine.catalogue import (
    Entry,
    Rubrique,
    describe,
    entry_for,
    entry_of_instance,
    rubriques,
)
from engine.definition_views import catalogue_rubriques, deploy, latest_definition, published_definitions
from engine.definitions import family_form_keys, lanes_in_use, lanes_of
from engine.durations import parse_iso_duration
from engine.lint import LintContext
from engine.queue_choices import demarche_choices

__all__ = [
    "Entry",
    "LintContext",
    "Rubrique",
    "catalogue_rubriques",
    "demarche_choices",
    "deploy",
    "describe",
    "entry_for",
    "entry_of_instance",
    "family_form_keys",
    "lanes_in_use",
    "lanes_of",
    "latest_definition",
    "parse_iso_duration",
    "published_definitions",
    "rubriques",
]
