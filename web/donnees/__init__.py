"""« Mes données »: download everything Guichet holds about the account (RGPD art. 15 and 20), the
retention jobs (art. 5(1)(e)) and the public « Données personnelles » register of processing."""

from flask import Blueprint

bp = Blueprint("donnees", __name__, template_folder="templates")
