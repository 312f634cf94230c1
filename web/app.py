"""The Flask application factory."""

from __future__ import annotations

from importlib import import_module
from importlib import util as importlib_util
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from forms.registry import load_all

from .accounts.services import lint_context as lint_context  # re-exported: what deploys are checked against
from .config import load_config
from .core import i18n, logs
from .extensions import csrf, db, login_manager, mail


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app: configuration, extensions, blueprints, error pages, security headers."""
    app = Flask(__name__, instance_path=_instance_path(overrides))
    load_config(app, overrides)
    logs.configure(app)  # GUICHET_LOG_LEVEL, GUICHET_LOG_FORMAT, one line per request
    if int(app.config["TRUSTED_PROXIES"]):  # client address and scheme from the reverse proxies' headers
        n = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n)  # type: ignore[method-assign]

    db.init_app(app)
    i18n.register(app)  # French source text, English catalogue (web/translations/en/*.po)
    mail.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = i18n.lazy_gettext("Connectez-vous pour accéder à cette page.")
    login_manager.login_message_category = "info"
    login_manager.localize_callback = str  # the lazy message in the request's language

    from . import accounts
    from .core import errors, security, transaction

    # The task hooks of the account démarches (web/tasks/hooks.py), then every service operation.
    import_module("web.accounts.signup")
    import_module("web.accounts.email_change")
    import_module("web.home")  # the home page (endpoint accounts.home), before the blueprint is registered
    discover_operations()

    load_all()
    _register_areas(app)
    transaction.register(app)  # the request's one commit (before the error pages' rollback)
    errors.register(app)
    import_module("web.core.script_errors").register(app)  # a failing BPMN expression: request « en erreur »
    _configure_scripts(app)
    security.register(app)
    accounts.sessions.register(app)  # idle and absolute session timeouts (after CSRFProtect's hook)
    _register_template_helpers(app)
    if app.config["CELERY_BROKER_URL"]:  # a commit that wrote mail sends the outbox job at once
        import_module("web.celery_app").install_outbox_waker(app)
    # Browsers ask /favicon.ico whatever the page says: answer it rather than log a 404 per visit.
    app.add_url_rule("/favicon.ico", "favicon", lambda: app.send_static_file("favicon.ico"))
    return app


def _register_areas(app: Flask) -> None:
    """Every area's blueprint (with the modules that add routes to it), in a fixed order."""
    from . import accounts, backoffice, demarches, tasks
    from .accounts import captcha
    from .core import devmail

    app.register_blueprint(accounts.bp)
    app.register_blueprint(demarches.bp)
    app.register_blueprint(tasks.bp)
    app.register_blueprint(backoffice.bp)
    app.register_blueprint(devmail.bp)
    app.register_blueprint(import_module("web.accounts.reset").bp)  # also its service operation and hook
    app.register_blueprint(captcha.bp)
    app.register_blueprint(import_module("web.documents").bp)  # justificatifs: download
    _register_personal_data(app)  # « Mes documents », « Mes données », « Données personnelles »

    app.register_blueprint(import_module("web.admin").bp)  # agents, groups, absences, auto-assignment
    app.register_blueprint(import_module("web.accessibility").bp)  # « Accessibilité » statement
    app.register_blueprint(import_module("web.health").bp)  # /sante for load balancers
    app.register_blueprint(import_module("web.studio").bp)  # the analysts' studio
    app.register_blueprint(import_module("web.structures").bp)  # « Structures de la ville », back office
    app.register_blueprint(import_module("web.contact").bp)  # « A qui s'adresser en cas de problème ? »
    import_module("web.famille.views")
    app.register_blueprint(import_module("web.famille").bp)  # « Ma famille », « Dossiers famille », import
    import_module("web.actualites.views")
    app.register_blueprint(import_module("web.actualites").bp)  # « Actualités », Atom feed
    for module in ("views", "bank", "agents", "import_view", "create_view"):
        import_module(f"web.factures.{module}")
    app.register_blueprint(import_module("web.factures").bp)  # « Mes factures », payment, « Finances »
    import_module("web.activites.views")
    import_module("web.activites.backoffice")
    import_module("web.activites.session_admin")
    app.register_blueprint(import_module("web.activites").bp)  # « Activités »: booking, back office


def _register_personal_data(app: Flask) -> None:
    """« Mes documents » (web/coffre), its choice in every document field, « Mes données » (web/donnees)."""
    import_module("web.coffre.views")
    app.register_blueprint(import_module("web.coffre").bp)
    import_module("web.coffre.choice").register(app)
    import_module("web.donnees.views")
    app.register_blueprint(import_module("web.donnees").bp)


def discover_operations() -> list[str]:
    """Import every `web.<area>.operations` module: their `@service` functions fill the registry.

    The one registration step of the BPMN service operations (docs/architecture.md); a new area
    only adds its `operations.py`. Returns the modules imported, in name order.
    """
    import pkgutil

    import web

    found = []
    for area in sorted(info.name for info in pkgutil.iter_modules(web.__path__) if info.ispkg):
        name = f"web.{area}.operations"
        if importlib_util.find_spec(name) is not None:
            import_module(name)
            found.append(name)
    return found


def _configure_scripts(app: Flask) -> None:
    from engine import api

    api.configure_scripts(
        cpu_seconds=app.config["SCRIPT_CPU_SECONDS"], max_instance_bytes=app.config["MAX_INSTANCE_BYTES"]
    )


def _register_template_helpers(app: Flask) -> None:
    from engine.db import utcnow
    from forms.fields import national_phone

    from .core.presentation import date_fr, de, duration_fr

    app.add_template_filter(date_fr, "date_fr")
    app.add_template_filter(duration_fr, "duration_fr")
    app.add_template_filter(national_phone, "telephone_fr")
    app.add_template_filter(de, "de")

    @app.context_processor
    def inject_now() -> dict[str, Any]:
        return {"now": utcnow()}


def _instance_path(overrides: dict[str, Any] | None) -> str | None:
    import os

    if overrides and overrides.get("INSTANCE_PATH"):
        return str(overrides["INSTANCE_PATH"])
    return os.environ.get("GUICHET_INSTANCE_PATH") or None
