"""« Structures de la ville »: public list and detail pages, and their back office for agents."""

from flask import Blueprint

bp = Blueprint("structures", __name__, template_folder="templates")

from . import backoffice, views  # noqa: E402, F401
