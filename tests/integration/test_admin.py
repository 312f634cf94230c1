"""Administration of agents and groups (role admin), its CLI equivalents, and who may see which task."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select

from tests.fixtures.app import PASSWORD
from tests.fixtures.integration import decide, file_address_change, html, post_form, snapshot, text
from web.accounts.models import AgentGroup, Role, User
from web.admin.models import AgentAbsence
from web.cli import main
from web.extensions import db

NEW_GROUP = "Jeunesse et vie associative"  # a group no other test creates (groups outlive tests)


@pytest.fixture
def admin(make_user):
    return make_user("admin", groups=["Accueil"], prenom="Claude", nom="Petit")


@pytest.fixture
def drop_new_groups(app):
    yield
    with app.app_context():
        db.session.execute(delete(AgentGroup).where(AgentGroup.name.in_([NEW_GROUP, "Culture"])))
        db.session.commit()


def account(app, user_id: int) -> User:
    with app.app_context():
        session = db.session()
        user = session.get(User, user_id)
        user.groups  # noqa: B018  (load before detaching)
        session.expunge(user)
        return user


@pytest.mark.parametrize("who", ["famille", "accueil", "analyste"])
def test_only_admins_reach_the_admin_pages(app, people, client_for, make_user, who):
    user = make_user("analyste") if who == "analyste" else people[who]
    client = client_for(user)
    before = snapshot(app)
    for url in [
        "/admin/agents",
        f"/admin/agents/{user.id}",
        "/admin/groupes",
        f"/admin/agents/{user.id}/absences",
    ]:
        assert client.get(url).status_code == 403, url
    token_page = "/mes-demandes" if who == "famille" else "/agents/"
    response = post_form(client, token_page, {"name": "Pirates"}, action="/admin/groupes")
    assert response.status_code == 403
    assert snapshot(app) == before


def test_admin_creates_an_agent_with_groups_and_french_errors(app, admin, client_for):
    client = client_for(admin)
    page = client.get("/admin/agents")
    assert page.status_code == 200
    assert admin.display_name in text(page)
    bad = {
        "username": "x",
        "email": "pas-un-courriel",
        "password": "court",
        "role": "agent",
        "groups": ["Accueil"],
    }
    response = post_form(client, "/admin/agents", bad)
    assert response.status_code == 400
    doc = html(response)
    assert "Le nom d'utilisateur doit comporter" in doc.get_element_by_id("username-erreur").text_content()
    assert doc.get_element_by_id("email-erreur").text_content().strip() == "Adresse de courriel invalide."
    assert doc.get_element_by_id("password-erreur").text_content()
    assert doc.get_element_by_id("email").get("value") == "pas-un-courriel"  # kept
    assert doc.get_element_by_id("password").get("value") in (None, "")  # never sent back
    assert [i.get("value") for i in doc.xpath("//input[@name='groups'][@checked]")] == ["Accueil"]
    good = {
        "username": "lou.garnier",
        "email": "lou.garnier@mairie-guichet.fr",
        "prenom": "Lou",
        "nom": "Garnier",
        "password": "pivoine-lanterne-2026-garage",
        "role": "agent",
        "groups": ["Accueil", "Enfance"],
    }
    response = post_form(client, "/admin/agents", good)
    assert response.status_code == 302, [e.text_content() for e in html(response).find_class("error-message")]
    with app.app_context():
        user = db.session.execute(select(User).where(User.username == "lou.garnier")).scalar_one()
        assert (user.role, user.groups, user.is_enabled) == (
            Role.AGENT,
            frozenset({"Accueil", "Enfance"}),
            True,
        )
        assert user.activated_at is not None
    tampered = post_form(
        client, "/admin/agents", {**good, "username": "autre", "role": "root", "groups": ["Pirates"]}
    )
    assert tampered.status_code == 400
    doc = html(tampered)
    assert doc.get_element_by_id("role-erreur").text_content().strip() == "Choisissez un rôle de la liste."
    assert "Ce groupe n'existe pas." in text(tampered)
    again = post_form(client, "/admin/agents", good)
    assert again.status_code == 400
    assert "déjà utilisé" in html(again).get_element_by_id("username-erreur").text_content()


def test_dropping_privileges_ends_the_agents_sessions(app, admin, people, client_for):
    agent = people["accueil"]
    agent_client = client_for(agent)
    assert agent_client.get("/agents/").status_code == 200
    admin_client = client_for(admin)
    url = f"/admin/agents/{agent.id}"
    # Adding a group keeps the session.
    response = post_form(
        admin_client, url, {"role": "agent", "groups": ["Accueil", "Enfance"], "is_enabled": "y"}
    )
    assert response.status_code == 302
    assert agent_client.get("/agents/").status_code == 200
    assert account(app, agent.id).groups == {"Accueil", "Enfance"}
    # Removing one ends it: the next request lands on the login page.
    response = post_form(admin_client, url, {"role": "agent", "groups": ["Enfance"], "is_enabled": "y"})
    assert response.status_code == 302
    assert "Ses sessions ouvertes sont terminées." in text(admin_client.get(url))
    assert agent_client.get("/agents/").headers["Location"].startswith("/connexion")
    # A promotion to admin keeps the session; any other change of role ends it.
    agent_client = client_for(account(app, agent.id))
    response = post_form(admin_client, url, {"role": "admin", "groups": ["Enfance"], "is_enabled": "y"})
    assert response.status_code == 302
    assert agent_client.get("/admin/agents").status_code == 200
    response = post_form(admin_client, url, {"role": "analyste", "groups": ["Enfance"], "is_enabled": "y"})
    assert response.status_code == 302
    assert agent_client.get("/agents/").headers["Location"].startswith("/connexion")
    # Deactivation: the account can no longer log in.
    post_form(admin_client, url, {"role": "agent", "groups": ["Enfance"]})
    assert account(app, agent.id).is_enabled is False
    login_page = app.test_client()
    from tests.fixtures.app import csrf_token

    token = csrf_token(login_page, "/connexion")
    response = login_page.post(
        "/connexion", data={"username": agent.username, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code != 302
    # An admin cannot remove their own rights.
    response = post_form(
        admin_client, f"/admin/agents/{admin.id}", {"role": "agent", "groups": ["Accueil"], "is_enabled": "y"}
    )
    assert response.status_code == 400
    assert account(app, admin.id).role == Role.ADMIN


def test_groups_page_creates_a_group_and_sets_its_policy(app, admin, client_for, drop_new_groups):
    client = client_for(admin)
    page = text(client.get("/admin/groupes"))
    assert "Changement d'adresses postales" in page  # démarches whose lanes use Accueil
    response = post_form(client, "/admin/groupes", {"name": "  ", "assignment_policy": "aucune"})
    assert response.status_code == 400
    assert (
        html(response).get_element_by_id("name-erreur").text_content().strip() == "Indiquez le nom du groupe."
    )
    response = post_form(client, "/admin/groupes", {"name": NEW_GROUP, "assignment_policy": "moins_charge"})
    assert response.status_code == 302
    duplicate = post_form(client, "/admin/groupes", {"name": NEW_GROUP, "assignment_policy": "aucune"})
    assert duplicate.status_code == 400
    assert f"Le groupe « {NEW_GROUP} » existe déjà." in text(duplicate)
    with app.app_context():
        group = db.session.execute(select(AgentGroup).where(AgentGroup.name == NEW_GROUP)).scalar_one()
        assert group.assignment_policy == "moins_charge"
        group_id = group.id
    response = post_form(
        client,
        "/admin/groupes",
        {f"g{group_id}-assignment_policy": "tour_de_role"},
        action=f"/admin/groupes/{group_id}",
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(AgentGroup, group_id).assignment_policy == "tour_de_role"
    # The new group is a known lane for deploys from now on (engine.lint).
    from web.app import lint_context

    with app.app_context():
        assert NEW_GROUP in lint_context().lanes


def test_cli_groups_role_group_and_absence(app, people, drop_new_groups):
    runner = app.test_cli_runner()
    agent, colleague = people["accueil"], people["accueil2"]

    def run(*args: str) -> str:
        result = runner.invoke(main, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    assert "Groupe « Culture » créé (attribution : tour_de_role)." in run(
        "group", "create", "Culture", "--attribution", "tour_de_role"
    )
    assert "Culture\ttour_de_role" in run("group", "list")
    out = run("user", "groups", agent.username, "--add", "Culture", "--add", "Enfance")
    assert "groupes Accueil, Culture, Enfance" in out
    assert "sessions" not in out
    out = run("user", "groups", agent.username, "--remove", "Enfance")
    assert "Ses sessions ouvertes sont terminées." in out
    bad = runner.invoke(main, ["user", "groups", agent.username, "--add", "Inconnu"])
    assert bad.exit_code != 0
    assert "Le groupe « Inconnu » n'existe pas" in bad.output
    family = runner.invoke(main, ["user", "role", people["famille"].username, "agent"])
    assert family.exit_code != 0
    assert "est un compte famille" in family.output
    assert "rôle analyste" in run("user", "role", agent.username, "analyste")
    assert account(app, agent.id).role == Role.ANALYSTE
    assert "Absence de" in run(
        "agent", "absent", agent.username, "--au", "31/12/2099", "--deleguer-a", colleague.username
    )
    with app.app_context():
        absence = db.session.execute(
            select(AgentAbsence).where(AgentAbsence.user_id == agent.id)
        ).scalar_one()
        assert (absence.mode, absence.delegate_id, str(absence.ends_on)) == (
            "collegue",
            colleague.id,
            "2099-12-31",
        )
    assert "1 absence(s) terminée(s)" in run("agent", "present", agent.username)
    bad = runner.invoke(main, ["agent", "absent", agent.username, "--du", "demain"])
    assert bad.exit_code != 0
    assert "n'est pas une date" in bad.output
    assert "désactivé" in run("user", "disable", agent.username)
    assert account(app, agent.id).is_enabled is False


def test_an_agent_acts_only_on_tasks_of_their_groups(app, people, client_for):
    filed = file_address_change(app, client_for(people["famille"]))
    other = client_for(people["etat_civil"])
    # Dossier pages of another service: 404 (they do not learn that the request exists).
    assert other.get(f"/agents/dossiers/{filed.instance_id}").status_code == 404
    assert other.get(f"/agents/demandes/{filed.instance_id}").status_code == 404
    # The shared task page too (it does not reveal that the task exists).
    assert other.get(f"/taches/{filed.agent_task_id}").status_code == 404
    before = snapshot(app)
    assert decide(other, filed.agent_task_id, "acceptee").status_code in (400, 404)
    assert snapshot(app) == before
    assert filed.reference not in text(other.get("/agents/"))
    # Their own service's agent does act.
    assert client_for(people["accueil"]).get(f"/agents/dossiers/{filed.instance_id}").status_code == 200
