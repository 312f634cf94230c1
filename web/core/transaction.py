"""The one commit of a request or command.

A request is one unit of work: `register` commits the request's session once after the view
succeeded (any status below 400) and rolls it back otherwise, so a view never has to remember a
`commit()` and a failing request leaves nothing half-written. Mails written to the outbox are sent
only after that commit (`wake_outbox`).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, Response

from web.extensions import db

#: Run after a commit that wrote mails: web/scheduler.py registers its « wake the outbox job ».
OUTBOX_WAKERS: list[Callable[[], None]] = []


def wake_outbox() -> None:
    for waker in OUTBOX_WAKERS:
        waker()


def commit() -> None:
    """Commit the current session; if it wrote mails, wake the outbox job."""
    session = db.session()
    wrote_mail = session.info.pop("outbox_written", False)
    session.commit()
    if wrote_mail:
        wake_outbox()


def register(app: Flask) -> None:
    """Commit each successful request once after its view; roll back a failed one."""

    @app.after_request
    def commit_unit_of_work(response: Response) -> Response:
        if not db.session.registry.has():
            return response  # the request never opened a session
        if response.status_code < 400:
            commit()
        else:
            db.session().info.pop("outbox_written", None)
            db.session.rollback()
        return response
