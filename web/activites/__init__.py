"""« Activités » : booking the town's activities for the children (sessions, places, waiting lists,
fair opening windows with a seeded draw) and the agents' back office of each activity."""

from flask import Blueprint

bp = Blueprint("activites", __name__, template_folder="templates")

from web.famille import importer as _famille_importer  # noqa: E402

from .enrolments import resync_enrolments  # noqa: E402

# A families file from the service's software keeps the portal's places (web/famille/importer.py).
if resync_enrolments not in _famille_importer.AFTER_FAMILIES:
    _famille_importer.AFTER_FAMILIES.append(resync_enrolments)
