"""The `guichet` command: run, db upgrade, demo, user create, deploy, worker, resume envoyer."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import FlaskGroup, routes_command, shell_command, with_appcontext

from engine import api
from engine.db import utcnow
from engine.errors import DeployError

from . import migrate, scheduler
from .accounts.models import Role
from .accounts.services import AccountError, create_user
from .app import create_app, lint_context
from .cli_serve import run_command, serve_command, use_server_address
from .core.i18n import _, _l
from .core.transaction import in_unit_of_work, unit_of_work
from .extensions import db

__all__ = ["main", "use_server_address"]

WORKFLOWS = Path(__file__).resolve().parent.parent / "workflows"


@click.group(cls=FlaskGroup, create_app=create_app, add_default_commands=False)
def main() -> None:
    """Guichet: démarches en ligne et compte famille."""


main.add_command(shell_command)
main.add_command(routes_command)
main.add_command(run_command)
main.add_command(serve_command)


@main.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
@with_appcontext
def db_upgrade() -> None:
    """Migrate the database to the latest schema."""
    migrate.upgrade(db.engine)
    click.echo(_("Base de données à jour."))


@db_group.command("revision")
@click.option("-m", "--message", required=True)
@with_appcontext
def db_revision(message: str) -> None:
    """Autogenerate a migration from the models (developers)."""
    migrate.revision(db.engine, message)


@main.command("deploy")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--author", default="cli", show_default=True)
@click.option(
    "--sans-cas",
    "skip_cases",
    is_flag=True,
    help=_l("Urgence seulement : déployer sans jouer les cas de test des démarches."),
)
@with_appcontext
def deploy_command(files: tuple[Path, ...], author: str, skip_cases: bool) -> None:
    """Deploy BPMN files as new versions (unchanged files keep their version).

    Each file's scenario cases (workflows/<key>.scenarios.json, a <key>.scenarios.json beside the
    file, the analysts' cases) are played first: one failing case refuses the file with the report,
    unless --sans-cas. Without FILES, the shipped démarches are deployed and the agent groups their
    lanes name are created first when missing (a fresh install has none before the first `user create
    --group`).
    """
    if not files:
        files = tuple(sorted(WORKFLOWS.glob("*.bpmn")))
        for name in _create_shipped_lane_groups(files):
            click.echo(_("Groupe d'agents « %(name)s » créé (couloir d'une démarche fournie).", name=name))
    from .studio.scenario_services import play_cases_of_file

    if skip_cases:
        click.echo(_("Attention : cas de test non joués (--sans-cas)."), err=True)
    failed = False
    for path in files:  # one unit of work per file: a refused file does not undo the others
        try:
            with unit_of_work() as session:
                if not skip_cases:
                    play_cases_of_file(session, path, lint_context())
                started = utcnow()
                definition = api.deploy(session, path.read_bytes(), author, lint_context())
                if definition.created_at >= started:  # a new version (same bytes: the existing one)
                    _journal_deploy(session, definition, author)
            click.echo(
                _(
                    "%(file)s : %(key)s version %(version)s",
                    file=path.name,
                    key=definition.key,
                    version=definition.version,
                )
            )
        except DeployError as exc:
            failed = True
            click.echo(_("%(file)s refusé :", file=path.name), err=True)
            for error in exc.errors:
                click.echo(f"  - {error}", err=True)
    if failed:
        sys.exit(1)


def _journal_deploy(session: Any, definition: Any, author: str) -> None:
    """A version published from the shell goes into the studio's « Journal des publications » too."""
    from .studio.models import StudioAction
    from .studio.services import record

    record(
        session,
        actor=f"{author} (guichet deploy)",
        action=StudioAction.PUBLISH,
        key=definition.key,
        version=definition.version,
        from_version=definition.version - 1 or None,
        comment=_("Déployée en ligne de commande (%(digest)s)", digest=definition.sha256[:12]),
    )


def _create_shipped_lane_groups(files: tuple[Path, ...]) -> list[str]:
    """Create the missing groups named by the lanes of the shipped diagrams; return their names."""
    from lxml import etree

    from engine.api import REQUESTER_LANE

    from .accounts.services import get_or_create_group, group_names

    lanes: set[str] = set()
    for path in files:  # the shipped files only (the operator's own go through api.deploy's hardened parse)
        root = etree.fromstring(path.read_bytes())
        lanes.update(
            lane.get("name", "") for lane in root.iter("{http://www.omg.org/spec/BPMN/20100524/MODEL}lane")
        )
    with unit_of_work() as session:
        created = sorted(lanes - set(group_names(session)) - {REQUESTER_LANE, ""})
        for name in created:
            get_or_create_group(session, name)
    return created


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
@click.option("--group", "groups", multiple=True, help=_l("Groupe d'agents (couloir BPMN), répétable."))
@click.option("--prenom", default="")
@click.option("--nom", default="")
@with_appcontext
@in_unit_of_work
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
    click.echo(_("Compte %(username)s (%(role)s) créé.", username=user.username, role=user.role))


@main.group("cle")
def key_group() -> None:
    """« Clés espace citoyens » (service keys)."""


@key_group.command("emettre")
@click.option(
    "--service",
    "service_name",
    default="Enfance",
    show_default=True,
    help=_l(
        "Service qui connaît la famille.",
    ),
)
@click.option(
    "--famille",
    "family_name",
    required=True,
    help=_l("Dossier famille : son identifiant dans le logiciel du service (F-0042) ou son nom exact."),
)
@with_appcontext
@in_unit_of_work
def key_issue(service_name: str, family_name: str) -> None:
    """Issue a single-use key linking an account to a family record of a service (printed once)."""
    from .accounts.signup import issue_service_key
    from .famille.services import find_record_for_key

    record = find_record_for_key(db.session(), service_name, family_name)
    if record is None:
        raise click.ClickException(
            _(
                "Aucun dossier famille « %(family)s » dans le service %(service)s : importez-le d'abord "
                "(guichet famille importer) ou donnez son identifiant.",
                family=family_name,
                service=service_name,
            )
        )
    raw = issue_service_key(db.session(), record=record, issued_by_id=None)
    click.echo(
        _(
            "Clé Espace Citoyens %(service)s pour « %(family)s » : %(key)s",
            service=service_name,
            family=record.label,
            key=raw,
        )
    )
    click.echo(_("Elle ne sera plus affichée : remettez-la à la famille (elle ne sert qu'une fois)."))


@main.group("famille")
def family_group() -> None:
    """Dossiers famille (« Ma famille »)."""


@family_group.command("importer")
@click.argument("fichier", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help=_l("Montre ce qui changerait, sans rien enregistrer."))
@with_appcontext
def family_import(fichier: Path, dry_run: bool) -> None:
    """Import a CSV of activities or of family records from the town's software (one transaction)."""
    from .famille.importer import CsvImportError, run

    try:
        with unit_of_work() as session:  # a dry run rolls its own savepoint back: nothing to commit
            report = run(session, fichier.read_bytes(), dry_run=dry_run)
    except CsvImportError as error:
        for line in error.errors:
            click.echo(line, err=True)
        raise click.ClickException(_("Import refusé : rien n'a été enregistré.")) from error
    for line in report.lines():
        click.echo(line)
    if dry_run:
        click.echo(_("Essai seulement (--dry-run) : rien n'a été enregistré."))


@main.command("demo")
@with_appcontext
@in_unit_of_work
def demo_command() -> None:
    """Load the demo accounts and deploy the shipped démarches (idempotent)."""
    from .demo import load_demo

    if current_app.config["ENV"] == "production":
        raise click.ClickException(_("Les comptes de démonstration sont interdits en production."))
    # The engine's INFO lines (deploys, workflow steps) would bury the credentials: warnings only.
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.WARNING)
    try:
        accounts = load_demo(db.session(), WORKFLOWS)
    finally:
        root.setLevel(level)
    click.echo(_("Comptes de démonstration (nom d'utilisateur / mot de passe) :"))
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
    click.echo(_("Résumés du jour mis en file d'envoi : %(count)s.", count=count))


@main.command("worker")
@click.option(
    "--beat/--no-beat",
    default=True,
    show_default=True,
    help=_l("Avec Celery : planifier aussi les tâches (plusieurs planificateurs ne font rien en double)."),
)
@click.option(
    "--concurrency", default=2, show_default=True, type=int, help=_l("Avec Celery : tâches en parallèle.")
)
@with_appcontext
def worker_command(beat: bool, concurrency: int) -> None:
    """Run the timer, outbox and digest jobs: as Celery tasks when GUICHET_CELERY_BROKER_URL is set,
    in this process otherwise. Any number of workers may run: each job claims its rows in the database."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config["CELERY_BROKER_URL"]:
        from .celery_app import run_worker

        click.echo(_("Worker Guichet (Celery) : échéances, courriels et SMS, résumé du jour."))
        run_worker(app, beat=beat, concurrency=concurrency)
        return
    click.echo(_("Worker Guichet : échéances, courriels et SMS, résumé du jour."))
    scheduler.run_blocking(app)


def _register_admin_commands() -> None:
    """`guichet user groups|role|disable|enable`, `guichet group …`, `guichet agent …` (web/admin/cli.py);
    `guichet factures importer|quotidien` (web/factures/cli.py)."""
    from .admin.cli import register

    register(main, user_group_cmd)
    from .factures.cli import invoices_group

    main.add_command(invoices_group)


_register_admin_commands()
