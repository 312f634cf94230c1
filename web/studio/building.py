"""Building a démarche without code: from a model, then its forms, then publishing (studio functions).

The form editor (web/studio/formulaires.py) and `guichet demo` (web/demo.py) both go through these
functions, so the demo builds « Demande de carte de stationnement résident » exactly as an analyst
does in the studio: a draft from the model, fields added one by one, then « Publier ».
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from engine import api
from engine.errors import DeployError, NotFound
from web.core.i18n import _

from . import services
from .models import StudioAction


def working_xml(session: Session, user_id: int, key: str) -> str:
    """The BPMN the analyst edits: their draft, else the version in service."""
    draft = services.draft(session, user_id, key)
    if draft is not None:
        return draft.bpmn_xml
    try:
        current = api.studio_demarche(session, key).current.version
    except NotFound:
        raise NotFound(_("Cette démarche n'existe pas.")) from None
    return api.version_xml(session, key, current)


def save_xml(session: Session, user_id: int, key: str, xml: str) -> None:
    """Keep the edited BPMN as the analyst's draft (created from the version in service if needed)."""
    existing = services.draft(session, user_id, key)
    if existing is not None:
        base = existing.base_version
    else:
        try:
            base = api.studio_demarche(session, key).current.version
        except NotFound:
            base = 0
    services.save_draft(session, user_id, key, xml, base)


def create_from_model(session: Session, user_id: int, model: api.DemarcheModel) -> str:
    """A new démarche's draft from the model and its building blocks; returns its key."""
    services.save_draft(session, user_id, model.key, api.demarche_from_model(model), 0)
    return model.key


def insert_block(session: Session, user_id: int, key: str, block: str, task_id: str) -> None:
    """« Ajouter un bloc réutilisable » around an agents' task of the draft (or of the version in
    service, which then becomes the analyst's draft); raises api.BlockRefused (nothing saved)."""
    xml = api.with_block(working_xml(session, user_id, key), block, task_id, key)
    save_xml(session, user_id, key, xml)


def set_task_form(
    session: Session, user_id: int, key: str, task_id: str, definition: dict[str, Any]
) -> list[str]:
    """Store a task's form definition in the draft if it is valid; else its problems (nothing saved)."""
    found = api.form_definition_problems(definition, complete=False)
    if found:
        return found
    save_xml(
        session,
        user_id,
        key,
        api.with_task_form(working_xml(session, user_id, key), task_id, definition, key),
    )
    return []


def add_field(session: Session, user_id: int, key: str, task_id: str, field: dict[str, Any]) -> list[str]:
    """« Ajouter un champ » (at the end); the problems of the resulting form, if any (nothing saved)."""
    current = api.task_form(working_xml(session, user_id, key), task_id).definition or api.empty_form()
    return set_task_form(session, user_id, key, task_id, api.form_with_field(current, field))


def form_keys(session: Session, user_id: int) -> set[str]:
    """The data forms' keys the modeler may offer: of the published versions and of the analyst's drafts."""
    keys = api.published_data_form_keys(session)
    for draft in services.drafts_of(session, user_id):
        try:
            keys |= {t.form_key for t in api.task_forms(draft.bpmn_xml) if t.definition and t.form_key}
        except DeployError:
            continue  # an unreadable draft: its page lists the problem
    return keys


class CasesFailed(Exception):
    """The draft's scenario cases that fail: the publish is blocked, nothing is published."""

    def __init__(self, failures: list[Any]) -> None:
        super().__init__(f"{len(failures)} cas de test échouent")
        self.failures = failures


def publish_draft(session: Session, user_id: int, author: str, key: str, comment: str) -> api.VersionView:
    """« Publier » the analyst's draft: its scenario cases played first (one failing case blocks it),
    then checked (forms included), stored, journaled, draft dropped. The one way to publish: the
    studio's page and `guichet demo` both call it.

    Raises CasesFailed, api.Refused, DeployError or Conflict; the caller rolls back.
    """
    from web.accounts.services import lint_context

    from . import scenario_services

    draft = services.draft(session, user_id, key)
    if draft is None:
        raise NotFound(_("Vous n'avez pas de brouillon à publier pour cette démarche."))
    base = draft.base_version
    data = draft.bpmn_xml.encode("utf-8")
    if api.validate_bpmn(data, lint_context()).ok:  # a refused diagram gets its own report below
        failures = scenario_services.failing(scenario_services.run_all(session, key, draft.bpmn_xml))
        if failures:
            raise CasesFailed(failures)
    version = api.publish_version(
        session,
        data,
        author=author,
        comment=comment,
        ctx=lint_context(),
        expected_version=base,
        expected_key=key,
    )
    services.record(
        session,
        actor=author,
        action=StudioAction.PUBLISH,
        key=key,
        version=version.version,
        from_version=base or None,
        comment=comment,
    )
    services.discard_draft(session, user_id, key)
    return version
