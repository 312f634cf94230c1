"""« Actualités »: news for everyone or for the families of a service or of an activity."""

from flask import Blueprint

bp = Blueprint("actualites", __name__, template_folder="templates")
