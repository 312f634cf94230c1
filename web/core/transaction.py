"""The one commit of a request or command."""

from __future__ import annotations

from web.extensions import db

from .scheduler import wake_outbox


def commit() -> None:
    """Commit the request's session; if it wrote mails, wake the outbox job."""
    session = db.session()
    wrote_mail = session.info.pop("outbox_written", False)
    session.commit()
    if wrote_mail:
        wake_outbox()
