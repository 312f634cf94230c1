"""« OUBLI DE MOT DE PASSE » through the portal: real forms with CSRF, the mailed link, the new password."""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from engine.db import utcnow
from engine.models import ProcessInstance
from forms.password_policy import MSG_TOO_SHORT, MSG_USERNAME, POLICY_TEXT
from tests.fixtures.app import PASSWORD, csrf_token, login
from tests.fixtures.integration import html, outbox, post_form, snapshot, text
from tests.fixtures.work import statements
from web.accounts import captcha
from web.accounts.models import AccountToken, LoginAttempt, User
from web.accounts.tokens import RESET_TTL
from web.extensions import db
from web.scheduler import run_outbox

NEW_PASSWORD = "Lune bleue sur le lavoir, 1987 !"
DONE = "Si un compte correspond, un courriel contenant un lien de réinitialisation vient d'être envoyé."
TASK_URL = re.compile(r"^/taches/(\d+)$")
DONE_URL = re.compile(r"^/demarche-terminee/(\d+)$")
LINK = re.compile(r"(https?://[^/\s]+)/mot-de-passe/([A-Za-z0-9_-]{43})\b")
GONE = "Ce lien n'est plus valable"


@pytest.fixture
def famille(make_user):
    return make_user("famille", username="camille.martin", email="camille.martin@example.test")


def ask(client, login_typed: str, **request):
    """« J'ai oublié mon mot de passe. » to the last page: (task page, VALIDER's answer, last page)."""
    token = form_token(client.get("/mot-de-passe-oublie", **request))
    started = client.post("/mot-de-passe-oublie", data={"csrf_token": token}, **request)
    assert started.status_code == 302, text(started)[:300]
    task_url = started.headers["Location"]
    assert TASK_URL.match(task_url), task_url
    page = client.get(task_url, **request)
    assert page.status_code == 200
    token = form_token(page)
    answered = client.post(
        task_url, data={"identifiant": login_typed, "action": "suivant", "csrf_token": token}, **request
    )
    assert answered.status_code == 302, text(answered)[:300]
    assert DONE_URL.match(answered.headers["Location"]), answered.headers["Location"]
    return page, answered, client.get(answered.headers["Location"], **request)


def form_token(page) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def last_link(app, recipient: str) -> tuple[str, str]:
    """(base URL, raw token) of the last reset mail sent to `recipient`."""
    mails = [m for m in outbox(app) if m.recipient == recipient and "Réinitialisation" in m.subject]
    assert mails, [m.subject for m in outbox(app)]
    (link,) = set(LINK.findall(mails[-1].body_text))
    return link


def open_link(client, raw: str):
    """Follow the mailed link; returns the redirect and the new-password page."""
    followed = client.get(f"/mot-de-passe/{raw}")
    assert followed.status_code == 302, followed.status_code
    return followed, client.get(followed.headers["Location"])


def choose(client, password: str, confirmation: str | None = None):
    token = csrf_token(client, "/mot-de-passe/nouveau")
    return client.post(
        "/mot-de-passe/nouveau",
        data={"mot_de_passe": password, "confirmation": confirmation or password, "csrf_token": token},
    )


def mask(body: str) -> str:
    """The page without its CSRF tokens (they differ per session), instance ids (one per visit) and
    captcha ids (one per display)."""
    body = re.sub(r'(name="csrf_token"[^>]*value=")[^"]+"', r'\1…"', body)
    body = re.sub(r'(name="captcha_id" value=")[^"]+"', r'\1…"', body)
    body = re.sub(r"/controle/[A-Za-z0-9_-]{43}\.", "/controle/….", body)
    return re.sub(r"/(demarche-terminee|taches)/\d+", r"/\1/…", body)


def field_error(response, name: str) -> str:
    """The French message shown next to the field `name` (inside its own block)."""
    (block,) = html(response).xpath(f'//div[contains(@class, "field-error")][.//input[@name="{name}"]]')
    (message,) = block.xpath('.//p[@class="error-message"]')
    return " ".join(message.text_content().split())


def test_the_login_box_link_opens_the_screen_of_the_guide(app, client):
    home = html(client.get("/"))
    (button,) = home.xpath('//button[normalize-space()="J\'ai oublié mon mot de passe."]')
    (target,) = home.xpath(f'//form[@id="{button.get("form")}"]')
    assert (target.get("method"), target.get("action")) == ("post", "/mot-de-passe-oublie")
    assert target.xpath('.//input[@name="csrf_token"]')
    assert not button.xpath("ancestor::form[@id]")  # not nested in another form with an id

    page, _, _ = ask(client, "personne")
    doc = html(page)
    assert doc.xpath("//h1")[0].text_content().strip() == "OUBLI DE MOT DE PASSE"
    words = text(page)
    assert "Vous avez oublié votre mot de passe." in words
    assert "Saisissez votre nom d'utilisateur ou votre adresse de courriel pour le réinitialiser." in words
    (label,) = doc.xpath('//label[@for="identifiant"]')
    assert "Nom d'utilisateur (ou adresse de courriel)" in label.text_content()
    (field,) = doc.xpath('//input[@name="identifiant"]')
    assert field.get("autocomplete") == "username"
    buttons = [b.text_content().strip() for b in doc.xpath("//main//form//button")]
    assert buttons == ["VALIDER", "ANNULER"]


def test_the_start_page_and_a_post_without_csrf(app, client):
    page = client.get("/mot-de-passe-oublie")
    assert page.status_code == 200
    assert "OUBLI DE MOT DE PASSE" in text(page)
    before = snapshot(app)
    assert client.post("/mot-de-passe-oublie").status_code == 400
    assert snapshot(app) == before


def test_an_existing_account_and_an_unknown_one_get_the_same_pages(app, famille):
    known = ask(app.test_client(), "camille.martin")
    unknown = ask(app.test_client(), "nobody-at-all")
    assert len(outbox(app)) == 1  # the mail went to the existing account only

    for left, right in zip(known, unknown, strict=True):
        assert left.status_code == right.status_code
        assert mask(left.get_data(as_text=True)) == mask(right.get_data(as_text=True))
        assert sorted(left.headers.keys()) == sorted(right.headers.keys())
        for name, value in left.headers.items():
            if name == "Location":
                assert mask(value) == mask(right.headers[name])
            elif name not in ("Set-Cookie", "X-Request-ID"):  # a value per visitor, and per request
                assert right.headers[name] == value, name
    _, answered_known, done_known = known
    _, answered_unknown, done_unknown = unknown
    assert len(done_known.get_data()) == len(done_unknown.get_data())
    assert done_known.status_code == 200
    assert DONE in text(done_known)
    assert "camille.martin" not in done_known.get_data(as_text=True)
    ids = [int(DONE_URL.match(r.headers["Location"]).group(1)) for r in (answered_known, answered_unknown)]
    with app.app_context():
        labels = [db.session.get(ProcessInstance, i).status_label for i in ids]
    assert labels == [DONE, DONE]


def test_the_answer_does_the_same_work_whether_or_not_an_account_matches(app, make_user, argon2_runs):
    """The same number of SQL statements and no Argon2 run either way (the mail is only written to the
    outbox, then removed for nobody): a branch doing more work for existing accounts, such as sending
    by SMTP or hashing, would tell them apart by the answer's time. Counted, not timed."""
    accounts = [make_user("famille") for _ in range(3)]  # one request each: every one gets a mail
    argon2_runs.clear()

    def work(login_typed: str, number: int) -> int:
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"198.51.100.{number}"  # a fresh address: no captcha
        task_url = client.post("/mot-de-passe-oublie", data={"csrf_token": csrf_token(client, "/connexion")})
        task_url = task_url.headers["Location"]
        data = {
            "identifiant": login_typed,
            "action": "suivant",
            "csrf_token": form_token(client.get(task_url)),
        }
        with statements(app) as seen:
            assert client.post(task_url, data=data).status_code == 302
        return len(seen)

    known = [work(account.username, 2 * n + 1) for n, account in enumerate(accounts)]
    unknown = [work(f"inconnu{n}", 2 * n + 2) for n in range(len(accounts))]
    assert len(outbox(app)) == len(accounts)
    assert known == unknown, (known, unknown)
    assert known[0] > 10  # the listener saw the request's statements
    assert argon2_runs == []


def test_annuler_keeps_nothing(app, client, famille):
    token = csrf_token(client, "/connexion")
    task_url = client.post("/mot-de-passe-oublie", data={"csrf_token": token}).headers["Location"]
    response = post_form(client, task_url, {"identifiant": "camille.martin", "action": "annuler"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    counts = {name: len(rows) for name, rows in snapshot(app).items()}
    assert counts["process_instance"] == counts["human_task"] == counts["outbox_message"] == 0
    assert counts["login_attempt"] == 0


def test_a_logged_in_family_is_sent_home(app, famille, client_for):
    client = client_for(famille)
    response = post_form(client, "/mes-demandes", {}, action="/mot-de-passe-oublie")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert snapshot(app)["process_instance"] == []


def test_the_whole_reset(app, famille, client_for, caplog):
    caplog.set_level(logging.DEBUG)
    old_device = client_for(famille)
    assert old_device.get("/mes-demandes").status_code == 200
    visitor = app.test_client()
    ask(visitor, "camille.martin@example.test")
    base, raw = last_link(app, "camille.martin@example.test")
    assert base == "http://guichet.test"

    followed, page = open_link(visitor, raw)
    assert followed.headers["Location"] == "/mot-de-passe/nouveau"
    for response in (followed, page):
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["Cache-Control"] == "no-store"
        assert raw not in response.get_data(as_text=True)
        assert raw not in response.headers.get("Location", "")
    assert page.status_code == 200
    doc = html(page)
    for name, label in (
        ("mot_de_passe", "Nouveau mot de passe"),
        ("confirmation", "Confirmation du mot de passe"),
    ):
        (field,) = doc.xpath(f'//input[@name="{name}"]')
        assert (field.get("type"), field.get("autocomplete")) == ("password", "new-password")
        assert label in doc.xpath(f'//label[@for="{field.get("id")}"]')[0].text_content()
    assert str(POLICY_TEXT) in text(page)
    assert "camille.martin" in text(page)

    # The policy, in French, next to the field; nothing is used up meanwhile.
    short = choose(visitor, "court")
    assert short.status_code == 400
    assert str(MSG_TOO_SHORT) in field_error(short, "mot_de_passe")
    named = choose(visitor, "camille.martin et ses 40 chats")
    assert str(MSG_USERNAME) in field_error(named, "mot_de_passe")
    different = choose(visitor, NEW_PASSWORD, NEW_PASSWORD + "?")
    assert "ne sont pas identiques" in field_error(different, "confirmation")
    with app.app_context():
        assert db.session.execute(select(AccountToken.used_at)).scalar_one() is None
        assert db.session.get(User, famille.id).password_hash != ""

    done = choose(visitor, NEW_PASSWORD)
    assert done.status_code == 302
    assert done.headers["Location"] == "/connexion"
    landing = visitor.get("/connexion")
    assert "Votre mot de passe est modifié." in text(landing)
    assert visitor.get("/mes-demandes").status_code == 302  # not logged in by the reset

    # Every session of the account is over.
    replay = old_device.get("/mes-demandes")
    assert replay.status_code == 302
    assert replay.headers["Location"].startswith("/connexion")

    with app.app_context():
        user = db.session.get(User, famille.id)
        assert user.password_hash.startswith("$argon2id$")
        assert user.password_changed_at is not None
        assert NEW_PASSWORD not in repr(snapshot(app))
    notice = [m for m in outbox(app) if "modifié" in m.subject]
    assert len(notice) == 1
    assert notice[0].recipient == "camille.martin@example.test"
    assert "camille.martin" in notice[0].body_text
    for body in (notice[0].body_text, notice[0].body_html):
        assert NEW_PASSWORD not in body
        assert PASSWORD not in body

    # The old password no longer opens the account; the new one does.
    refused = app.test_client()
    token = csrf_token(refused, "/connexion")
    response = refused.post(
        "/connexion", data={"username": "camille.martin", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code != 302
    assert refused.get("/mes-demandes").status_code == 302
    fresh = app.test_client()
    login(fresh, famille, NEW_PASSWORD)
    assert fresh.get("/mes-demandes").status_code == 200

    # The link is used up, in this session and in any other.
    for client in (visitor, app.test_client()):
        again = client.get(f"/mot-de-passe/{raw}")
        assert again.status_code == 410
        assert GONE in text(again)
        assert again.headers["Referrer-Policy"] == "no-referrer"
    assert visitor.get("/mot-de-passe/nouveau").status_code == 410
    assert raw not in caplog.text
    assert NEW_PASSWORD not in caplog.text


def test_the_state_is_per_session_and_a_replayed_post_is_refused(app, famille):
    visitor = app.test_client()
    ask(visitor, "camille.martin")
    _, raw = last_link(app, "camille.martin@example.test")
    open_link(visitor, raw)
    token = csrf_token(visitor, "/mot-de-passe/nouveau")
    data = {"mot_de_passe": NEW_PASSWORD, "confirmation": NEW_PASSWORD, "csrf_token": token}
    assert visitor.post("/mot-de-passe/nouveau", data=data).status_code == 302
    replay = visitor.post("/mot-de-passe/nouveau", data=data)
    assert replay.status_code == 410
    stranger = app.test_client()  # no link followed: nothing to change
    assert stranger.get("/mot-de-passe/nouveau").status_code == 410


def test_the_link_is_refused_one_second_after_its_lifetime(app, famille):
    visitor = app.test_client()
    ask(visitor, "camille.martin")
    _, raw = last_link(app, "camille.martin@example.test")
    with app.app_context():
        token = db.session.execute(select(AccountToken)).scalar_one()
        created, expires = token.created_at, token.expires_at
    assert expires - created == RESET_TTL == timedelta(hours=1)
    with time_machine.travel(expires - timedelta(seconds=1), tick=False):
        _, page = open_link(visitor, raw)
        assert page.status_code == 200
    with time_machine.travel(expires + timedelta(seconds=1), tick=False):
        late = choose(visitor, NEW_PASSWORD)  # the page was opened in time, the POST comes too late
        assert late.status_code == 410
        assert GONE in text(late)
        gone = app.test_client().get(f"/mot-de-passe/{raw}")
        assert gone.status_code == 410
    with app.app_context():
        assert db.session.get(User, famille.id).password_changed_at < expires


def test_a_new_request_revokes_the_previous_link(app, famille):
    visitor = app.test_client()
    ask(visitor, "camille.martin")
    _, first = last_link(app, "camille.martin@example.test")
    ask(visitor, "camille.martin")
    _, second = last_link(app, "camille.martin@example.test")
    assert first != second
    assert app.test_client().get(f"/mot-de-passe/{first}").status_code == 410
    assert app.test_client().get(f"/mot-de-passe/{second}").status_code == 302


def test_two_concurrent_posts_with_one_link_have_exactly_one_winner(app, famille):
    ask(app.test_client(), "camille.martin")
    _, raw = last_link(app, "camille.martin@example.test")
    tabs = [app.test_client(), app.test_client()]
    forms = []
    for number, tab in enumerate(tabs):
        open_link(tab, raw)
        password = f"{NEW_PASSWORD} onglet {number}"
        forms.append(
            {
                "mot_de_passe": password,
                "confirmation": password,
                "csrf_token": csrf_token(tab, "/mot-de-passe/nouveau"),
            }
        )
    barrier = threading.Barrier(2)
    statuses: dict[int, int] = {}

    def submit(number: int) -> None:
        barrier.wait()
        statuses[number] = tabs[number].post("/mot-de-passe/nouveau", data=forms[number]).status_code

    threads = [threading.Thread(target=submit, args=(n,)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(statuses.values()) == [302, 410]
    winner = next(n for n, status in statuses.items() if status == 302)
    fresh = app.test_client()
    login(fresh, famille, forms[winner]["mot_de_passe"])
    assert len([m for m in outbox(app) if "modifié" in m.subject]) == 1


def test_a_forged_host_header_still_gets_a_link_to_the_configured_address(app, famille):
    visitor = app.test_client()
    ask(visitor, "camille.martin", headers={"Host": "evil.example"})
    assert visitor.get_cookie("session", domain="evil.example") is not None  # the app did see that host
    base, _ = last_link(app, "camille.martin@example.test")
    assert base == "http://guichet.test"
    (mail,) = outbox(app)
    assert "evil.example" not in mail.body_text + mail.body_html


def test_the_database_holds_only_the_sha256_of_the_token(app, famille):
    ask(app.test_client(), "camille.martin")
    _, raw = last_link(app, "camille.martin@example.test")
    everything = snapshot(app)
    (row,) = everything["account_token"]
    assert hashlib.sha256(raw.encode()).hexdigest() in row
    outbox_rows = everything.pop("outbox_message")
    assert raw not in repr(everything)
    assert len(outbox_rows) == 1  # the mail itself, until it is sent


@pytest.fixture
def mail_app(app, app_factory, smtp_server):
    return app_factory(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port, MAIL_SUPPRESS_SEND=False)


def test_the_link_arrives_by_smtp_and_works(app, mail_app, smtp_server, famille):
    visitor = app.test_client()
    ask(visitor, "camille.martin")
    assert smtp_server.messages == []
    assert run_outbox(mail_app) == (1, 0)
    (message,) = smtp_server.messages
    assert message["X-Envelope-To"] == "camille.martin@example.test"
    assert message["Subject"] == "Réinitialisation de votre mot de passe – Ville de Test"
    plain = message.get_body(preferencelist=("plain",)).get_content()
    rich = message.get_body(preferencelist=("html",)).get_content()
    assert "Votre nom d'utilisateur : camille.martin" in plain
    (link,) = set(LINK.findall(plain))
    assert link[0] == "http://guichet.test"
    assert f'href="http://guichet.test/mot-de-passe/{link[1]}"' in rich
    for body in (plain, rich, message.as_string()):
        assert PASSWORD not in body

    open_link(visitor, link[1])
    assert choose(visitor, NEW_PASSWORD).status_code == 302
    assert run_outbox(mail_app) == (1, 0)
    notice = smtp_server.messages[-1]
    assert notice["Subject"] == "Votre mot de passe a été modifié – Ville de Test"
    assert NEW_PASSWORD not in notice.as_string()


# --- Per-address captcha and ceiling ------------------------------------------------------------------


def at(ip: str) -> dict:
    """Request arguments for a visitor behind the address `ip`."""
    return {"environ_base": {"REMOTE_ADDR": ip}}


def challenge_of(page) -> str | None:
    """The captcha id of a page of the screen, or None when it shows no captcha."""
    values = html(page).xpath("//input[@name='captcha_id']/@value")
    assert len(values) <= 1
    return str(values[0]) if values else None


def answer_for(app, challenge_id: str) -> str:
    with app.app_context():
        return captcha.code_for(challenge_id)


def open_screen(client, ip: str):
    """« J'ai oublié mon mot de passe. » from `ip`: (task URL, the screen)."""
    token = form_token(client.get("/mot-de-passe-oublie", **at(ip)))
    started = client.post("/mot-de-passe-oublie", data={"csrf_token": token}, **at(ip))
    assert started.status_code == 302, text(started)[:300]
    page = client.get(started.headers["Location"], **at(ip))
    assert page.status_code == 200
    return started.headers["Location"], page


def validate(client, task_url: str, page, login_typed: str, ip: str, answer: str | None = None):
    """VALIDER on the screen `page`, with `answer` in the captcha field when the screen shows one."""
    data = {"identifiant": login_typed, "action": "suivant", "csrf_token": form_token(page)}
    challenge_id = challenge_of(page)
    if challenge_id is not None:
        data.update(captcha_id=challenge_id, captcha_reponse=answer or "")
    return client.post(task_url, data=data, **at(ip))


def ask_from(app, ip: str, login_typed: str = "personne-inconnue"):
    """A whole request from `ip`, solving the captcha when one is shown: (screen, VALIDER's answer)."""
    client = app.test_client()
    task_url, page = open_screen(client, ip)
    challenge_id = challenge_of(page)
    answer = answer_for(app, challenge_id) if challenge_id else None
    answered = validate(client, task_url, page, login_typed, ip, answer)
    assert answered.status_code == 302, text(answered)[:300]
    return page, answered


def reset_requests(app) -> int:
    with app.app_context():
        return db.session.execute(
            select(func.count()).select_from(LoginAttempt).where(LoginAttempt.kind == "reset")
        ).scalar_one()


def test_the_captcha_appears_after_three_requests_from_one_address_only(app, client):
    assert app.config["RESET_CAPTCHA_AFTER"] == 3
    for _ in range(3):
        page, _ = ask_from(app, "203.0.113.5")
        assert challenge_of(page) is None
        assert "CONTRÔLE DE SÉCURITÉ" not in text(page)

    task_url, page = open_screen(client, "203.0.113.5")
    first = challenge_of(page)
    assert first is not None
    doc = html(page)
    assert "CONTRÔLE DE SÉCURITÉ" in text(page)
    assert doc.xpath(f'//img[@src="/controle/{first}.png"]')
    assert doc.xpath('//input[@name="captcha_reponse"]')
    assert client.get(f"/controle/{first}.png").status_code == 200

    # Each display gets a new challenge; « Changer le texte de contrôle » uses up the one it replaces.
    again = client.get(task_url, **at("203.0.113.5"))
    second = challenge_of(again)
    assert second is not None
    assert second != first
    changed = client.post(
        task_url,
        data={"csrf_token": form_token(again), "captcha_id": second, "action": "changer_captcha"},
        **at("203.0.113.5"),
    )
    assert changed.status_code == 200
    assert challenge_of(changed) not in (None, first, second)
    assert client.get(f"/controle/{second}.png").status_code == 404

    # Another address is not affected.
    other, _ = ask_from(app, "203.0.113.6")
    assert challenge_of(other) is None


def test_a_wrong_or_missing_captcha_is_refused_and_the_right_one_sends_the_mail(app, famille):
    ip = "203.0.113.7"
    for _ in range(3):
        ask_from(app, ip)
    visitor = app.test_client()
    task_url, page = open_screen(visitor, ip)
    challenge_id = challenge_of(page)
    wrong = "000000" if answer_for(app, challenge_id) != "000000" else "111111"

    refused = validate(visitor, task_url, page, "camille.martin", ip, wrong)
    assert refused.status_code == 400
    assert (
        field_error(refused, "captcha_reponse")
        == "Le texte recopié ne correspond pas : recopiez le nouveau texte."
    )
    assert challenge_of(refused) not in (None, challenge_id)
    # The answer to the used challenge no longer works either (single use).
    replay = validate(visitor, task_url, page, "camille.martin", ip, answer_for(app, challenge_id))
    assert replay.status_code == 400

    empty = validate(visitor, task_url, refused, "camille.martin", ip, "")
    assert empty.status_code == 400
    assert field_error(empty, "captcha_reponse") == "Recopiez le texte de contrôle."
    assert outbox(app) == []
    assert reset_requests(app) == 3  # the refused ones did not reach the service operation

    right = answer_for(app, challenge_of(empty))
    answered = validate(visitor, task_url, empty, "camille.martin", ip, right)
    assert answered.status_code == 302
    assert DONE_URL.match(answered.headers["Location"])
    assert [m.recipient for m in outbox(app)] == ["camille.martin@example.test"]
    assert reset_requests(app) == 4


def test_with_the_captcha_an_existing_account_and_an_unknown_one_get_the_same_pages(app, famille):
    ip = "203.0.113.8"
    for _ in range(3):
        ask_from(app, ip)

    def visit(login_typed: str) -> list:
        client = app.test_client()
        task_url, page = open_screen(client, ip)
        assert challenge_of(page) is not None
        refused = validate(client, task_url, page, login_typed, ip, "not-the-code")
        answered = validate(
            client, task_url, refused, login_typed, ip, answer_for(app, challenge_of(refused))
        )
        assert answered.status_code == 302
        return [page, refused, answered, client.get(answered.headers["Location"], **at(ip))]

    known = visit("camille.martin")
    unknown = visit("nobody-at-all")
    assert len(outbox(app)) == 1
    for left, right in zip(known, unknown, strict=True):
        assert left.status_code == right.status_code
        # The refused screen shows the login typed back in its field, as for any other error.
        left_body = left.get_data(as_text=True).replace('value="camille.martin"', 'value="…"')
        right_body = right.get_data(as_text=True).replace('value="nobody-at-all"', 'value="…"')
        assert mask(left_body) == mask(right_body)
        assert mask(left.headers.get("Location", "")) == mask(right.headers.get("Location", ""))


def test_more_than_twenty_requests_an_hour_from_one_address_are_refused(app, famille):
    assert app.config["RESET_IP_HOURLY_LIMIT"] == 20
    ip = "203.0.113.9"
    for _ in range(19):
        ask_from(app, ip)
    late = app.test_client()
    task_url, page = open_screen(late, ip)  # opened while the 20th request is still allowed
    ask_from(app, ip)
    assert reset_requests(app) == 20
    assert outbox(app) == []

    refused = validate(late, task_url, page, "camille.martin", ip, answer_for(app, challenge_of(page)))
    assert refused.status_code == 429
    assert "Trop de demandes" in text(refused)
    assert "réessayez dans une heure" in text(refused)
    assert outbox(app) == []
    assert reset_requests(app) == 20

    starts = []
    for _ in range(2):  # a new request is refused from the start, the same for everyone
        client = app.test_client()
        token = form_token(client.get("/mot-de-passe-oublie", **at(ip)))
        starts.append(client.post("/mot-de-passe-oublie", data={"csrf_token": token}, **at(ip)))
    assert [r.status_code for r in starts] == [429, 429]
    assert mask(starts[0].get_data(as_text=True)) == mask(starts[1].get_data(as_text=True))

    # Another address is not affected, and the ceiling wears off after an hour.
    ask_from(app, "203.0.113.10", "camille.martin")
    assert len(outbox(app)) == 1
    with time_machine.travel(utcnow() + timedelta(hours=1, minutes=1), tick=False):
        _, answered = ask_from(app, ip, "camille.martin")
        assert DONE_URL.match(answered.headers["Location"])
    assert len(outbox(app)) == 2
