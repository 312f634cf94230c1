"""« Mes documents »: the family's secure document store (« espace de stockage sécurisé »).

A family keeps its justificatifs here once (justificatif de domicile, livret de famille, avis
d'imposition…) and picks them in any démarche. The bytes live on disk, outside the web root, under
random names and content-addressed (one stored copy per content); the database keeps who owns what.
"""

from flask import Blueprint

bp = Blueprint("coffre", __name__, template_folder="templates")
