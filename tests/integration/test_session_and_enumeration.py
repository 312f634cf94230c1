"""Session fixation (ASVS 7.2.4), server-side logout (7.4.1) and enumeration at signup (6.3.8).

Login and « mot de passe oublié » are compared byte for byte and by counts of work in
tests/integration/test_login_security.py and tests/integration/test_reset.py; the logout replay of a
captured cookie in tests/integration/test_access.py. Here: the session a visitor had before logging in
is worthless after it, a cookie replayed after logout is refused, and signing up with the e-mail
address of an existing account answers the same bytes after the same work as with a new address.
"""

from __future__ import annotations

import re

from tests.fixtures.app import PASSWORD, csrf_token
from tests.fixtures.integration import outbox, post_form, text
from tests.integration.test_signup import CONTACT, credentials, to_credentials

CSRF = re.compile(r'(name="csrf_token"(?: type="hidden")? value=")[^"]+(")')


def _session(client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def test_the_session_of_a_visitor_is_replaced_at_login(app, people):
    famille = people["famille"]
    client = app.test_client()
    before_token = csrf_token(client, "/connexion")
    planted = _session(client)  # what an attacker could have planted in the victim's browser
    response = client.post(
        "/connexion", data={"username": famille.username, "password": PASSWORD, "csrf_token": before_token}
    )
    assert response.status_code == 302
    after = _session(client)
    assert after != planted
    assert client.get("/mes-demandes").status_code == 200
    # The planted cookie did not become a logged-in session...
    attacker = app.test_client()
    attacker.set_cookie("session", planted)
    refused = attacker.get("/mes-demandes")
    assert refused.status_code == 302
    assert refused.headers["Location"].startswith("/connexion")
    # ...and the form token of the anonymous session no longer works in the logged-in one.
    stale = client.post("/deconnexion", data={"csrf_token": before_token})
    assert stale.status_code == 400
    assert client.get("/mes-demandes").status_code == 200


def test_a_session_replayed_after_logout_is_refused_on_every_page(app, people, client_for):
    agent = client_for(people["accueil"])
    captured = _session(agent)
    assert agent.get("/agents/").status_code == 200
    assert post_form(agent, "/agents/", {}, action="/deconnexion").status_code == 302
    replay = app.test_client()
    replay.set_cookie("session", captured)
    for url in ("/agents/", "/profil", "/agents/export.csv", "/profil/identifiants"):
        response = replay.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/connexion"), url
    token = csrf_token(replay, "/connexion")
    assert replay.post("/session/prolonger", data={"csrf_token": token}).status_code in (302, 401)


def _masked(response) -> tuple[int, list[tuple[str, str]], str]:
    headers = sorted(
        (name, "…" if name == "X-Request-ID" else re.sub(r"session=[^;]+", "session=…", value))
        for name, value in response.headers
    )
    headers = [(name, re.sub(r"/(taches|demarche-terminee)/\d+", r"/\1/…", value)) for name, value in headers]
    body = CSRF.sub(r"\1CSRF\2", response.get_data(as_text=True))
    body = re.sub(r"/(taches|demarche-terminee)/\d+", r"/\1/…", body)
    return response.status_code, headers, body


def test_signup_with_a_used_address_answers_the_same_after_the_same_work(app, make_user, argon2_runs):
    owner = make_user("famille", username="deja.inscrite", email="deja@exemple.fr")
    answers = {}
    runs = {}
    for label, address in (("known", owner.email), ("new", "nouvelle@exemple.fr")):
        client = app.test_client()
        CONTACT["courriel"] = address
        try:
            url = to_credentials(client)
        finally:
            CONTACT["courriel"] = "louise@exemple.fr"
        argon2_runs.clear()
        response, _ = credentials(app, client, url, nom_utilisateur=f"louise{label}")
        runs[label] = list(argon2_runs)
        assert response.status_code == 302, text(response)[:300]
        done = client.get(response.headers["Location"])
        answers[label] = (_masked(response), _masked(done))
    assert answers["known"][0] == answers["new"][0]
    assert answers["known"][1] == answers["new"][1]
    assert runs["known"] == runs["new"]  # the same count of Argon2 runs: counted, not timed
    assert runs["known"], "the password is hashed either way"
    subjects = sorted((m.recipient, m.subject) for m in outbox(app))
    assert [r for r, _ in subjects] == ["deja@exemple.fr", "nouvelle@exemple.fr"]  # a notice, an activation
