"""« A qui s'adresser en cas de problème ? »: the contact page and its « Signaler un problème » démarche."""

from flask import Blueprint

bp = Blueprint("contact", __name__, template_folder="templates")

from . import views  # noqa: E402, F401
