"""The development outbox page: with no SMTP server, mails wait here so links can be clicked."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template
from sqlalchemy import select

from engine.api import OutboxMessage
from web.extensions import db

bp = Blueprint("devmail", __name__, url_prefix="/dev/courriels")


@bp.before_request
def only_in_development() -> None:
    if not current_app.config["DEV_OUTBOX"]:
        abort(404)


@bp.get("/")
def list_messages() -> str:
    messages = db.session.execute(
        select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(100)
    ).scalars()
    return render_template("devmail/list.html", messages=list(messages))


@bp.get("/<int:message_id>")
def show_message(message_id: int) -> str:
    message = db.session.get(OutboxMessage, message_id) or abort(404)
    return render_template("devmail/show.html", message=message)
