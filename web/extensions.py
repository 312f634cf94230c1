"""Extensions, created unbound and initialised in the app factory."""

from __future__ import annotations

import time
from typing import Any

from flask import Flask
from flask_login import LoginManager
from flask_mail import Mail
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, scoped_session, sessionmaker


class Database:
    """A SQLAlchemy engine per app and a session scoped to the app context (one per request or job).

    Each app keeps its own engine and session factory in `app.extensions`, so that two apps in one
    process (tests, a worker beside a web app) never share a database by accident.
    """

    def __init__(self) -> None:
        self._last: _AppDatabase | None = None
        self.session: scoped_session[Session] = scoped_session(self._create_session, scopefunc=_context_id)

    def init_app(self, app: Flask) -> None:
        engine = make_engine(app.config["SQLALCHEMY_DATABASE_URI"])
        state = _AppDatabase(engine, sessionmaker(bind=engine, expire_on_commit=False))
        app.extensions["guichet_db"] = state
        self._last = state

        @app.teardown_appcontext
        def remove_session(exc: BaseException | None) -> None:
            self.session.remove()

    def _state(self) -> _AppDatabase:
        """The current app's database, or the last initialised one outside an app context."""
        from flask import current_app, has_app_context

        if has_app_context():
            return current_app.extensions["guichet_db"]  # type: ignore[no-any-return]
        if self._last is None:
            raise RuntimeError("Database.init_app() has not been called")
        return self._last

    @property
    def engine(self) -> Engine | None:
        return self._state().engine

    def _create_session(self) -> Session:
        return self._state().factory()

    def new_session(self) -> Session:
        """A session outside the request scope, for jobs running in their own thread."""
        return self._state().factory()


class _AppDatabase:
    def __init__(self, engine: Engine, factory: sessionmaker[Session]) -> None:
        self.engine = engine
        self.factory = factory


def _context_id() -> int:
    from flask import g

    try:
        return id(g._get_current_object())
    except RuntimeError:
        import threading

        return threading.get_ident()


#: A pooled connection unused for longer than this is pinged before it is handed out (seconds).
PING_AFTER_IDLE = 5.0


def _ping_after_idle(engine: Engine) -> None:
    """Ping a pooled connection before use only when it sat idle, not at every request.

    SQLAlchemy's `pool_pre_ping` sends a round trip at every checkout, about 1 in 14 of a request's
    on PostgreSQL (docs/performance.md, « sixth pass »). A connection that sat in the pool for more
    than `PING_AFTER_IDLE` seconds is pinged and replaced if the server went away (a restart during a
    quiet night); one in steady use is not: if the server goes away between two requests, the first
    request to meet it answers « service momentanément indisponible » (503) and SQLAlchemy throws the
    whole pool away, so the next ones connect afresh.
    """

    @event.listens_for(engine, "checkin")
    def _returned(dbapi_connection: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        returned = record.info.get("returned_at")
        if returned is None or time.monotonic() - returned < PING_AFTER_IDLE:
            return  # a new connection, or one used a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            lost = DisconnectionError(f"connection lost while idle: {error}")
            lost.invalidate_pool = True  # the server went away: the other idle connections are gone too
            raise lost from error


def make_engine(url: str) -> Engine:
    """Create the engine; SQLite gets a busy timeout, WAL and foreign keys."""
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
    engine = create_engine(url, **kwargs)
    if not url.startswith("sqlite"):
        _ping_after_idle(engine)
    else:

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if ":memory:" not in url and url != "sqlite://":
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            # Deleted rows are overwritten with zeros, not left in free pages (account closure, retention).
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.close()

    return engine


db = Database()
login_manager = LoginManager()
mail = Mail()
csrf = CSRFProtect()
