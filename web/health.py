"""`/sante`: the health page load balancers poll (JSON; 200 when this host can serve, 503 otherwise).

The host can serve when the database answers and its schema is the one the code expects (migrations
at head). The age of the workers' last heartbeat is reported too, but a late worker does not take
the web hosts out of the pool: it is for the monitoring (`"workers": {"etat": "en retard"}`).
"""

from __future__ import annotations

import logging
from functools import cache
from typing import Any

from alembic.script import ScriptDirectory
from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy import text

from engine import api
from engine.db import utcnow
from web.extensions import db

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)


@cache
def code_heads() -> frozenset[str]:
    """The migration heads of this code (read once per process)."""
    from alembic.config import Config

    from web.migrate import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return frozenset(ScriptDirectory.from_config(config).get_heads())


@bp.route("/sante")
def health() -> tuple[Response, int]:
    checks: dict[str, Any] = {}
    ok = True
    session = db.new_session()
    try:
        try:
            session.execute(text("SELECT 1"))
            checks["base"] = "ok"
        except Exception as exc:
            log.warning("Health: database unreachable: %s", exc)
            checks["base"] = "injoignable"
            return _answer(False, checks)
        try:
            current = set(session.execute(text("SELECT version_num FROM alembic_version")).scalars())
        except Exception:
            current = set()
        heads = code_heads()
        at_head = current == set(heads)
        ok = ok and at_head
        checks["migrations"] = {
            "etat": "ok" if at_head else "en retard",
            "base": sorted(current),
            "code": sorted(heads),
        }
        last = api.last_heartbeat(session) if at_head else None
    finally:
        session.close()
    if last is None:
        checks["workers"] = {"etat": "aucun", "dernier_passage": None, "age_secondes": None}
    else:
        age = max((utcnow() - last).total_seconds(), 0.0)
        late = age > float(current_app.config["WORKER_HEARTBEAT_MAX_AGE"])
        checks["workers"] = {
            "etat": "en retard" if late else "ok",
            "dernier_passage": last.isoformat(),
            "age_secondes": round(age, 1),
        }
    return _answer(ok, checks)


def _answer(ok: bool, checks: dict[str, Any]) -> tuple[Response, int]:
    response = jsonify({"statut": "ok" if ok else "indisponible", **checks})
    response.headers["Cache-Control"] = "no-store"
    return response, 200 if ok else 503
