"""A BPMN expression or script that fails: the step is rolled back, the request marked « en erreur ».

The handler answers with a French page that says what happened and where the request can be found,
never a traceback; the technical message goes to the log and to the agents' dossier (the internal
timeline of the request), not to the family.
"""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_login import current_user

from engine import api
from engine.errors import ScriptError
from web.extensions import db

from .transaction import separate_unit_of_work

log = logging.getLogger(__name__)


def _record(exc: ScriptError) -> int | None:
    """Mark the request « en erreur » in a unit of work of its own (the request's session is rolled back
    and its 500 commits nothing); the id of the request, if any."""
    recorded = None
    with separate_unit_of_work() as session:
        if exc.instance_id is not None:
            recorded = api.record_failure(session, exc.instance_id, exc.message)
        if recorded is None and request.endpoint == "demarches.start" and current_user.is_authenticated:
            key = (request.view_args or {}).get("key", "")
            recorded = api.record_start_failure(session, key, current_user, exc.message)
    return recorded


def register(app: Flask) -> None:
    @app.errorhandler(ScriptError)
    def script_error(exc: ScriptError) -> tuple[str, int]:
        db.session.rollback()  # nothing of the failed step is kept
        log.error("Script error (request %s): %s", exc.instance_id, exc.message)
        try:
            recorded = _record(exc)
        except Exception:
            db.session.rollback()
            log.exception("The failure of request %s could not be recorded", exc.instance_id)
            recorded = None
        is_family = current_user.is_authenticated and not getattr(current_user, "groups", None)
        family = recorded is not None and is_family
        page = render_template("errors/script_error.html", instance_id=recorded, family=family)
        return page, 500
