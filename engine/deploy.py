"""Deploying a BPMN file: parse, validate, lint, and store it as the next version of its démarche."""

from __future__ import annotations

import hashlib
import logging

from sqlalchemy.orm import Session

from .db import utcnow
from .definitions import latest_definition
from .lint import LintContext
from .models import ProcessDefinition
from .runtime import find_process
from .validation import checked_bundle

log = logging.getLogger(__name__)


def deploy(session: Session, bpmn: bytes, author: str, ctx: LintContext) -> ProcessDefinition:
    """Validate, lint and store a BPMN file as the next immutable version of its démarche.

    Raises DeployError with one French message per problem. Deploying the same bytes as the
    latest version returns that version instead of creating a new one.
    """
    root, bundle = checked_bundle(bpmn, ctx)  # the studio's checks (engine/validation.py)
    digest = hashlib.sha256(bpmn).hexdigest()
    latest = latest_definition(session, bundle.process_id)
    if latest is not None and latest.sha256 == digest:
        return latest
    process_props = bundle.props(bundle.process_id)
    process = find_process(root, bundle.process_id)
    definition = ProcessDefinition(
        key=bundle.process_id,
        version=(latest.version + 1) if latest else 1,
        title=(process.get("name") if process is not None else None) or bundle.process_id,
        description=process_props.get("description", ""),
        max_duration=process_props.get("dureeMaximale"),
        bpmn_xml=bpmn.decode("utf-8"),
        sha256=digest,
        author=author,
        created_at=utcnow(),
    )
    session.add(definition)
    session.flush()
    log.info("Deployed %s v%s by %s", definition.key, definition.version, author)
    return definition
