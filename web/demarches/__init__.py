"""The family's démarches: catalogue, start, « Mes demandes » and a request's history."""

from flask import Blueprint

bp = Blueprint("demarches", __name__, template_folder="templates")

from . import views  # noqa: E402, F401
