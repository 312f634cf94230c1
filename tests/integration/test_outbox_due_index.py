"""The outbox's « is anything due » query reads its index (ix_outbox_message_due), on SQLite and on
the real PostgreSQL: its cost does not grow with the pending rows of a channel that is not sent
(mails without a mail server) nor with the rows not due yet."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.dialects import postgresql, sqlite

from engine.db import utcnow
from engine.outbox import claim_statement, due_query
from tests.fixtures.app import on_postgresql
from web.extensions import db

sqlite_app = pytest.mark.skipif(
    on_postgresql(), reason="the `app` runs on PostgreSQL (GUICHET_TEST_DATABASE)"
)


def _compiled(dialect: object, channels: list[str]) -> str:
    query = due_query(utcnow(), 50, channels)
    return str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))  # type: ignore[arg-type]


@sqlite_app
@pytest.mark.parametrize("channels", [["sms"], ["courriel", "sms"]])
def test_sqlite_reads_the_due_index(app, channels):
    with app.app_context():
        plan = db.session.execute(text("EXPLAIN QUERY PLAN " + _compiled(sqlite.dialect(), channels))).all()
    details = " | ".join(str(row[-1]) for row in plan)
    assert "INDEX ix_outbox_message_due (status=? AND channel=? AND next_attempt_at<?)" in details, details
    assert "SCAN outbox_message" not in details, details


@sqlite_app
@pytest.mark.parametrize("channels", [["sms"], ["courriel", "sms"]])
def test_sqlite_claims_and_reads_back_through_indexes(app, channels):
    """The claim's UPDATE and the read of the claimed rows scan no table (the UPDATE's own WHERE
    once walked every pending row of the other channels: 166 ms at 100,000 unsent mails)."""
    now = utcnow()
    claim = claim_statement(now, 50, channels, "jeton", now)
    claimed = "SELECT id FROM outbox_message WHERE claim_token = 'jeton'"
    with app.app_context():
        for statement in (
            str(claim.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True})),
            claimed,
        ):
            plan = db.session.execute(text("EXPLAIN QUERY PLAN " + statement)).all()
            details = " | ".join(str(row[-1]) for row in plan)
            assert "SCAN outbox_message" not in details, details
            assert "INDEX ix_outbox_message_" in details, details
            assert "(status=?)" not in details, details  # a walk of every pending row


@pytest.mark.postgres
def test_postgresql_reads_the_due_index(pg_app):
    """With 20,000 pending mails that are not sent (no mail server) and statistics up to date, the
    planner reads the index for the SMS rows instead of scanning the table."""
    with pg_app.app_context():
        session = db.session()
        later = utcnow() - timedelta(minutes=1)
        session.execute(
            text(
                "INSERT INTO outbox_message (recipient, subject, body_text, message_id, status, attempts,"
                " next_attempt_at, created_at, channel) SELECT 'x@example.test', 's', 'b',"
                " '<' || n || '@bench>', 'pending', 0, :later, :later, 'courriel'"
                " FROM generate_series(1, 20000) AS n"
            ),
            {"later": later},
        )
        session.execute(text("ANALYZE outbox_message"))
        plan = session.execute(text("EXPLAIN " + _compiled(postgresql.dialect(), ["sms"]))).scalars().all()
        session.rollback()
    lines = "\n".join(plan)
    assert "ix_outbox_message_due" in lines, lines
    assert "Seq Scan on outbox_message" not in lines, lines
