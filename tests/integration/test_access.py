"""Who may see and do what, CSRF, read-only GETs, logout, redirects after login and error pages."""

from __future__ import annotations

import logging
from urllib.parse import urljoin, urlsplit

import pytest

from engine.models import HumanTask, HumanTaskState
from tests.fixtures.app import PASSWORD, csrf_token
from tests.fixtures.integration import (
    ADDRESS,
    decide,
    file_address_change,
    get_urls,
    html,
    outbox,
    post_form,
    proof,
    snapshot,
    start_demarche,
    text,
)
from tests.fixtures.routes import ROUTE_VALUES
from web.extensions import db

PROTECTED = ["/mes-demandes", "/mes-demandes/1", "/taches/1", "/agents/", "/agents/demandes/1"]
CSRF_MESSAGE = "Le formulaire a expiré ou n'est pas valide. Rechargez la page et réessayez."


@pytest.fixture
def filed(app, people, client_for):
    """A request of « famille » waiting in the Accueil queue, and the family's logged-in client."""
    famille = client_for(people["famille"])
    return famille, file_address_change(app, famille)


def lands_on_this_site(location: str) -> bool:
    """Where a browser goes with this Location: backslashes count as slashes, tabs and newlines vanish."""
    as_browser = location.replace("\\", "/").translate({9: None, 10: None, 13: None}).strip()
    target = urlsplit(urljoin("http://localhost/connexion", as_browser))
    return (target.scheme, target.netloc) == ("http", "localhost")


def assert_error_page(response, code, title):
    assert response.status_code == code
    assert response.mimetype == "text/html"
    doc = html(response)
    assert doc.get("lang") == "fr"
    assert doc.xpath("//h1")[0].text_content().strip() == title
    assert f"Code d'erreur : {code}" in text(response)


@pytest.mark.parametrize("url", PROTECTED)
def test_anonymous_visitors_are_sent_to_the_login_page(app, url):
    response = app.test_client().get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion?next=")


def test_anonymous_login_redirect_comes_back_after_login(app, people):
    client = app.test_client()
    target = client.get("/mes-demandes").headers["Location"]
    assert "Connectez-vous pour accéder à cette page." in text(client.get(target))
    token = csrf_token(client, target)
    response = client.post(
        target, data={"username": people["famille"].username, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/mes-demandes"


def test_a_family_gets_the_french_403_page_in_the_back_office(app, people, client_for, filed):
    famille, request = filed
    assert_error_page(famille.get("/agents/"), 403, "Accès refusé")
    assert_error_page(famille.get(f"/agents/demandes/{request.instance_id}"), 403, "Accès refusé")


def test_an_agent_gets_403_on_the_family_pages(app, people, client_for, filed):
    _, request = filed
    agent = client_for(people["accueil"])
    assert_error_page(agent.get("/mes-demandes"), 403, "Accès refusé")
    assert_error_page(agent.get(f"/mes-demandes/{request.instance_id}"), 403, "Accès refusé")
    before = snapshot(app)
    response = post_form(agent, "/agents/", {}, action="/demarches/changement_adresse/commencer")
    assert_error_page(response, 403, "Accès refusé")
    assert snapshot(app) == before


def test_another_family_never_learns_that_a_request_exists(app, people, client_for, filed):
    famille, request = filed
    open_family_task = start_demarche(famille)  # a task of the Famille lane, still open
    other = client_for(people["autre_famille"])
    urls = [f"/mes-demandes/{request.instance_id}", f"/taches/{request.agent_task_id}"]
    for url in [*urls, f"/taches/{open_family_task}"]:
        response = other.get(url)
        assert_error_page(response, 404, "Page introuvable")
        assert request.reference not in response.get_data(as_text=True)
    before = snapshot(app)
    # The form cannot even be loaded: post with the token of another page of the same session.
    response = other.post(
        f"/taches/{request.agent_task_id}",
        data={"decision": "acceptee", "csrf_token": csrf_token(other, "/demarches")},
    )
    assert_error_page(response, 404, "Page introuvable")
    assert snapshot(app) == before


def test_an_agent_of_another_service_never_learns_that_an_accueil_task_exists(app, people, client_for, filed):
    # The task pages answer as the dossier does (and as for an id that does not exist): 404.
    _, request = filed
    agent = client_for(people["etat_civil"])
    assert request.reference not in text(agent.get("/agents/"))  # (also shows the login's flash)
    missing = agent.get("/taches/999999")
    urls = [
        f"/taches/{request.agent_task_id}",
        f"/agents/taches/{request.agent_task_id}/attribuer",
        f"/agents/dossiers/{request.instance_id}",
    ]
    for url in urls:
        response = agent.get(url)
        assert_error_page(response, 404, "Page introuvable")
        assert request.reference not in text(response)
        if "/taches/" in url:  # the same page as for a task that does not exist
            assert text(response) == text(missing)
    assert request.reference not in text(agent.get("/agents/"))
    before = snapshot(app)
    token = csrf_token(agent, "/agents/")
    for url, data in (
        (f"/taches/{request.agent_task_id}", {"decision": "acceptee"}),
        (f"/agents/taches/{request.agent_task_id}/prendre", {}),
        (f"/agents/taches/{request.agent_task_id}/attribuer", {"agent": str(people["etat_civil"].id)}),
    ):
        response = agent.post(url, data={**data, "csrf_token": token})
        assert_error_page(response, 404, "Page introuvable")
    assert snapshot(app) == before


def test_unknown_url_gives_the_french_404_page(app, client_for, people):
    assert_error_page(app.test_client().get("/nulle-part"), 404, "Page introuvable")
    assert_error_page(client_for(people["famille"]).get("/taches/999999"), 404, "Page introuvable")


def test_a_completed_task_posted_again_gives_the_french_409_page(app, people, client_for, filed):
    _, request = filed
    agent = client_for(people["accueil"])
    token = csrf_token(agent, f"/taches/{request.agent_task_id}")  # the page as loaded before the decision
    first = agent.post(
        f"/taches/{request.agent_task_id}",
        data={"decision": "acceptee", "motif": "", "commentaire_interne": "", "csrf_token": token},
    )
    assert first.status_code == 302
    before = snapshot(app)
    again = agent.post(
        f"/taches/{request.agent_task_id}",
        data={
            "decision": "refusee",
            "motif": "Finalement non",
            "commentaire_interne": "",
            "csrf_token": token,
        },
    )
    # The agents' 409 is the dossier in its new state, with what was typed (nothing typed is lost).
    assert again.status_code == 409
    assert html(again).get("lang") == "fr"
    assert "Votre envoi n'a pas été enregistré Cette tâche a déjà été traitée" in text(again)
    assert "Finalement non" in text(again)
    assert html(again).xpath("//form[@data-decision]") == []
    assert snapshot(app) == before
    # A colleague opening the task (a mail's link, a bookmark) lands on the dossier, which says so.
    colleague = client_for(people["accueil2"])
    opened = colleague.get(f"/taches/{request.agent_task_id}")
    assert opened.status_code == 302
    assert opened.headers["Location"].startswith(f"/agents/dossiers/{request.instance_id}?")
    dossier = colleague.get(opened.headers["Location"])
    assert dossier.status_code == 200
    assert "cette tâche n'est plus à traiter" in text(dossier)


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_post_without_a_valid_csrf_token_is_refused_and_changes_nothing(app, people, client_for, token):
    famille = client_for(people["famille"])
    task_id = start_demarche(famille)
    before = snapshot(app)
    extra = {} if token is None else {"csrf_token": token}
    attempts = [
        famille.post(f"/taches/{task_id}", data={**ADDRESS, **extra}),
        famille.post("/demarches/changement_adresse/commencer", data=extra),
        famille.post("/deconnexion", data=extra),
    ]
    for response in attempts:
        assert_error_page(response, 400, "Requête invalide")
        assert CSRF_MESSAGE in text(response)
    assert snapshot(app) == before
    assert famille.get("/mes-demandes").status_code == 200  # still logged in: the logout was refused


def test_a_token_of_another_session_is_refused(app, people, client_for):
    famille = client_for(people["famille"])
    task_id = start_demarche(famille)
    stolen = csrf_token(client_for(people["autre_famille"]), "/demarches")
    before = snapshot(app)
    response = famille.post(f"/taches/{task_id}", data={**ADDRESS, "csrf_token": stolen})
    assert_error_page(response, 400, "Requête invalide")
    assert CSRF_MESSAGE in text(response)
    assert snapshot(app) == before


def test_login_without_csrf_token_is_refused(app, people):
    client = app.test_client()
    response = client.post("/connexion", data={"username": people["famille"].username, "password": PASSWORD})
    assert_error_page(response, 400, "Requête invalide")
    assert client.get("/mes-demandes").status_code == 302


def test_get_on_every_route_changes_nothing_in_the_database(app, people, client_for, filed):
    famille, request = filed
    agent = client_for(people["accueil"])
    decided = file_address_change(app, client_for(people["autre_famille"]))
    assert decide(agent, decided.agent_task_id, "acceptee", "OK", "interne").status_code == 302
    (mail,) = outbox(app)
    values = {
        **ROUTE_VALUES,  # tests/fixtures/routes.py: the ids and values every route walk uses
        "instance_id": request.instance_id,
        "task_id": request.agent_task_id,
        "message_id": mail.id,
        "user_id": 1,  # an account (admin pages)
        "case_id": 1,  # a scenario case of a démarche (studio)
    }
    urls = get_urls(app, values)
    assert set(urls) >= {"accounts.home", "tasks.show", "backoffice.show_request", "devmail.show_message"}
    clients = {"anonyme": app.test_client(), "famille": famille, "agent": agent}
    before = snapshot(app)
    assert sum(len(rows) for rows in before.values()) > 0
    seen = []
    for who, client in clients.items():
        for endpoint, url in urls.items():
            response = client.get(url)
            assert response.status_code < 500, (who, url, response.status_code)
            seen.append((who, endpoint, response.status_code))
            response.close()
    assert ("agent", "tasks.show", 302) in seen  # an agent's task page leads to the dossier
    assert ("agent", "backoffice.dossier", 200) in seen  # the walk really opened the pages
    assert ("famille", "demarches.show_request", 200) in seen
    after = snapshot(app)
    # The one write a GET makes: the audit rows of the agent's exports (web/core/audit.py), on their own.
    exported = after.pop("audit_event")[len(before["audit_event"]) :]
    assert sorted(row[2] for row in exported) == ["export", "export"]
    before.pop("audit_event")
    assert after == before


def test_logout_is_post_only(app, people, client_for):
    famille = client_for(people["famille"])
    assert_error_page(famille.get("/deconnexion"), 405, "Méthode non autorisée")
    assert famille.get("/mes-demandes").status_code == 200


def test_a_session_cookie_captured_before_logout_no_longer_works_after_it(app, people, client_for):
    famille = client_for(people["famille"])
    other_device = client_for(people["famille"])
    captured = famille.get_cookie("session")
    assert captured is not None
    thief = app.test_client()
    thief.set_cookie("session", captured.value)
    assert thief.get("/mes-demandes").status_code == 200  # the captured cookie works before the logout

    response = post_form(famille, "/mes-demandes", {}, action="/deconnexion")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "Vous êtes déconnecté." in text(famille.get("/"))
    assert famille.get("/mes-demandes").status_code == 302

    replay = app.test_client()
    replay.set_cookie("session", captured.value)
    for client in (replay, other_device):
        response = client.get("/mes-demandes")
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/connexion")


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example",
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "https:/evil.example",
        "/\t/evil.example",
        "javascript:alert(1)",
        "http://localhost/mes-demandes",
    ],
)
def test_next_after_login_never_leaves_the_site(app, people, target):
    client = app.test_client()
    token = csrf_token(client, "/connexion")
    response = client.post(
        "/connexion",
        query_string={"next": target},
        data={"username": people["famille"].username, "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    assert lands_on_this_site(location), location


def test_the_redirect_check_itself_spots_offsite_locations():
    for offsite in ("https://evil.example/", "//evil.example", "/\\evil.example", "/\t/evil.example"):
        assert not lands_on_this_site(offsite)
    assert lands_on_this_site("/%5Cevil.example")  # werkzeug quotes a backslash: a local path


def test_a_local_next_is_followed(app, people):
    client = app.test_client()
    token = csrf_token(client, "/connexion?next=/demarches")
    response = client.post(
        "/connexion?next=/demarches",
        data={"username": people["famille"].username, "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/demarches"


def test_wrong_password_stays_on_the_form_with_a_french_message(app, people):
    client = app.test_client()
    token = csrf_token(client, "/connexion")
    response = client.post(
        "/connexion",
        data={"username": people["famille"].username, "password": "wrong password", "csrf_token": token},
    )
    assert response.status_code == 200
    assert "Nom d'utilisateur ou mot de passe incorrect." in text(response)
    assert client.get("/mes-demandes").status_code == 302


def test_an_unexpected_exception_gives_the_generic_french_500_page(app, app_factory, caplog):
    failing = app_factory()

    @failing.get("/test-panne")
    def broken() -> str:
        raise RuntimeError("secret-detail-4242 in /srv/guichet/web/views.py")

    with caplog.at_level(logging.ERROR, logger="web.core.errors"):
        response = failing.test_client().get("/test-panne")
    assert_error_page(response, 500, "Erreur technique")
    body = response.get_data(as_text=True)
    for leak in ("Traceback", "secret-detail-4242", "RuntimeError", "/srv/guichet", 'File "'):
        assert leak not in body
    assert "Une erreur technique est survenue." in text(response)
    assert any(
        record.exc_info and "secret-detail-4242" in str(record.exc_info[1]) for record in caplog.records
    )
    assert app.test_client().get("/test-panne").status_code == 404  # the route lives on the other app only


def test_the_family_task_page_of_a_finished_step_leads_to_the_request_not_a_form(app, people, client_for):
    famille = client_for(people["famille"])
    task_id = start_demarche(famille)
    assert post_form(famille, f"/taches/{task_id}", {**ADDRESS, **proof()}).status_code == 302
    with app.app_context():
        task = db.session.get(HumanTask, task_id)
        assert task.state == HumanTaskState.COMPLETED
        instance_id = task.instance_id
    # The back button shows the step again: the family lands on its request (web/tasks/drafts.py).
    response = famille.get(f"/taches/{task_id}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/mes-demandes/{instance_id}"
    assert "Votre demande a déjà été envoyée." in text(famille.get(response.headers["Location"]))
    # Another family still learns nothing: the task does not exist for it.
    other = client_for(people["autre_famille"])
    assert_error_page(other.get(f"/taches/{task_id}"), 404, "Page introuvable")
