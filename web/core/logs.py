"""Logs: level and format from the configuration, and one line per request.

`LOG_FORMAT=json` (the default in production) writes one JSON object per line, for the log
collectors of a multi-host deployment; every line written while a request runs carries its
`request_id` (taken from the proxy's `X-Request-ID` when it looks like one, generated otherwise, and
sent back in the response). The request line (logger `guichet.requete`) gives the method, the path,
the status, the duration in milliseconds, the user id and the client address (the route instead of
the path when the URL carries a secret token); static files and
`/sante` are logged at DEBUG so that a load balancer's probes do not flood INFO.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, has_request_context, request
from sqlalchemy import inspect as sa_inspect

REQUEST_LOG = logging.getLogger("guichet.requete")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")
_FIELDS = ("request_id", "method", "path", "status", "duration_ms", "user_id", "ip")
_QUIET_PREFIXES = ("/static/", "/sante")
# URL parts that are credentials (reset, activation and verification links, captcha ids): the line
# shows the route (« /mot-de-passe/<token> ») instead of the path, so logs never hold a live link.
_SECRET_ARGUMENTS = frozenset({"token", "challenge_id"})


def logged_path() -> str:
    rule = request.url_rule
    if rule is not None and _SECRET_ARGUMENTS & set(rule.arguments):
        return rule.rule
    return request.path


class RequestIdFilter(logging.Filter):
    """Stamp every record written during a request with the request's id."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = g.get("request_id") if has_request_context() else None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in _FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        request_id = getattr(record, "request_id", None)
        return f"{line} [{request_id}]" if request_id else line


def configure(app: Flask) -> None:
    """Set the level, install the formatter on a handler of our own, and log each request."""
    level = str(app.config["LOG_LEVEL"] or "INFO").upper()
    fmt = app.config["LOG_FORMAT"] or ("json" if app.config["ENV"] == "production" else "texte")
    if fmt not in ("json", "texte"):
        raise ValueError(f"GUICHET_LOG_FORMAT inconnu : {fmt!r} (json ou texte)")
    root = logging.getLogger()
    root.setLevel(level)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    if level != "DEBUG":  # SpiffWorkflow logs every task state change at INFO: the hottest path of all
        logging.getLogger("spiff").setLevel(logging.WARNING)
    mine = [handler for handler in root.handlers if getattr(handler, "guichet", False)]
    if not mine and not root.handlers:  # keep a handler set up by the host (pytest, gunicorn's --log-config)
        handler = logging.StreamHandler()
        handler.guichet = True  # type: ignore[attr-defined]
        mine = [handler]
        root.addHandler(handler)
    for handler in mine:
        handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
        if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
            handler.addFilter(RequestIdFilter())

    @app.before_request
    def start_request() -> None:
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def log_request(response: Response) -> Response:
        request_id = g.get("request_id")
        if request_id:
            response.headers["X-Request-ID"] = request_id
        started = g.get("request_started")
        duration = round((time.perf_counter() - started) * 1000, 1) if started else None
        user_id = _user_id(g.get("_login_user"))  # only if the request loaded it: no query for this line
        quiet = request.path.startswith(_QUIET_PREFIXES)
        path = logged_path()
        REQUEST_LOG.log(
            logging.DEBUG if quiet else logging.INFO,
            "%s %s %s %sms",
            request.method,
            path,
            response.status_code,
            duration,
            extra={
                "request_id": request_id,
                "method": request.method,
                "path": path,
                "status": response.status_code,
                "duration_ms": duration,
                "user_id": user_id,
                "ip": request.remote_addr,
            },
        )
        return response


def _user_id(user: Any) -> int | None:
    """The id of the request's account, if the request loaded one. Read from the ORM identity:
    after the request's commit (web/core/transaction.py) the account's attributes are expired,
    and `user.id` would read the whole account again for one log line."""
    if user is None:
        return None
    state = sa_inspect(user, raiseerr=False)
    if state is not None and state.identity:
        return int(state.identity[0])
    return getattr(user, "id", None) if user.is_authenticated else None
