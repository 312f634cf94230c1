"""The development outbox page: with no SMTP server, mails wait here so links can be clicked."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template

from engine import api
from web.extensions import db

bp = Blueprint("devmail", __name__, url_prefix="/dev/courriels")


@bp.before_request
def only_in_development() -> None:
    if not current_app.config["DEV_OUTBOX"]:
        abort(404)


@bp.get("/")
def list_messages() -> str:
    return render_template("devmail/list.html", messages=api.recent_messages(db.session()))


@bp.get("/<int:message_id>")
def show_message(message_id: int) -> str:
    message = api.message_view(db.session(), message_id) or abort(404)
    return render_template("devmail/show.html", message=message, mail_language=message.language)
