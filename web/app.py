"""The Flask application factory."""

from __future__ import annotations

import logging
from importlib import import_module
from typing import Any

from flask import Flask

from engine.lint import LintContext
from forms.registry import load_all

from .config import load_config
from .extensions import csrf, db, login_manager, mail


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app: configuration, extensions, blueprints, error pages, security headers."""
    app = Flask(__name__, instance_path=_instance_path(overrides))
    load_config(app, overrides)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)

    db.init_app(app)
    mail.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Connectez-vous pour accéder à cette page."
    login_manager.login_message_category = "info"

    from . import accounts, backoffice, demarches, tasks
    from .accounts import captcha
    from .core import devmail, errors, security, transaction

    # These modules register BPMN service operations (engine.runtime.SERVICES) and task hooks.
    import_module("web.accounts.signup")
    import_module("web.accounts.email_change")
    import_module("web.accounts.phones")
    import_module("web.core.mail")
    import_module("web.notifications.routing")  # famille_notifier
    import_module("web.delais.services")  # tache_relancer, demande_escalader
    import_module("web.famille.operations")  # famille_corriger_dossier and its task hooks

    load_all()
    app.register_blueprint(accounts.bp)
    app.register_blueprint(demarches.bp)
    app.register_blueprint(tasks.bp)
    app.register_blueprint(backoffice.bp)
    app.register_blueprint(devmail.bp)
    app.register_blueprint(import_module("web.accounts.reset").bp)  # also its service operation and hook
    app.register_blueprint(captcha.bp)
    app.register_blueprint(import_module("web.documents").bp)  # justificatifs: download

    app.register_blueprint(import_module("web.admin").bp)  # agents, groups, absences, auto-assignment
    app.register_blueprint(import_module("web.accessibility").bp)  # « Accessibilité » statement
    import_module("web.famille.views")
    app.register_blueprint(import_module("web.famille").bp)  # « Ma famille », « Dossiers famille », import
    import_module("web.actualites.views")
    app.register_blueprint(import_module("web.actualites").bp)  # « Actualités », Atom feed
    transaction.register(app)  # the request's one commit (before the error pages' rollback)
    errors.register(app)
    security.register(app)
    accounts.sessions.register(app)  # idle and absolute session timeouts (after CSRFProtect's hook)
    _register_template_helpers(app)
    return app


def _register_template_helpers(app: Flask) -> None:
    from engine.db import utcnow

    from .core.presentation import date_fr, duration_fr

    app.add_template_filter(date_fr, "date_fr")
    app.add_template_filter(duration_fr, "duration_fr")

    @app.context_processor
    def inject_now() -> dict[str, Any]:
        return {"now": utcnow()}


def _instance_path(overrides: dict[str, Any] | None) -> str | None:
    import os

    if overrides and overrides.get("INSTANCE_PATH"):
        return str(overrides["INSTANCE_PATH"])
    return os.environ.get("GUICHET_INSTANCE_PATH") or None


def lint_context() -> LintContext:
    """What deploys are checked against: registered forms and the agent groups in the database."""
    from .accounts.services import group_names

    return LintContext(form_keys=set(load_all()), lanes=set(group_names(db.session())))
