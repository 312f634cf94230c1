"""« Ma famille »: the family record, its import from the services' software, the agents' pages."""

from flask import Blueprint

bp = Blueprint("famille", __name__, template_folder="templates")
