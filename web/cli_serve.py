"""`guichet run` (waitress, development and small sites) and `guichet serve` (gunicorn, production)."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import ScriptInfo, with_appcontext

from . import scheduler
from .core.i18n import _, _l


@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True, help=_l("Adresse d'écoute."))
@click.option("--port", default=5000, show_default=True, type=int, help=_l("Port d'écoute."))
@click.option("--threads", default=8, show_default=True, type=int, help=_l("Fils de traitement (waitress)."))
@with_appcontext
def run_command(host: str, port: int, threads: int) -> None:
    """Serve Guichet with waitress (and the in-process scheduler unless disabled)."""
    from waitress import serve

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    use_server_address(app, host, port)
    if app.config["SCHEDULER_ENABLED"]:
        scheduler.start_background(app)
    url = f"http://{host}:{port}/"
    click.echo(_("Guichet écoute sur %(url)s  (Ctrl+C pour arrêter)", url=url))
    serve(app, host=host, port=port, threads=threads, ident="Guichet")


@click.command("serve")
@click.option("--bind", default="127.0.0.1:8000", show_default=True, help=_l("Adresse et port d'écoute."))
@click.option("--workers", default=2, show_default=True, type=int, help=_l("Processus de traitement."))
@click.option("--threads", default=4, show_default=True, type=int, help=_l("Fils par processus."))
@click.option(
    "--preload/--no-preload",
    default=True,
    show_default=True,
    help=_l("Charger l'application avant de créer les processus."),
)
@click.option(
    "--timeout",
    default=60,
    show_default=True,
    type=int,
    help=_l("Secondes avant qu'un processus bloqué soit remplacé."),
)
@click.option(
    "--graceful-timeout",
    default=30,
    show_default=True,
    type=int,
    help=_l("Secondes laissées aux requêtes en cours lors d'un arrêt ou d'un rechargement."),
)
@click.option(
    "--pid",
    "pidfile",
    default=None,
    help=_l("Fichier où écrire le numéro du processus maître (kill -HUP pour recharger)."),
)
@click.pass_context
def serve_command(
    context: click.Context,
    bind: str,
    workers: int,
    threads: int,
    preload: bool,
    timeout: int,
    graceful_timeout: int,
    pidfile: str | None,
) -> None:
    """Serve Guichet in production with gunicorn (several processes; `kill -HUP` reloads them gracefully).

    No application context around it (unlike the other commands): the workers inherit the master's
    context variables at the fork, and gunicorn's sync worker (`--threads 1`) serves requests in its
    main thread, where Flask would reuse an inherited application context for every request: `g`
    (the logged-in user, the CSRF token) would then pass from one visitor to the next."""
    from .serve import serve

    app = context.ensure_object(ScriptInfo).load_app()
    click.echo(
        _(
            "Guichet (gunicorn, %(workers)s processus × %(threads)s fils) écoute sur %(url)s",
            workers=workers,
            threads=threads,
            url="http://" + bind + "/",
        )
    )
    serve(
        app,
        bind=bind,
        workers=workers,
        threads=threads,
        preload=preload,
        timeout=timeout,
        graceful_timeout=graceful_timeout,
        pidfile=pidfile,
    )


def use_server_address(app: Flask, host: str, port: int) -> None:
    """In development without GUICHET_BASE_URL, mail links point to the address this server listens on."""
    if app.extensions.get("guichet_base_url_from_server"):
        shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 - shown, not bound
        shown = f"[{shown}]" if ":" in shown else shown
        app.config["BASE_URL"] = f"http://{shown}:{port}"
        click.echo(
            _(
                "Liens des courriels : %(url)s (GUICHET_BASE_URL non défini)",
                url=app.config["BASE_URL"],
            )
        )
