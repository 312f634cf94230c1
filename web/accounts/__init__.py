"""Accounts: families, agents, analysts and admins; login and logout."""

from flask import Blueprint

bp = Blueprint("accounts", __name__, template_folder="templates")

from . import views  # noqa: E402, F401
