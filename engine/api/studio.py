"""Door: the analysts' studio (web/studio) — checks, versions, diff and text alternative of a démarche."""

from __future__ import annotations

import inspect

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import describe, validation, versions
from engine.describe import Change, Step
from engine.errors import NotFound
from engine.i18n import _
from engine.lint import LintContext
from engine.models import ProcessDefinition
from engine.registry import SERVICES
from engine.snapshots import InstanceView
from engine.validation import Problem, Refused, Validation
from engine.versions import DemarcheView, VersionView

__all__ = [
    "BPMN_MAX_BYTES",
    "Change",
    "DemarcheView",
    "Problem",
    "Refused",
    "Step",
    "Validation",
    "VersionView",
    "check_upload_size",
    "describe_instance_process",
    "describe_version",
    "diff_versions",
    "publish_version",
    "rollback_version",
    "service_operation_parameters",
    "service_operations",
    "studio_demarche",
    "studio_demarches",
    "validate_bpmn",
    "version_xml",
]

check_upload_size = validation.check_size
BPMN_MAX_BYTES = validation.MAX_BPMN_BYTES
studio_demarches = versions.demarches
studio_demarche = versions.demarche
version_xml = versions.version_xml
publish_version = versions.publish
rollback_version = versions.rollback


def validate_bpmn(bpmn: bytes, ctx: LintContext) -> Validation:
    """Every problem of a BPMN file (never raises): what `guichet deploy` and « Publier » refuse."""
    return validation.check(bpmn, ctx)[0]


def service_operations() -> list[tuple[str, str]]:
    """(operation id, description) of every registered BPMN service operation, by id."""
    return sorted(
        (op.name, op.description.splitlines()[0] if op.description else "") for op in SERVICES.values()
    )


def service_operation_parameters() -> dict[str, list[str]]:
    """Operation id -> the names of its keyword parameters (its signature without the first `ctx`)."""
    names: dict[str, list[str]] = {}
    for op in SERVICES.values():
        params = list(inspect.signature(op.func).parameters.values())[1:]
        names[op.name] = [p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    return names


def _definition(session: Session, key: str, version: int) -> ProcessDefinition:
    definition = session.execute(
        select(ProcessDefinition).where(ProcessDefinition.key == key, ProcessDefinition.version == version)
    ).scalar_one_or_none()
    if definition is None:
        raise NotFound(_("Cette version de la démarche n'existe pas."))
    return definition


def describe_version(session: Session, key: str, version: int) -> tuple[Step, ...]:
    """The text alternative of a published version's diagram: its ordered steps."""
    return describe.describe_definition(_definition(session, key, version))


def describe_instance_process(session: Session, instance: InstanceView) -> tuple[Step, ...]:
    """The text alternative of the diagram of the version a request runs on (agents' dossier)."""
    definition = session.get(ProcessDefinition, instance.definition.id)  # joined with the request
    assert definition is not None  # noqa: S101
    return describe.describe_definition(definition)


def diff_versions(session: Session, key: str, old: int, new: int) -> tuple[Change, ...]:
    """Elements added, removed and changed between two published versions (SpiffWorkflow's SpecDiff)."""
    return describe.diff_definitions(_definition(session, key, old), _definition(session, key, new))
