"""Two analysts publishing the same démarche at the same moment, on SQLite and on the real
PostgreSQL: threads released together by a barrier. Exactly one version is published per round; the
other analyst gets a clean Conflict (409 through the web) and nothing of theirs is published."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from engine import api
from engine.models import ProcessDefinition
from tests.fixtures.app import empty_tables
from tests.integration.test_queue_concurrency import race
from web.app import lint_context
from web.extensions import db

ROUNDS = 6
XML = (Path(__file__).resolve().parents[2] / "workflows" / "changement_adresse.bpmn").read_text("utf-8")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def application(request, app):
    if request.param == "sqlite":
        yield app
        return
    application = request.getfixturevalue("pg_app_once")
    empty_tables(application)
    yield application
    empty_tables(application)


def _version(application) -> int:
    with application.app_context():
        return max(
            db.session.execute(
                select(ProcessDefinition.version).where(ProcessDefinition.key == "changement_adresse")
            ).scalars()
        )


def _publisher(who: str, round_number: int, current: int, ctx):
    variant = XML.replace("Saisir la nouvelle adresse", f"Saisir l'adresse ({who} {round_number})")

    def action(session):
        return api.publish_version(
            session,
            variant.encode("utf-8"),
            author=who,
            comment=f"{who} {round_number}",
            ctx=ctx,
            expected_version=current,
        ).version

    return action


def test_two_analysts_publish_at_once_one_wins(application):
    with application.app_context():
        ctx = lint_context()
    for round_number in range(ROUNDS):
        current = _version(application)
        actions = [_publisher(who, round_number, current, ctx) for who in ("ana", "bea")]
        outcomes = race(application, *actions)
        assert sorted(outcomes, key=str) == sorted([current + 1, "conflict"], key=str), outcomes
        assert _version(application) == current + 1
    with application.app_context():
        authors = db.session.execute(
            select(ProcessDefinition.author, ProcessDefinition.comment)
            .where(ProcessDefinition.key == "changement_adresse", ProcessDefinition.version > 1)
            .order_by(ProcessDefinition.version)
        ).all()
    assert len(authors) == ROUNDS
    assert all(comment.startswith(author) for author, comment in authors)
