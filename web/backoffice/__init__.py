"""The agents' back office: queues per group and the request page with its full timeline."""

from flask import Blueprint

bp = Blueprint("backoffice", __name__, url_prefix="/agents", template_folder="templates")

from . import absences, dossier, exports, filters, queue_render, queues, views  # noqa: E402, F401
