"""The analysts' studio: démarches, versions, drafts, checks, the BPMN editor (roles analyste, admin)."""

from flask import Blueprint

bp = Blueprint("studio", __name__, url_prefix="/studio", template_folder="templates")

# formulaires: the form editor and « Nouvelle démarche à partir d'un modèle » (forms as data).
from . import blocs, deploy_views, formulaires, scenario_views, views  # noqa: E402, F401
