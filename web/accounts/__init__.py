"""Accounts: families, agents, analysts and admins; login and logout."""

from flask import Blueprint

bp = Blueprint("accounts", __name__, template_folder="templates")

from web.tasks import hooks as _task_hooks  # noqa: E402

from . import expiry, language, passwords, views  # noqa: E402, F401

# Password fields of task forms reach the services as Argon2 hashes (web/tasks/hooks.py).
_task_hooks.PASSWORD_HASHER[:] = [lambda password: passwords.hash_password(password)]
