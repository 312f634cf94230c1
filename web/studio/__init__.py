"""The analysts' studio: démarches, versions, drafts, checks, the BPMN editor (roles analyste, admin)."""

from flask import Blueprint

bp = Blueprint("studio", __name__, url_prefix="/studio", template_folder="templates")

from . import deploy_views, scenario_views, views  # noqa: E402, F401
