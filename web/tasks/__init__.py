"""The task page shared by families and agents: the engine decides who may act."""

from flask import Blueprint

bp = Blueprint("tasks", __name__, template_folder="templates")

# drafts: « Enregistrer le brouillon », forms posted after the session expired, second submissions.
# data_forms: the forms built from the studio's definitions (forms as data).
from . import data_forms, drafts, views  # noqa: E402, F401
