"""The family's démarches: catalogue, start, « Mes demandes » and a request's history."""

from flask import Blueprint

bp = Blueprint("demarches", __name__, template_folder="templates")

# catalogue: « Aide à la saisie »; drafts: « Supprimer le brouillon ».
from . import catalogue, drafts, views  # noqa: E402, F401
