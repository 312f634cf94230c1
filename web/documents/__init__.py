"""Documents joined to requests: stored with the task completion, downloaded by those who may see them."""

from flask import Blueprint

bp = Blueprint("documents", __name__)

from . import presentation, views  # noqa: E402, F401
