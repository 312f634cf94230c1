"""« Activités » : booking the town's activities for the children (sessions, places, waiting lists,
fair opening windows with a seeded draw) and the agents' back office of each activity."""

from flask import Blueprint

bp = Blueprint("activites", __name__, template_folder="templates")
