"""Login throttling, the audit trail of attempts, and the session time limits (SECURITY.md C and E).

Everything goes through the real login form with its CSRF token. Time is moved with time-machine,
never slept: `clock()` freezes it just after the accounts were created (failures older than an
account's last password change do not count, so the clock must not go back before it).
"""

from __future__ import annotations

import hashlib
import logging
import re
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from tests.fixtures.app import PASSWORD, csrf_token, login
from tests.fixtures.integration import html, text
from web.accounts import captcha, passwords
from web.accounts.models import LoginAttempt, User
from web.accounts.passwords import hash_password
from web.extensions import db

FAILED = "Nom d'utilisateur ou mot de passe incorrect."
WAIT = "Trop de tentatives : patientez quelques instants avant de réessayer."
RESET = "réinitialisez votre mot de passe"
EXPIRED = "Votre session a expiré : reconnectez-vous."
CSRF_INPUT = re.compile(r'(name="csrf_token"(?: type="hidden")? value=")[^"]+(")')
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


# Helpers ----------------------------------------------------------------------------------------


def clock() -> time_machine.travel:
    """A frozen clock starting now (after the accounts were made); move it with .shift()."""
    return time_machine.travel(datetime.now(UTC) + timedelta(seconds=1), tick=False)


def post_login(client: FlaskClient, username: str, password: str, token: str, **kwargs):
    return client.post(
        "/connexion", data={"username": username, "password": password, "csrf_token": token}, **kwargs
    )


def attempts(app: Flask, **where) -> list[LoginAttempt]:
    with app.app_context():
        session = db.session()
        rows = list(
            session.execute(select(LoginAttempt).filter_by(**where).order_by(LoginAttempt.id)).scalars()
        )
        session.expunge_all()
        return rows


def key(login_typed: str) -> str:
    return hashlib.sha256(login_typed.strip().lower().encode()).hexdigest()


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Count the real Argon2 verifications: every module bound to verify_password gets a wrapper
    that records the call and still runs the real function."""
    real = passwords.verify_password
    calls: list[str] = []

    def counting(password_hash: str | None, password: str) -> bool:
        calls.append(password)
        return real(password_hash, password)

    patched = []
    for name, module in list(sys.modules.items()):
        if name.startswith(("web.", "forms.")) and getattr(module, "verify_password", None) is real:
            monkeypatch.setattr(module, "verify_password", counting)
            patched.append(name)
    assert {"web.accounts.passwords", "web.accounts.services"} <= set(patched)
    return calls


@pytest.fixture
def no_captcha_app(app: Flask, app_factory: Callable[..., Flask]) -> Flask:
    """The same database with CAPTCHA_ENABLED off: only the delays and ceilings protect the login."""
    return app_factory(CAPTCHA_ENABLED=False)


# Identical answers, attempts written, log lines ---------------------------------------------------


def test_unknown_user_and_wrong_password_get_the_same_answer(app, make_user, verifications):
    user = make_user("famille")
    unknown = "z" + user.username[1:]  # same length, so that the bodies can be compared byte for byte

    def probe(typed: str):
        """One attempt from a fresh browser, as an attacker would probe: the page, then one POST."""
        client = app.test_client()
        return post_login(client, typed, "not the password at all", csrf_token(client, "/connexion"))

    def masked_headers(response) -> list[tuple[str, str]]:
        return sorted(
            (name, "…" if name == "X-Request-ID" else re.sub(r"session=[^;]+", "session=…", value))
            for name, value in response.headers  # X-Request-ID: a random id per request (web/core/logs.py)
        )

    def masked_body(response, typed: str) -> str:
        body = CSRF_INPUT.sub(r"\1CSRF\2", response.get_data(as_text=True))
        return body.replace(f'value="{typed}"', 'value="LOGIN"')

    wrong, missing = probe(user.username), probe(unknown)
    assert wrong.status_code == missing.status_code == 200
    assert masked_headers(wrong) == masked_headers(missing)
    assert masked_body(wrong, user.username) == masked_body(missing, unknown)
    assert FAILED in text(wrong)
    assert len(verifications) == 2  # both ran one (real or dummy) Argon2 verification
    rows = attempts(app)
    assert [(row.kind, row.succeeded, row.login_key) for row in rows] == [
        ("login", False, key(user.username)),
        ("login", False, key(unknown)),
    ]
    assert rows[0].user_id == user.id
    assert rows[1].user_id is None


def test_every_attempt_is_written_and_logged_without_the_password(app, make_user, caplog):
    user = make_user("famille")
    canary = "Canary-Password-4242-never-logged"
    forged = "camille\r\n2026-01-01 INFO web.accounts.views: Login succeeded for user 1"
    client = app.test_client()
    token = csrf_token(client, "/connexion")
    with caplog.at_level(logging.INFO):
        assert post_login(client, forged, canary, token).status_code == 200
        assert post_login(client, user.username, canary, token).status_code == 200
        login(client, user)

    rows = attempts(app)
    assert [(row.succeeded, row.ip, row.kind) for row in rows] == [
        (False, "127.0.0.1", "login"),
        (False, "127.0.0.1", "login"),
        (True, "127.0.0.1", "login"),
    ]
    assert rows[0].login_key == key(forged)
    assert rows[2].user_id == user.id
    assert all(row.created_at.tzinfo is UTC for row in rows)
    for row in rows:  # the table keeps no typed name, no password
        assert canary not in repr(vars(row))
        assert "camille" not in row.login_key

    audit = [record.getMessage() for record in caplog.records if record.name == "web.accounts.throttle"]
    assert len(audit) == 3
    assert audit[0].startswith("Authentication failed: kind=login ")
    assert 'ip="127.0.0.1"' in audit[0]
    assert "\\r\\n2026-01-01 INFO" in audit[0]  # the forged line is escaped, not a new line
    assert audit[2].startswith("Authentication succeeded: ")
    assert f"user={user.id}" in audit[2]
    for record in caplog.records:
        message = record.getMessage()
        assert canary not in message
        if record.name.startswith("web.accounts"):
            assert "\r" not in message, message
            assert "\n" not in message, message
    assert canary not in caplog.text


# Throttling ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("captcha_enabled", [False, True], ids=["delays-only", "with-captcha"])
def test_1000_attempts_on_one_account_run_at_most_10_password_verifications(
    app, app_factory, make_user, verifications, captcha_enabled
):
    target = app if captcha_enabled else app_factory(CAPTCHA_ENABLED=False)
    user = make_user("famille")
    client = target.test_client()
    token = csrf_token(client, "/connexion")
    statuses = []
    with clock() as traveller:
        for n in range(1000):  # spread over 10 minutes
            response = post_login(client, user.username, f"guess number {n}", token)
            statuses.append(response.status_code)
            traveller.shift(timedelta(seconds=0.6))
        # The owner, with the right password, is not let in during the attack either.
        owner = post_login(client, user.username, PASSWORD, token)
        assert owner.status_code != 302
        assert expired(client.get("/mes-demandes"))

    assert PASSWORD not in verifications
    if captcha_enabled:  # the attacker does not solve the captcha: nothing is verified after 5 failures
        assert len(verifications) == 5
    else:  # 5 free, then 1, 2, 4, 8 and 16 s of delay, then the hourly ceiling
        assert 5 < len(verifications) <= 10, len(verifications)
        assert statuses.count(200) == len(verifications)  # a verified wrong guess: the form again
        assert statuses.count(429) == 1000 - len(verifications)
    rows = attempts(target, login_key=key(user.username))
    assert len(rows) == 1001  # every attempt is recorded, refused ones too
    assert sum(row.kind == "login" for row in rows) == len(verifications)


def test_a_parallel_burst_gets_no_more_verifications_than_a_sequence(
    no_captcha_app, make_user, verifications
):
    """8 browsers attack one account at the same instant: each attempt is counted before it is checked,
    so the 6th and later are refused even while the first ones are still being verified."""
    user = make_user("famille")
    clients = [no_captcha_app.test_client() for _ in range(8)]
    tokens = [csrf_token(client, "/connexion") for client in clients]
    barrier = threading.Barrier(len(clients))
    statuses: list[int] = []
    errors: list[BaseException] = []

    def attack(client: FlaskClient, token: str) -> None:
        try:
            barrier.wait(30)
            for n in range(25):
                statuses.append(post_login(client, user.username, f"parallel guess {n}", token).status_code)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    with clock():  # frozen: the 1-second delay after the 5th failure never passes
        threads = [threading.Thread(target=attack, args=pair) for pair in zip(clients, tokens, strict=True)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    assert not errors, errors
    assert len(statuses) == 200
    assert len(verifications) == 5
    assert sorted(statuses) == [200] * 5 + [429] * 195
    rows = attempts(no_captcha_app, login_key=key(user.username))
    assert [row.kind for row in rows].count("login") == 5
    assert len(rows) == 200


def test_the_delay_doubles_after_five_failures_and_never_locks_out(no_captcha_app, make_user, verifications):
    user = make_user("famille")
    client = no_captcha_app.test_client()
    token = csrf_token(client, "/connexion")
    with clock() as traveller:
        for n in range(5):  # free failures
            assert post_login(client, user.username, f"wrong {n}", token).status_code == 200
        assert len(verifications) == 5

        refused = post_login(client, user.username, PASSWORD, token)  # too soon after the 5th failure
        assert refused.status_code == 429
        assert f"{FAILED} {WAIT}" in text(refused)
        doc = html(refused)
        assert doc.xpath("//input[@id='password']/@aria-invalid") == ["true"]
        assert len(verifications) == 5

        traveller.shift(timedelta(seconds=1))  # 2^0 s after the 5th failure
        assert post_login(client, user.username, "wrong 5", token).status_code == 200
        traveller.shift(timedelta(seconds=1.5))  # 6 failures: 2 s are needed
        assert post_login(client, user.username, "wrong 6", token).status_code == 429
        traveller.shift(timedelta(seconds=0.5))
        assert post_login(client, user.username, "wrong 6", token).status_code == 200
        assert len(verifications) == 7

        traveller.shift(timedelta(seconds=3))  # 7 failures: 4 s are needed
        assert post_login(client, user.username, PASSWORD, token).status_code == 429
        traveller.shift(timedelta(seconds=1))
        assert post_login(client, user.username, PASSWORD, token).status_code == 302  # no lock-out
    assert len(verifications) == 8


def test_the_delay_is_capped(app, app_factory, make_user):
    capped = app_factory(CAPTCHA_ENABLED=False, LOGIN_HOURLY_FAILURE_LIMIT=100, LOGIN_MAX_DELAY_SECONDS=60)
    user = make_user("famille")
    client = capped.test_client()
    token = csrf_token(client, "/connexion")
    with clock() as traveller:
        failures = 0
        while failures < 12:  # 1, 2 … 64 s of delay: retry each second until the guess is checked
            if post_login(client, user.username, f"wrong {failures}", token).status_code == 200:
                failures += 1
            traveller.shift(timedelta(seconds=1))
        # 12 failures: 2^7 = 128 s would be due, the cap is 60 s (the last failure was 1 s ago).
        traveller.shift(timedelta(seconds=57))
        assert post_login(client, user.username, PASSWORD, token).status_code == 429
        traveller.shift(timedelta(seconds=2))
        assert post_login(client, user.username, PASSWORD, token).status_code == 302


def test_the_daily_ceiling_is_lifted_by_a_password_reset(no_captcha_app, make_user, verifications):
    user = make_user("famille")
    client = no_captcha_app.test_client()
    token = csrf_token(client, "/connexion")
    with clock() as traveller:
        for n in range(20):  # 20 failures, 16 minutes apart: no delay, 4 an hour
            assert post_login(client, user.username, f"wrong {n}", token).status_code == 200
            traveller.shift(timedelta(minutes=16))
        refused = post_login(client, user.username, PASSWORD, token)
        assert refused.status_code == 429
        assert RESET in text(refused)
        traveller.shift(timedelta(hours=2))
        assert post_login(client, user.username, PASSWORD, token).status_code == 429
        assert len(verifications) == 20

        # What « J'ai oublié mon mot de passe » does: a new hash and password_changed_at = now.
        new_password = "Une autre phrase de passe, 2026"
        traveller.shift(timedelta(minutes=1))
        with no_captcha_app.app_context():
            db.session.execute(
                update(User)
                .where(User.id == user.id)
                .values(password_hash=hash_password(new_password), password_changed_at=datetime.now(UTC))
            )
            db.session.commit()
        traveller.shift(timedelta(seconds=5))
        assert post_login(client, user.username, new_password, token).status_code == 302
    assert len(verifications) == 21


def test_the_daily_ceiling_also_wears_off_after_24_hours(no_captcha_app, make_user):
    user = make_user("famille")
    client = no_captcha_app.test_client()
    token = csrf_token(client, "/connexion")
    with clock() as traveller:
        for n in range(20):
            post_login(client, user.username, f"wrong {n}", token)
            traveller.shift(timedelta(minutes=16))
        assert post_login(client, user.username, PASSWORD, token).status_code == 429
        traveller.shift(timedelta(hours=24) - timedelta(minutes=16 * 20) + timedelta(minutes=1))
        assert post_login(client, user.username, PASSWORD, token).status_code == 302


def test_spraying_many_accounts_from_one_ip_throttles_that_ip(no_captcha_app, make_user, verifications):
    user = make_user("famille")
    attacker = no_captcha_app.test_client()
    spray = {"environ_base": {"REMOTE_ADDR": "203.0.113.7"}}
    token = csrf_token(attacker, "/connexion")
    with clock() as traveller:
        for n in range(50):  # one guess on each of 50 accounts
            response = post_login(attacker, f"habitant{n:02d}", "Printemps2026!", token, **spray)
            assert response.status_code == 200
            traveller.shift(timedelta(seconds=1))
        assert len(verifications) == 50
        blocked = post_login(attacker, user.username, PASSWORD, token, **spray)
        assert blocked.status_code == 429
        assert WAIT in text(blocked)
        assert len(verifications) == 50

        neighbour = no_captcha_app.test_client()  # the same account from another address still works
        login(neighbour, user)
        assert len(attempts(no_captcha_app, ip="203.0.113.7")) == 51

        traveller.shift(timedelta(minutes=15))  # the failures have aged out of the window
        assert post_login(attacker, user.username, PASSWORD, token, **spray).status_code == 302


def test_after_five_failures_the_captcha_is_asked_for(app, make_user, verifications):
    user = make_user("famille")
    client = app.test_client()
    token = csrf_token(client, "/connexion")
    with clock() as traveller:
        for n in range(4):
            page = post_login(client, user.username, f"wrong {n}", token)
            assert 'name="captcha_id"' not in page.get_data(as_text=True)
        fifth = post_login(client, user.username, "wrong 4", token)
        assert fifth.status_code == 200
        challenge = re.search(r'name="captcha_id" value="([^"]+)"', fifth.get_data(as_text=True)).group(1)
        assert html(fifth).xpath("//form//label[@for='captcha_reponse']")
        traveller.shift(timedelta(seconds=2))

        # Without the answer, even the right password is not checked.
        refused = post_login(client, user.username, PASSWORD, token)
        assert refused.status_code == 200
        assert "Recopiez le texte de contrôle." in text(refused)
        assert len(verifications) == 5
        challenge = re.search(r'name="captcha_id" value="([^"]+)"', refused.get_data(as_text=True)).group(1)
        with app.app_context():
            code = captcha.code_for(challenge)
        response = client.post(
            "/connexion",
            data={
                "username": user.username,
                "password": PASSWORD,
                "captcha_id": challenge,
                "captcha_reponse": code,
                "csrf_token": token,
            },
        )
        assert response.status_code == 302
    assert len(verifications) == 6


# Sessions -----------------------------------------------------------------------------------------


def expired(response) -> bool:
    return response.status_code == 302 and response.headers["Location"].startswith("/connexion")


def test_the_session_ends_after_30_minutes_without_a_request(app, make_user, caplog):
    user = make_user("famille")
    client = app.test_client()
    with clock() as traveller, caplog.at_level(logging.INFO, logger="web.accounts.sessions"):
        login(client, user)
        traveller.shift(timedelta(minutes=29))
        assert client.get("/mes-demandes").status_code == 200
        traveller.shift(timedelta(minutes=29))  # activity moved the deadline
        assert client.get("/mes-demandes").status_code == 200
        traveller.shift(timedelta(minutes=31))
        response = client.get("/mes-demandes")
        assert expired(response)
        assert response.headers["Location"] == "/connexion?next=/mes-demandes"
        assert EXPIRED in text(client.get(response.headers["Location"]))
        assert expired(client.get("/mes-demandes"))  # logged out, not only redirected once
    assert f"Session of user {user.id} expired (idle limit)" in caplog.messages


def test_the_session_ends_12_hours_after_login_even_with_activity(app, make_user, caplog):
    user = make_user("famille")
    client = app.test_client()
    with clock() as traveller, caplog.at_level(logging.INFO, logger="web.accounts.sessions"):
        login(client, user)
        for _ in range(28):  # a request every 25 minutes: 11 h 40
            traveller.shift(timedelta(minutes=25))
            assert client.get("/mes-demandes").status_code == 200
        traveller.shift(timedelta(minutes=19))  # 11 h 59
        assert client.get("/mes-demandes").status_code == 200
        traveller.shift(timedelta(minutes=2))  # 12 h 01
        assert expired(client.get("/mes-demandes"))
    assert f"Session of user {user.id} expired (absolute limit)" in caplog.messages


def extend(client: FlaskClient, token: str):
    return client.post("/session/prolonger", headers={"X-CSRFToken": token, "Accept": "application/json"})


def test_prolonger_extends_the_idle_limit_only(app, make_user):
    user = make_user("famille")
    client = app.test_client()
    with clock() as traveller:
        login(client, user)
        page = client.get("/mes-demandes")
        body = html(page)
        assert body.xpath("//body/@data-session-expires-in") == ["1800"]
        assert body.xpath("//body/@data-session-limit") == ["idle"]
        assert body.xpath("//script/@src") == ["/static/js/submit-once.js", "/static/js/session.js"]
        assert body.xpath("//dialog[@role='alertdialog']//button/text()")[0] == "Prolonger"
        token = CSRF_META.search(page.get_data(as_text=True)).group(1)

        traveller.shift(timedelta(minutes=28))
        assert client.post("/session/prolonger").status_code == 400  # CSRF token required
        response = extend(client, token)
        assert response.status_code == 200
        assert response.json["expires_in"] == 1800
        assert response.json["limit"] == "idle"
        assert response.json["extendable"] is True
        assert response.json["absolute_expires_in"] == 12 * 3600 - 28 * 60
        traveller.shift(timedelta(minutes=29))  # 57 minutes after the login, 29 after « Prolonger »
        assert client.get("/mes-demandes").status_code == 200

        for _ in range(26):  # keep the session alive up to 11 h 50
            traveller.shift(timedelta(minutes=25))
            assert extend(client, token).status_code == 200
        traveller.shift(timedelta(minutes=12 * 60 - 57 - 26 * 25 - 10))
        response = extend(client, token)
        assert response.json == {**response.json, "expires_in": 600, "limit": "absolute", "extendable": False}
        assert html(client.get("/mes-demandes")).xpath("//body/@data-session-limit") == ["absolute"]
        traveller.shift(timedelta(minutes=11))  # 12 h 01: « Prolonger » did not move the absolute limit
        response = extend(client, token)
        assert response.status_code == 401
        assert response.json["expired"] is True
        assert expired(client.get("/mes-demandes"))


def test_anonymous_pages_have_no_session_timer(app):
    page = html(app.test_client().get("/"))
    assert not page.xpath("//body/@data-session-expires-in")
    assert page.xpath("//script/@src") == ["/static/js/submit-once.js"]  # no session.js
    assert not page.xpath("//dialog")


def test_a_disabled_account_loses_its_session_at_the_next_request(app, make_user):
    user = make_user("famille")
    client = app.test_client()
    login(client, user)
    assert client.get("/mes-demandes").status_code == 200
    with app.app_context():
        db.session.execute(update(User).where(User.id == user.id).values(is_enabled=False))
        db.session.commit()
    assert expired(client.get("/mes-demandes"))
    with app.app_context():
        db.session.execute(update(User).where(User.id == user.id).values(is_enabled=True))
        db.session.commit()
    # The session was emptied, not merely ignored: enabling the account again does not revive it.
    assert expired(client.get("/mes-demandes"))
    with client.session_transaction() as stored:
        assert "_user_id" not in stored


def test_a_session_without_the_login_stamps_is_refused(app, make_user):
    """A signed session that never went through the login form (no stamps) is not honoured."""
    user = make_user("famille")
    client = app.test_client()
    login(client, user)
    with client.session_transaction() as stored:
        del stored["auth_at"]
    assert expired(client.get("/mes-demandes"))
