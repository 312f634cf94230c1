"""Links in mails: the running server's address in development, GUICHET_BASE_URL required in production."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from engine.models import OutboxMessage
from tests.integration.test_signup import PASSWORD, to_credentials, token
from web.cli import use_server_address
from web.extensions import db


def test_production_refuses_to_start_without_a_base_url(app, app_factory):
    with pytest.raises(SystemExit) as refused:
        app_factory(ENV="production", BASE_URL=None)
    assert "GUICHET_BASE_URL manque" in str(refused.value)


def test_in_development_mail_links_use_the_running_servers_port(app, app_factory):
    dev = app_factory(BASE_URL=None, CAPTCHA_ENABLED=False)
    use_server_address(dev, "0.0.0.0", 8123)  # noqa: S104 - not bound, only shown
    client = dev.test_client()
    url = to_credentials(client)
    page = client.get(url).get_data(as_text=True)
    data = {"csrf_token": token(page), "nom_utilisateur": "louise", "mot_de_passe": PASSWORD}
    response = client.post(url, data={**data, "confirmation": PASSWORD, "action": "suivant"})
    assert response.status_code == 302
    with dev.app_context():
        (mail,) = db.session().execute(select(OutboxMessage)).scalars().all()
    assert re.search(r"http://127\.0\.0\.1:8123/activation/\S+", mail.body_text)


def test_a_configured_base_url_is_kept_by_the_server(app, app_factory):
    configured = app_factory(BASE_URL="https://demarches.ville.test")
    use_server_address(configured, "127.0.0.1", 8123)
    assert configured.config["BASE_URL"] == "https://demarches.ville.test"
