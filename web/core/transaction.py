"""The one commit of a request, command or job.

A request is one unit of work: `register` commits the request's session once after the view
succeeded (any status below 400) and rolls it back otherwise, so a view never calls `commit()` (it
only flushes) and a failing request leaves nothing half-written. A GET (or HEAD, OPTIONS) never
writes: its session is rolled back if the view wrote anything. Mails written to the outbox are sent
only after that commit (`wake_outbox`).

A GET that read only ends with COMMIT rather than ROLLBACK (the same for a transaction that wrote
nothing): on PostgreSQL a ROLLBACK makes psycopg forget the statements it had prepared on that
connection (it cannot know what the rollback undid), so each GET made the server parse and plan
again the statements of the requests after it. « Wrote » is known from the statements the
connection actually sent (`statement_writes`), not only from the ORM's flushes, so a Core INSERT
or UPDATE in a GET is still rolled back.

A CLI command or a scheduled job is one unit of work too, committed once at the end and rolled back
on error: `@in_unit_of_work` (or `with unit_of_work()`) for a command, on the app context's session;
`separate_unit_of_work()` for a job, on a session of its own (the jobs run in their own thread).

The few writes that must outlive the request's outcome are explicit, and listed in
docs/architecture.md (« Units of work »):
- `separate_unit_of_work()`: a session of its own, committed at once (the attempt row of a login or
  re-authentication, counted *before* the password is checked, so concurrent attempts see it);
- `keep_writes(reason)`: the request's writes are committed even though it answers with a 4xx or is
  a GET (the outcome of a refused login, a captcha challenge shown on a page).
No other module of web/ calls `commit()` (tests/integration/test_transaction.py checks it).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

from flask import Flask, Response, request
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, ExecutionContext
from sqlalchemy.orm import Session, SessionTransaction

from engine.api import WRITTEN_CHANNELS
from web.extensions import db

#: Run after a commit that wrote mails: web/scheduler.py registers its « wake the outbox job ». Each
#: gets the channels written (« courriel », « sms »; empty when unknown) and may skip a channel that
#: nothing sends (mails without a mail server wait on « Courriels (développement) »).
OUTBOX_WAKERS: list[Callable[[frozenset[str]], None]] = []


def wake_outbox(channels: frozenset[str] = frozenset()) -> None:
    for waker in OUTBOX_WAKERS:
        waker(channels)


log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_KEEP = "keep_writes"
_WROTE = "flushed_writes"


_CONNECTIONS = "transaction_connections"


@event.listens_for(Session, "after_flush")
def _note_writes(session: Session, flush_context: object) -> None:
    """Remember that the unit of work wrote (a GET that did is reported, then rolled back)."""
    session.info[_WROTE] = True


@event.listens_for(Session, "after_begin")
def _note_connection(session: Session, transaction: SessionTransaction, connection: Connection) -> None:
    """Keep the connections of the session's transaction, to ask them what they sent."""
    connection.info.pop(_WROTE, None)
    session.info.setdefault(_CONNECTIONS, []).append(connection)


@event.listens_for(Session, "after_transaction_end")
def _forget_connections(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_CONNECTIONS, None)


#: The first words of a textual statement that reads (a PRAGMA that sets a value excepted).
_READING_WORDS = frozenset({"SELECT", "WITH", "PRAGMA", "EXPLAIN", "SHOW"})


def statement_writes(statement: str, context: ExecutionContext | None) -> bool:
    """An INSERT, UPDATE, DELETE or DDL built with SQLAlchemy; for a textual statement (text(),
    `exec_driver_sql`, the dialect's own reflection), anything that does not start with a reading word."""
    if context is not None and getattr(context, "compiled", None) is not None and not context.is_text:
        return bool(context.isinsert or context.isupdate or context.isdelete or context.isddl)
    words = statement.split(None, 1)
    first = words[0].upper() if words else ""
    return first not in _READING_WORDS or (first == "PRAGMA" and "=" in statement)


@event.listens_for(Engine, "before_cursor_execute")
def _note_statement(
    connection: Connection,
    cursor: object,
    statement: str,
    parameters: object,
    context: ExecutionContext | None,
    many: bool,
) -> None:
    """A statement that writes marks the connection's transaction as one that wrote."""
    if statement_writes(statement, context):
        connection.info[_WROTE] = True


def wrote(session: Session) -> bool:
    """Whether the session's transaction wrote: flushed, holds changes, or sent a statement that writes."""
    return bool(
        session.info.get(_WROTE)
        or session.new
        or session.dirty
        or session.deleted
        or any(connection.info.get(_WROTE) for connection in session.info.get(_CONNECTIONS, ()))
    )


def _active(session: Session) -> bool:
    """No transaction yet, or one that can still commit (not broken by a failed flush)."""
    transaction = session.get_transaction()
    return transaction is None or transaction.is_active


def _commit(session: Session) -> None:
    """Commit `session`; if it wrote mails, wake the outbox job (the outbox drains after the commit)."""
    channels = frozenset(session.info.pop(WRITTEN_CHANNELS, ()))
    session.info.pop(_KEEP, None)
    session.info.pop(_WROTE, None)
    session.commit()
    if channels:
        wake_outbox(channels)


def _rollback(session: Session) -> None:
    session.info.pop(WRITTEN_CHANNELS, None)
    session.info.pop(_KEEP, None)
    session.info.pop(_WROTE, None)
    session.rollback()


def commit() -> None:
    """Commit the current session once (the end of a unit of work); prefer `unit_of_work()`."""
    _commit(db.session())


def keep_writes(reason: str) -> None:
    """Commit this request's writes even if it answers with a 4xx status or is a GET.

    Only for writes that are the very point of a refusal or of a page display: the outcome of a
    refused login attempt, a captcha challenge shown on the page. An exception (500) still rolls
    everything back. `reason` is logged at debug level, so a reader sees why.
    """
    db.session().info[_KEEP] = reason
    log.debug("Request writes kept whatever the status: %s", reason)


@contextmanager
def separate_unit_of_work() -> Iterator[Session]:
    """A session of its own, committed at the end of the block (rolled back on error), now.

    For a row that must be visible to concurrent requests before this request ends, whatever its
    outcome (a login attempt counted before it is checked). Use it before the request's session
    wrote anything: on SQLite the two would otherwise wait for each other's write lock.
    """
    own = db.new_session()
    try:
        yield own
        _commit(own)
    except BaseException:
        _rollback(own)
        raise
    finally:
        own.close()


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """The current session as one unit of work: committed once at the end, rolled back on error.

    For CLI commands and jobs that use the app context's session (`db.session`).
    """
    session = db.session()
    try:
        yield session
        _commit(session)
    except BaseException:
        _rollback(session)
        raise


def in_unit_of_work(function: Callable[P, R]) -> Callable[P, R]:
    """Decorate a CLI command: its writes are committed once when it returns, rolled back if it fails."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with unit_of_work():
            return function(*args, **kwargs)

    return wrapper


def register(app: Flask) -> None:
    """Commit each successful request once after its view; roll back a failed one and a GET that wrote."""

    @app.after_request
    def commit_unit_of_work(response: Response) -> Response:
        if not db.session.registry.has():
            return response  # the request never opened a session
        session = db.session()
        kept = _KEEP in session.info
        if kept and response.status_code < 500:
            _commit(session)
        elif request.method in SAFE_METHODS:
            if wrote(session):
                log.error("A %s request tried to write: rolled back (%s)", request.method, request.path)
                _rollback(session)
            elif response.status_code < 400 and _active(session):
                _commit(session)  # read only: as a rollback, and psycopg keeps its prepared statements
            else:
                _rollback(session)
        elif response.status_code < 400:
            _commit(session)
        else:
            _rollback(session)
        return response
