"""The `guichet` command: run, db upgrade, demo, user create, deploy, worker, resume envoyer."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, routes_command, shell_command, with_appcontext

from engine import api
from engine.errors import DeployError

from . import migrate
from .accounts.models import Role
from .accounts.services import AccountError, create_user
from .app import create_app, lint_context
from .core import scheduler
from .core.transaction import commit
from .extensions import db

WORKFLOWS = Path(__file__).resolve().parent.parent / "workflows"


@click.group(cls=FlaskGroup, create_app=create_app, add_default_commands=False)
def main() -> None:
    """Guichet: démarches en ligne et compte famille."""


main.add_command(shell_command)
main.add_command(routes_command)


@main.command("run")
@click.option("--host", default="127.0.0.1", show_default=True, help="Adresse d'écoute.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port d'écoute.")
@click.option("--threads", default=8, show_default=True, type=int, help="Fils de traitement (waitress).")
@with_appcontext
def run_command(host: str, port: int, threads: int) -> None:
    """Serve Guichet with waitress (and the in-process scheduler unless disabled)."""
    from waitress import serve

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config["SCHEDULER_ENABLED"]:
        scheduler.start_background(app)
    click.echo(f"Guichet écoute sur http://{host}:{port}/  (Ctrl+C pour arrêter)")
    serve(app, host=host, port=port, threads=threads, ident="Guichet")


@main.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
@with_appcontext
def db_upgrade() -> None:
    """Migrate the database to the latest schema."""
    migrate.upgrade(db.engine)
    click.echo("Base de données à jour.")


@db_group.command("revision")
@click.option("-m", "--message", required=True)
@with_appcontext
def db_revision(message: str) -> None:
    """Autogenerate a migration from the models (developers)."""
    migrate.revision(db.engine, message)


@main.command("deploy")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--author", default="cli", show_default=True)
@with_appcontext
def deploy_command(files: tuple[Path, ...], author: str) -> None:
    """Deploy BPMN files as new versions (unchanged files keep their version)."""
    if not files:
        files = tuple(sorted(WORKFLOWS.glob("*.bpmn")))
    failed = False
    for path in files:
        try:
            definition = api.deploy(db.session(), path.read_bytes(), author, lint_context())
            commit()
            click.echo(f"{path.name} : {definition.key} version {definition.version}")
        except DeployError as exc:
            db.session.rollback()
            failed = True
            click.echo(f"{path.name} refusé :", err=True)
            for error in exc.errors:
                click.echo(f"  - {error}", err=True)
    if failed:
        sys.exit(1)


@main.group("user")
def user_group_cmd() -> None:
    """Accounts."""


@user_group_cmd.command("create")
@click.option("--username", required=True)
@click.option("--password", required=True, prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--email", required=True)
@click.option(
    "--role", type=click.Choice([r.value for r in Role]), default=Role.FAMILLE.value, show_default=True
)
@click.option("--group", "groups", multiple=True, help="Groupe d'agents (couloir BPMN), répétable.")
@click.option("--prenom", default="")
@click.option("--nom", default="")
@with_appcontext
def user_create(
    username: str, password: str, email: str, role: str, groups: tuple[str, ...], prenom: str, nom: str
) -> None:
    """Create an account."""
    try:
        user = create_user(
            db.session(),
            username=username,
            password=password,
            email=email,
            role=Role(role),
            groups=groups,
            prenom=prenom,
            nom=nom,
        )
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    commit()
    click.echo(f"Compte {user.username} ({user.role}) créé.")


@main.group("cle")
def key_group() -> None:
    """« Clés espace citoyens » (service keys)."""


@key_group.command("emettre")
@click.option(
    "--service", "service_name", default="Enfance", show_default=True, help="Service qui connaît la famille."
)
@click.option(
    "--famille",
    "family_name",
    required=True,
    help="Dossier famille : son identifiant dans le logiciel du service (F-0042) ou son nom exact.",
)
@with_appcontext
def key_issue(service_name: str, family_name: str) -> None:
    """Issue a single-use key linking an account to a family record of a service (printed once)."""
    from .accounts.signup import issue_service_key
    from .famille.services import find_record_for_key

    record = find_record_for_key(db.session(), service_name, family_name)
    if record is None:
        raise click.ClickException(
            f"Aucun dossier famille « {family_name} » dans le service {service_name} : importez-le d'abord "
            "(guichet famille importer) ou donnez son identifiant."
        )
    raw = issue_service_key(db.session(), record=record, issued_by_id=None)
    commit()
    click.echo(f"Clé Espace Citoyens {service_name} pour « {record.label} » : {raw}")
    click.echo("Elle ne sera plus affichée : remettez-la à la famille (elle ne sert qu'une fois).")


@main.group("famille")
def family_group() -> None:
    """Dossiers famille (« Ma famille »)."""


@family_group.command("importer")
@click.argument("fichier", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Montre ce qui changerait, sans rien enregistrer.")
@with_appcontext
def family_import(fichier: Path, dry_run: bool) -> None:
    """Import a CSV of activities or of family records from the town's software (one transaction)."""
    from .famille.importer import CsvImportError, run

    try:
        report = run(db.session(), fichier.read_bytes(), dry_run=dry_run)
    except CsvImportError as error:
        db.session.rollback()
        for line in error.errors:
            click.echo(line, err=True)
        raise click.ClickException("Import refusé : rien n'a été enregistré.") from error
    if dry_run:
        db.session.rollback()
    else:
        commit()
    for line in report.lines():
        click.echo(line)
    if dry_run:
        click.echo("Essai seulement (--dry-run) : rien n'a été enregistré.")


@main.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load the demo accounts and deploy the shipped démarches (idempotent)."""
    from .demo import load_demo

    if current_app.config["ENV"] == "production":
        raise click.ClickException("Les comptes de démonstration sont interdits en production.")
    accounts = load_demo(db.session(), WORKFLOWS)
    commit()
    click.echo("Comptes de démonstration (nom d'utilisateur / mot de passe) :")
    for account in accounts:
        click.echo(f"  {account['role']:<9} {account['username']:<10} / {account['password']}")


@main.group("resume")
def digest_group() -> None:
    """The agents' daily digest (« Résumé du jour »)."""


@digest_group.command("envoyer")
@with_appcontext
def digest_send() -> None:
    """Queue today's digest for every agent now (at most one per agent and day)."""
    from .delais.digest import run_digest

    count = run_digest(current_app._get_current_object())  # type: ignore[attr-defined]
    click.echo(f"Résumés du jour mis en file d'envoi : {count}.")


@main.command("worker")
@with_appcontext
def worker_command() -> None:
    """Run the timer, outbox and digest jobs in the foreground (deployments with several web processes)."""
    click.echo("Worker Guichet : échéances, courriels et SMS, résumé du jour.")
    scheduler.run_blocking(current_app._get_current_object())  # type: ignore[attr-defined]


def _register_admin_commands() -> None:
    """`guichet user groups|role|disable|enable`, `guichet group …`, `guichet agent …` (web/admin/cli.py)."""
    from .admin.cli import register

    register(main, user_group_cmd)


_register_admin_commands()
