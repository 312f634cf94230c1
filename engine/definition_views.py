"""The door's démarche versions as frozen views (engine/definitions.py and deploy.py keep the rows)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from . import catalogue, definitions
from . import deploy as deploying
from .lint import LintContext
from .snapshots import DefinitionView, definition_view


def latest_definition(session: Session, key: str) -> DefinitionView | None:
    """The latest published version of a démarche, if any."""
    definition = definitions.latest_definition(session, key)
    return definition_view(definition) if definition is not None else None


def published_definitions(session: Session) -> list[DefinitionView]:
    """The latest published version of every démarche, by title."""
    return [definition_view(d) for d in definitions.published_definitions(session)]


def catalogue_rubriques(session: Session) -> list[catalogue.Rubrique]:
    """The catalogue: the published démarches grouped by rubrique (see engine.catalogue.rubriques)."""
    return catalogue.rubriques(definitions.published_definitions(session))


def deploy(session: Session, bpmn: bytes, author: str, ctx: LintContext) -> DefinitionView:
    """Validate, lint and store a BPMN file as the next version of its démarche (engine.deploy)."""
    return definition_view(deploying.deploy(session, bpmn, author, ctx))
