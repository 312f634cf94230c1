"""Administration of agents and groups (role admin), and the agents' absences."""

from flask import Blueprint

from engine.api import set_directory

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")

from . import services  # noqa: E402

set_directory(services.directory)

from . import audit_page, outbox_page, views  # noqa: E402, F401  (« Journal de sécurité », « File d'envoi »)
