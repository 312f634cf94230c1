"""SECURITY.md A.1: no password in clear in the database file, the logs, the outbox or the mails."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.models import OutboxMessage
from tests.integration.test_signup import credentials, post, to_credentials, token
from web.accounts.models import User
from web.extensions import db

CANARIES = ["canari zèbre orange 2026!", "Xylophone-Quetzal-Bleu-93", "pingouin lunaire du jeudi"]


def database_files(app) -> list[Path]:
    path = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    return [p for p in (path, Path(f"{path}-wal")) if p.exists()]


@pytest.mark.usefixtures("production_argon2")  # the one test of the stored production parameters
def test_passwords_never_appear_in_clear(app, client, caplog):
    caplog.set_level(logging.DEBUG)
    url = to_credentials(client)
    response, _ = credentials(app, client, url, mot_de_passe=CANARIES[0], confirmation=CANARIES[0])
    assert response.status_code == 302
    with app.app_context():
        session = db.session()
        mail = session.execute(select(OutboxMessage)).scalar_one()
    link = re.search(r"http://guichet\.test(/activation/\S+)", mail.body_text).group(1)
    page = client.get(link).get_data(as_text=True)
    client.post(link, data={"csrf_token": token(page)})
    login_page = client.get("/connexion").get_data(as_text=True)
    client.post(
        "/connexion", data={"csrf_token": token(login_page), "username": "louise", "password": CANARIES[1]}
    )
    login_page = client.get("/connexion").get_data(as_text=True)
    logged = client.post(
        "/connexion", data={"csrf_token": token(login_page), "username": "louise", "password": CANARIES[0]}
    )
    assert logged.status_code == 302
    changed = post(
        client,
        "/profil/identifiants",
        {
            "current_password": CANARIES[0],
            "username": "louise",
            "new_password": CANARIES[2],
            "confirmation": CANARIES[2],
        },
    )
    assert changed.status_code == 302, changed.get_data(as_text=True)[:3000]
    with app.app_context():
        session = db.session()
        user = session.execute(select(User).where(User.username == "louise")).scalar_one()
        assert re.match(r"^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$", user.password_hash)
        memory, time_cost = map(
            int, re.match(r"^\$argon2id\$v=19\$m=(\d+),t=(\d+)", user.password_hash).groups()
        )
        assert memory >= 19456
        assert time_cost >= 2
        mails = session.execute(select(OutboxMessage)).scalars().all()
        assert len(mails) >= 2  # activation, then « identifiants modifiés »
    database = b"".join(p.read_bytes() for p in database_files(app))
    logs = caplog.text
    for canary in CANARIES:
        assert canary.encode() not in database
        assert canary not in logs
        for message in mails:
            assert canary not in f"{message.subject}{message.body_text}{message.body_html}"
