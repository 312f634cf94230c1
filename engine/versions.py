"""Versions of the démarches for the analysts' studio: list, publish, roll back.

A published version is immutable (author, date, comment, SHA-256). New requests start on the
latest version; running ones finish on theirs (each instance keeps its definition_id). Two analysts
publishing the same démarche at once: the version number is the guard, so one wins and the other
gets a Conflict (the unique (key, version) constraint settles a true race in the database).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from . import stored_messages as stored
from .db import utcnow
from .errors import Conflict, DeployError, NotFound
from .i18n import _
from .lint import LintContext
from .models import InstanceStatus, ProcessDefinition, ProcessInstance
from .stored_messages import french, translate_stored
from .validation import checked_bundle


@dataclass(frozen=True)
class VersionView:
    id: int
    key: str
    version: int
    title: str
    author: str
    created_at: datetime
    comment: str
    sha256: str
    running: int
    is_current: bool


@dataclass(frozen=True)
class DemarcheView:
    key: str
    title: str
    rubrique: str
    current: VersionView
    versions: tuple[VersionView, ...]  # newest first

    @property
    def running(self) -> int:
        return sum(v.running for v in self.versions)


def _running_by_definition(session: Session) -> dict[int, int]:
    rows = session.execute(
        select(ProcessInstance.definition_id, func.count())
        .where(ProcessInstance.status == InstanceStatus.RUNNING)
        .group_by(ProcessInstance.definition_id)
    )
    return {definition_id: count for definition_id, count in rows}


def _view(definition: ProcessDefinition, running: dict[int, int], current: int) -> VersionView:
    return VersionView(
        id=definition.id,
        key=definition.key,
        version=definition.version,
        title=definition.title,
        author=definition.author,
        created_at=definition.created_at,
        comment=translate_stored(definition.comment) or "",
        sha256=definition.sha256,
        running=running.get(definition.id, 0),
        is_current=definition.version == current,
    )


def _rubrique(definition: ProcessDefinition) -> str:
    from .catalogue import describe

    return describe(definition).rubrique


def demarches(session: Session, key: str | None = None) -> list[DemarcheView]:
    """Every démarche (or one) with all its published versions and running requests per version."""
    # The BPMN text is loaded only for the latest version of each démarche (its rubrique), if not cached.
    query = (
        select(ProcessDefinition)
        .options(defer(ProcessDefinition.bpmn_xml))
        .where(ProcessDefinition.is_published.is_(True))
    )
    if key is not None:
        query = query.where(ProcessDefinition.key == key)
    rows = session.execute(query.order_by(ProcessDefinition.key, ProcessDefinition.version.desc())).scalars()
    grouped: dict[str, list[ProcessDefinition]] = {}
    for definition in rows:
        grouped.setdefault(definition.key, []).append(definition)
    running = _running_by_definition(session)
    result = []
    for definitions in grouped.values():
        latest = definitions[0]
        views = tuple(_view(d, running, latest.version) for d in definitions)
        result.append(DemarcheView(latest.key, latest.title, _rubrique(latest), views[0], views))
    return sorted(result, key=lambda d: (d.rubrique, d.title.lower()))


def demarche(session: Session, key: str) -> DemarcheView:
    found = demarches(session, key)
    if not found:
        raise NotFound(_("Cette démarche n'existe pas."))
    return found[0]


def version_xml(session: Session, key: str, version: int) -> str:
    """The BPMN of one published version."""
    xml = session.execute(
        select(ProcessDefinition.bpmn_xml).where(
            ProcessDefinition.key == key, ProcessDefinition.version == version
        )
    ).scalar_one_or_none()
    if xml is None:
        raise NotFound(_("Cette version de la démarche n'existe pas."))
    return xml


def _latest(session: Session, key: str) -> ProcessDefinition | None:
    return session.execute(
        select(ProcessDefinition)
        .where(ProcessDefinition.key == key)
        .order_by(ProcessDefinition.version.desc())
        .limit(1)
    ).scalar_one_or_none()


def _check_next(session: Session, key: str, bpmn: bytes, expected_version: int | None) -> tuple[int, str]:
    """The current version of `key` and the digest of `bpmn`; raises Conflict or DeployError."""
    latest = _latest(session, key)
    current = latest.version if latest else 0
    if expected_version is not None and current != expected_version:
        who = latest.author if latest is not None else "?"
        raise Conflict(
            _(
                "La démarche a été publiée en version %(current)s par %(who)s pendant votre modification "
                "(vous partiez de la version %(expected)s). Rien n'a été publié et votre brouillon est "
                "conservé : ouvrez la nouvelle version et reportez-y vos changements.",
                current=current,
                who=who,
                expected=expected_version,
            )
        )
    digest = hashlib.sha256(bpmn).hexdigest()
    if latest is not None and latest.sha256 == digest:
        raise DeployError(
            [
                _(
                    "ce fichier est identique à la version %(version)s en service : rien à publier",
                    version=current,
                )
            ]
        )
    return current, digest


def publish(
    session: Session,
    bpmn: bytes,
    *,
    author: str,
    comment: str,
    ctx: LintContext,
    expected_version: int | None,
    expected_key: str | None = None,
) -> VersionView:
    """Check and store `bpmn` as the next version of its démarche.

    `expected_version` is the version the analyst's draft started from (0 for a new démarche; None
    skips the guard). Raises validation.Refused (located problems), DeployError or Conflict.
    """
    root, bundle = checked_bundle(bpmn, ctx)
    key = bundle.process_id
    if expected_key is not None and key != expected_key:
        raise DeployError(
            [
                _(
                    "le processus exécutable du fichier s'appelle « %(key)s » et non « %(expected)s » : "
                    "un fichier ne peut publier que la démarche dont il porte l'identifiant",
                    key=key,
                    expected=expected_key,
                )
            ]
        )
    current, digest = _check_next(session, key, bpmn, expected_version)
    from .runtime import find_process

    process = find_process(root, key)
    props = bundle.props(key)
    definition = ProcessDefinition(
        key=key,
        version=current + 1,
        title=(process.get("name") if process is not None else None) or key,
        description=props.get("description", ""),
        max_duration=props.get("dureeMaximale"),
        bpmn_xml=bpmn.decode("utf-8"),
        sha256=digest,
        author=author[:150],
        comment=comment.strip()[:2000],
        created_at=utcnow(),
    )
    session.add(definition)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(
            _(
                "Un autre analyste vient de publier la version %(version)s de cette démarche. Rien n'a "
                "été publié et votre brouillon est conservé : ouvrez la nouvelle version et reportez-y vos "
                "changements.",
                version=current + 1,
            )
        ) from None
    return _view(definition, {}, definition.version)


def rollback(
    session: Session,
    key: str,
    version: int,
    *,
    author: str,
    comment: str,
    ctx: LintContext,
    expected_version: int | None,
) -> VersionView:
    """Republish an older version as the next version (checked again against today's forms and groups)."""
    xml = version_xml(session, key, version)
    text = comment.strip() or french(stored.BACK_TO_VERSION, version=version)
    return publish(
        session,
        xml.encode("utf-8"),
        author=author,
        comment=text,
        ctx=ctx,
        expected_version=expected_version,
        expected_key=key,
    )


def keys(session: Session) -> Sequence[str]:
    return session.execute(select(ProcessDefinition.key).distinct()).scalars().all()
