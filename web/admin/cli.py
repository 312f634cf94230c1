"""`guichet user groups|role|disable|enable`, `guichet group …`, `guichet agent absent|present`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import click
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from engine.api import Policy
from web.accounts.models import Role, User
from web.core.transaction import in_unit_of_work
from web.extensions import db

from . import services
from .models import AbsenceMode


@dataclass(frozen=True)
class CommandLine:
    """The actor of the timeline entries written by these commands."""

    id: None = None
    display_name: str = "Administrateur (ligne de commande)"
    groups: frozenset[str] = frozenset()


def _date(value: str | None) -> date | None:
    if not value:
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(value, fmt).date()  # noqa: DTZ007
        except ValueError:
            continue
    raise click.BadParameter(f"« {value} » n'est pas une date (format attendu : jj/mm/aaaa ou aaaa-mm-jj).")


def _fail(exc: Exception) -> click.ClickException:
    db.session.rollback()
    return click.ClickException(str(exc))


def _find_user(session: Session, login: str) -> User:
    """The account named `login`, or the command fails with the service's French message."""
    try:
        return services.find_user(session, login)
    except services.AdminError as exc:
        raise _fail(exc) from None


@click.command("groups")
@click.argument("login")
@click.option("--add", "add", multiple=True, help="Groupe à ajouter (répétable).")
@click.option("--remove", "remove", multiple=True, help="Groupe à retirer (répétable).")
@with_appcontext
@in_unit_of_work
def user_groups(login: str, add: tuple[str, ...], remove: tuple[str, ...]) -> None:
    """Add or remove an agent's groups; a removal ends their sessions."""
    session = db.session()
    try:
        user = services.find_user(session, login)
        ended = services.change_groups(session, user, add=add, remove=remove)
    except services.AdminError as exc:
        raise _fail(exc) from None
    click.echo(f"{user.username} : groupes {', '.join(sorted(user.groups)) or 'aucun'}.")
    if ended:
        click.echo("Ses sessions ouvertes sont terminées.")


@click.command("role")
@click.argument("login")
@click.argument("role", type=click.Choice([r.value for r in services.STAFF_ROLES]))
@with_appcontext
@in_unit_of_work
def user_role(login: str, role: str) -> None:
    """Set an agent's role (agent, analyste, admin); a loss of rights ends their sessions."""
    session = db.session()
    try:
        user = services.find_user(session, login)
        ended = services.set_role(session, user, Role(role))
    except services.AdminError as exc:
        raise _fail(exc) from None
    click.echo(f"{user.username} : rôle {role}.")
    if ended:
        click.echo("Ses sessions ouvertes sont terminées.")


@click.command("disable")
@click.argument("login")
@with_appcontext
@in_unit_of_work
def user_disable(login: str) -> None:
    """Deactivate an account: sessions end, open tasks go back to the groups' queues."""
    session = db.session()
    user = _find_user(session, login)
    services.set_enabled(session, user, False, actor=CommandLine())
    click.echo(f"Compte {user.username} désactivé.")


@click.command("enable")
@click.argument("login")
@with_appcontext
@in_unit_of_work
def user_enable(login: str) -> None:
    """Reactivate an account."""
    session = db.session()
    user = _find_user(session, login)
    services.set_enabled(session, user, True)
    click.echo(f"Compte {user.username} réactivé.")


@click.group("group")
def group_cmd() -> None:
    """Agent groups (services, BPMN lanes)."""


policies = click.Choice([p.value for p in Policy])


@group_cmd.command("create")
@click.argument("name")
@click.option("--attribution", type=policies, default=Policy.NONE.value, show_default=True)
@with_appcontext
@in_unit_of_work
def group_create(name: str, attribution: str) -> None:
    """Create a group (a BPMN lane of that name routes tasks to its agents)."""
    try:
        group = services.create_group(db.session(), name, Policy(attribution))
    except services.AdminError as exc:
        raise _fail(exc) from None
    click.echo(f"Groupe « {group.name} » créé (attribution : {group.assignment_policy}).")


@group_cmd.command("attribution")
@click.argument("name")
@click.argument("policy", type=policies)
@with_appcontext
@in_unit_of_work
def group_policy(name: str, policy: str) -> None:
    """Set a group's automatic assignment: aucune, tour_de_role, moins_charge."""
    session = db.session()
    group = services.find_group(session, name)
    if group is None:
        raise click.ClickException(f"Le groupe « {name} » n'existe pas.")
    services.set_policy(session, group, Policy(policy))
    click.echo(f"Groupe « {group.name} » : attribution {policy}.")


@group_cmd.command("list")
@with_appcontext
def group_list() -> None:
    """The groups and their assignment policy."""
    for group in services.groups(db.session()):
        click.echo(f"{group.name}\t{group.assignment_policy}")


@click.group("agent")
def agent_cmd() -> None:
    """Agents' absences."""


@agent_cmd.command("absent")
@click.argument("login")
@click.option("--du", "starts", help="Premier jour d'absence (jj/mm/aaaa) ; défaut : aujourd'hui.")
@click.option("--au", "ends", help="Dernier jour d'absence (jj/mm/aaaa) ; défaut : jusqu'au retour.")
@click.option("--deleguer-a", "delegate", help="Collègue (nom d'utilisateur) à qui confier les tâches.")
@with_appcontext
@in_unit_of_work
def agent_absent(login: str, starts: str | None, ends: str | None, delegate: str | None) -> None:
    """Mark an agent absent: tasks go back to the group's queue, or to a colleague (--deleguer-a)."""
    session = db.session()
    try:
        user = services.find_user(session, login)
        colleague = services.find_user(session, delegate) if delegate else None
        _, moved = services.mark_absent(
            session,
            user,
            actor=CommandLine(),
            starts_on=_date(starts),
            ends_on=_date(ends),
            mode=AbsenceMode.DELEGATE if colleague else AbsenceMode.GROUP,
            delegate=colleague,
        )
    except services.AdminError as exc:
        raise _fail(exc) from None
    click.echo(f"Absence de {user.username} enregistrée : {len(moved)} tâche(s) déplacée(s).")


@agent_cmd.command("present")
@click.argument("login")
@with_appcontext
@in_unit_of_work
def agent_present(login: str) -> None:
    """« Je suis de retour »: end the agent's current and planned absences."""
    session = db.session()
    user = _find_user(session, login)
    count = services.mark_present(session, user)
    click.echo(f"{user.username} : {count} absence(s) terminée(s).")


def register(main: click.Group, user_group: click.Group) -> None:
    """Attach the commands to the `guichet` group and its `user` subgroup (web/cli.py)."""
    for command in (user_groups, user_role, user_disable, user_enable):
        user_group.add_command(command)
    main.add_command(group_cmd)
    main.add_command(agent_cmd)
