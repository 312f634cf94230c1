"""« File d'envoi » (role admin): what waits in the outbox, per channel, and the current outage."""

from __future__ import annotations

from flask import render_template

from engine import api
from web.core.i18n import _l
from web.extensions import db

from . import bp
from .views import admin_required

CHANNEL_LABELS = {"courriel": _l("Courriels"), "sms": _l("SMS")}


@bp.route("/file-envoi")
@admin_required
def outbox() -> str:
    lines = api.outbox_backlog(db.session())
    return render_template(
        "admin/outbox.html", lines=lines, labels=CHANNEL_LABELS, heartbeat=api.last_heartbeat(db.session())
    )
