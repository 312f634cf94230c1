"""The signup CAPTCHA (web/accounts/captcha.py): image and audio, single use, expiry, no leak of the answer.

No real page hosts the macro yet, so a test-only page (`/essai-controle`) is registered on a fresh app
from `app_factory` (same database): it renders `render_captcha` inside a form the way the signup page
will, handles the no-JS « Changer le texte de contrôle » button and checks the answer with `verify`.
"""

from __future__ import annotations

import re
import struct
import wave
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from flask import Flask, render_template_string, request
from sqlalchemy import func, select
from wtforms import Form, StringField

from engine.db import utcnow
from tests.fixtures.app import csrf_token
from tests.fixtures.browser import serve
from tests.fixtures.integration import html, text
from web.accounts import captcha
from web.accounts.models import CaptchaChallenge
from web.core.transaction import commit
from web.extensions import db

PAGE_URL = "/essai-controle"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
ALT = "Texte de contrôle à recopier (une version audio est disponible)"
CONTACT = "Vous ne pouvez pas utiliser ce contrôle ? Contactez la mairie : contact@ville.test"
PAGE = """{% extends "layout/base.html" %}
{% from "_macros/captcha.html" import render_captcha %}
{% block content %}
  <h1>Essai du contrôle</h1>
  {% if result %}<p id="resultat">{{ result }}</p>{% endif %}
  <form method="post" action="" novalidate>
    <input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
    {{ render_captcha(form.captcha, captcha_id) }}
    <button type="submit">Valider</button>
  </form>
{% endblock %}"""


class CaptchaForm(Form):
    captcha = StringField("Entrez le texte ci-dessous")


def essai() -> str:
    """What the signup view does with the CAPTCHA (the other fields left out)."""
    session = db.session()
    form = CaptchaForm(request.form)
    result = None
    if request.method == "POST" and captcha.change_requested(request.form):
        challenge_id = captcha.replace(session, request.form.get(captcha.ID_FIELD))
    elif request.method == "POST":
        if captcha.verify(session, request.form.get(captcha.ID_FIELD), form.captcha.data):
            result = "Contrôle réussi"
        else:
            form.captcha.errors = [captcha.ERROR_MESSAGE]
        challenge_id = captcha.new_challenge(session)
    else:
        challenge_id = captcha.new_challenge(session)
    commit()  # on every path: a wrong answer must stay consumed
    return render_template_string(PAGE, form=form, captcha_id=challenge_id, result=result)


@pytest.fixture(scope="module")
def page_app(app: Flask, app_factory: Callable[..., Flask]) -> Flask:
    """A fresh app on the migrated test database, with the test-only page."""
    fresh = app_factory()
    fresh.add_url_rule(PAGE_URL, "essai_controle", essai, methods=["GET", "POST"])
    return fresh


@pytest.fixture(scope="module")
def page_server(page_app: Flask) -> Iterator[str]:
    with serve(page_app) as url:
        yield url


def issue(app: Flask) -> str:
    with app.app_context():
        challenge_id = captcha.new_challenge(db.session())
        commit()
        return challenge_id


def code(app: Flask, challenge_id: str) -> str:
    with app.app_context():
        return captcha.code_for(challenge_id)


def attempt(app: Flask, challenge_id: str | None, answer: str | None) -> bool:
    """One verification in its own request-like unit of work, committed like the views do."""
    with app.app_context():
        ok = captcha.verify(db.session(), challenge_id, answer)
        commit()
        return ok


def challenge_count(app: Flask) -> int:
    with app.app_context():
        return db.session().execute(select(func.count()).select_from(CaptchaChallenge)).scalar_one()


def page_challenge_id(response: Any) -> str:
    (value,) = html(response).xpath("//input[@name='captcha_id']/@value")
    return str(value)


def wav_chunks(body: bytes) -> tuple[int, int, int]:
    """(channels, sample rate, bits per sample) of a RIFF/WAVE body, checking its structure."""
    assert body[:4] == b"RIFF"
    assert body[8:12] == b"WAVE"
    assert struct.unpack("<I", body[4:8])[0] == len(body) - 8
    assert body[12:16] == b"fmt "
    _, channels, rate, _, _, bits = struct.unpack("<HHIIHH", body[20:36])
    assert body[36:40] == b"data"
    data_length = struct.unpack("<I", body[40:44])[0]
    assert data_length > rate  # more than a second of sound for six digits
    return channels, rate, bits


# --- image and audio -----------------------------------------------------------------------------


def test_the_image_is_a_png_and_the_audio_a_wav_served_inline_and_never_stored(app, client):
    challenge_id = issue(app)

    image = client.get(f"/controle/{challenge_id}.png")
    assert image.status_code == 200
    assert image.mimetype == "image/png"
    assert image.data[:8] == PNG_MAGIC
    assert image.data[12:16] == b"IHDR"
    assert struct.unpack(">II", image.data[16:24]) == captcha.IMAGE_SIZE

    audio = client.get(f"/controle/{challenge_id}.wav")
    assert audio.status_code == 200
    assert audio.mimetype == "audio/wav"
    assert wav_chunks(audio.data) == (1, 8000, 8)

    for response, name in ((image, "controle.png"), (audio, "controle.wav")):
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Content-Disposition"] == f'inline; filename="{name}"'
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    # Showing the image or playing the audio does not use the challenge up.
    assert client.get(f"/controle/{challenge_id}.png").status_code == 200
    assert attempt(app, challenge_id, code(app, challenge_id))


def test_the_audio_speaks_the_digits_in_french_and_in_english_on_request():
    """The shipped French recordings (eSpeak NG) are ten digits in the package's format, and
    differ from the package's English voice, which `?langue=en` asks for."""
    from captcha.audio import DATA_DIR

    from web.accounts.captcha_voice import VOICES

    for digit in range(10):
        recording = VOICES / "fr" / str(digit) / "default.wav"
        with wave.open(str(recording)) as reader:
            assert (reader.getnchannels(), reader.getframerate(), reader.getsampwidth()) == (1, 8000, 1)
            assert reader.getnframes() > 1000  # a spoken word, not silence
        english = Path(DATA_DIR) / str(digit) / "default.wav"
        assert recording.read_bytes() != english.read_bytes()
    french, english = captcha.render_audio("123", "fr"), captcha.render_audio("123", "en")
    assert wav_chunks(french) == wav_chunks(english) == (1, 8000, 8)
    assert captcha._voices["fr"]._voicedir == str(VOICES / "fr")
    assert sorted(captcha._voices["fr"].choices) == [str(d) for d in range(10)]


def test_the_audio_route_speaks_french_unless_english_is_asked_for(app, client):
    challenge_id = issue(app)
    captcha._loaded.discard("en")
    for query in ("", "?langue=xx", "?langue=fr"):
        response = client.get(f"/controle/{challenge_id}.wav{query}")
        assert response.status_code == 200
        assert wav_chunks(response.data) == (1, 8000, 8)
    assert "fr" in captcha._loaded
    assert "en" not in captcha._loaded  # the English voice was never used
    assert client.get(f"/controle/{challenge_id}.wav?langue=en").status_code == 200
    assert "en" in captcha._loaded


def test_the_code_is_six_digits_derived_from_the_id_and_the_secret_key(app, app_factory):
    challenge_id = issue(app)
    first = code(app, challenge_id)
    assert re.fullmatch(r"\d{6}", first)
    assert code(app, challenge_id) == first  # the image and audio routes find the same code again
    assert len({code(app, issue(app)) for _ in range(20)}) > 1
    assert code(app_factory(SECRET_KEY="another-secret"), challenge_id) != first
    with app.app_context():
        row = db.session().get(CaptchaChallenge, challenge_id)
        assert row is not None
        assert first not in row.answer_hash
        assert row.expires_at - row.created_at == timedelta(minutes=10)


@pytest.mark.parametrize("suffix", ["png", "wav"])
def test_media_of_an_unknown_malformed_or_used_challenge_is_404(app, client, suffix):
    unknown = "A" * 43
    assert client.get(f"/controle/{unknown}.{suffix}").status_code == 404
    assert client.get(f"/controle/abc.{suffix}").status_code == 404
    used = issue(app)
    assert client.get(f"/controle/{used}.{suffix}").status_code == 200
    assert not attempt(app, used, "000000x")
    assert client.get(f"/controle/{used}.{suffix}").status_code == 404


# --- verify: single use, expiry ------------------------------------------------------------------


def test_the_right_code_passes_once_and_a_replay_fails(app):
    challenge_id = issue(app)
    answer = code(app, challenge_id)
    assert attempt(app, challenge_id, answer)
    assert not attempt(app, challenge_id, answer)
    with app.app_context():
        row = db.session().get(CaptchaChallenge, challenge_id)
        assert row is not None
        assert row.used_at is not None


def test_the_answer_ignores_spaces_case_and_full_width_digits(app):
    for shape in (" {0} ", "{0[0]}{0[1]} {0[2]}{0[3]} {0[4]}{0[5]}", "\t{0}\n"):
        challenge_id = issue(app)
        assert attempt(app, challenge_id, shape.format(code(app, challenge_id))), shape
    challenge_id = issue(app)
    full_width = code(app, challenge_id).translate({ord(d): 0xFF10 + int(d) for d in "0123456789"})
    assert attempt(app, challenge_id, full_width)


def test_a_wrong_answer_consumes_the_challenge(app):
    challenge_id = issue(app)
    right = code(app, challenge_id)
    wrong = str((int(right) + 1) % 1_000_000).zfill(6)
    assert not attempt(app, challenge_id, wrong)
    assert not attempt(app, challenge_id, right)
    empty = issue(app)
    assert not attempt(app, empty, None)
    assert not attempt(app, empty, code(app, empty))


def test_an_expired_challenge_is_refused(app, client):
    late, in_time = issue(app), issue(app)
    with time_machine.travel(utcnow() + timedelta(minutes=9), tick=False):
        assert client.get(f"/controle/{in_time}.png").status_code == 200
        assert attempt(app, in_time, code(app, in_time))
    with time_machine.travel(utcnow() + timedelta(minutes=11), tick=False):
        assert client.get(f"/controle/{late}.png").status_code == 404
        assert client.get(f"/controle/{late}.wav").status_code == 404
        assert not attempt(app, late, code(app, late))


def test_an_unknown_or_malformed_id_is_refused(app):
    right_for_unknown = code(app, "B" * 43)
    assert not attempt(app, "B" * 43, right_for_unknown)
    assert not attempt(app, None, "123456")
    assert not attempt(app, "", "123456")
    assert not attempt(app, "x' OR '1'='1", "123456")


def test_purge_expired_deletes_the_old_rows_only(app):
    old_unused, old_used = issue(app), issue(app)
    assert attempt(app, old_used, code(app, old_used))
    with time_machine.travel(utcnow() + timedelta(minutes=11), tick=False):
        fresh = issue(app)  # creating a challenge purges the expired ones too
        assert challenge_count(app) == 1
        with app.app_context():
            session = db.session()
            assert session.get(CaptchaChallenge, fresh) is not None
            assert session.get(CaptchaChallenge, old_unused) is None
    with time_machine.travel(utcnow() + timedelta(minutes=22), tick=False), app.app_context():
        assert captcha.purge_expired(db.session()) == 1
        commit()
    assert challenge_count(app) == 0


# --- « Changer le texte de contrôle » ------------------------------------------------------------


def test_nouveau_requires_the_csrf_token(app, client):
    old = issue(app)
    refused = client.post("/controle/nouveau", data={"captcha_id": old})
    assert refused.status_code == 400
    assert challenge_count(app) == 1
    assert client.get("/controle/nouveau").status_code == 405

    token = csrf_token(client, "/connexion")
    response = client.post("/controle/nouveau", data={"captcha_id": old, "csrf_token": token})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    data = response.get_json()
    assert set(data) == {"id", "image_url", "audio_url"}
    assert data["id"] != old
    assert data["image_url"] == f"/controle/{data['id']}.png"
    assert data["audio_url"] == f"/controle/{data['id']}.wav"
    assert code(app, data["id"]) not in response.get_data(as_text=True)
    assert client.get(data["image_url"]).data[:8] == PNG_MAGIC
    assert client.get(f"/controle/{old}.png").status_code == 404  # the old challenge is discarded
    assert attempt(app, data["id"], code(app, data["id"]))


def test_the_change_button_works_without_javascript(app, page_app):
    browser = page_app.test_client()
    token = csrf_token(browser, PAGE_URL)
    old = page_challenge_id(browser.get(PAGE_URL))  # the page issues a challenge at each display
    changed = browser.post(
        PAGE_URL,
        data={"csrf_token": token, "captcha_id": old, "captcha": "", "action": captcha.CHANGE_ACTION},
    )
    assert changed.status_code == 200
    new = page_challenge_id(changed)
    assert new != old
    assert str(captcha.ERROR_MESSAGE) not in text(changed)
    assert not html(changed).xpath("//*[@aria-invalid]")
    assert browser.get(f"/controle/{old}.png").status_code == 404
    assert browser.get(f"/controle/{new}.png").status_code == 200


# --- the page: markup, accessibility, no leak ----------------------------------------------------


def test_the_macro_renders_an_accessible_control(page_app):
    browser = page_app.test_client()
    response = browser.get(PAGE_URL)
    assert response.status_code == 200
    doc = html(response)
    challenge_id = page_challenge_id(response)
    (box,) = doc.xpath("//fieldset[@data-captcha]")
    assert box.xpath("string(legend)").strip() == "CONTRÔLE DE SÉCURITÉ"
    (label,) = box.xpath(".//label[@for='captcha']")
    assert " ".join(label.text_content().split()) == "* Entrez le texte ci-dessous (obligatoire)"
    assert label.xpath("span[@class='required' and @aria-hidden='true']")
    (field,) = box.xpath(".//input[@id='captcha']")
    assert field.get("name") == "captcha"
    assert field.get("required") is not None
    assert field.get("autocomplete") == "off"
    assert field.get("value") is None
    assert field.get("aria-invalid") is None
    (hint,) = doc.xpath(f"//*[@id='{field.get('aria-describedby')}']")
    assert "6 chiffres" in hint.text_content()
    (image,) = box.xpath(".//img")
    assert image.get("alt") == ALT
    assert image.get("src") == f"/controle/{challenge_id}.png"
    (audio,) = box.xpath(".//audio")
    assert audio.get("controls") is not None
    assert audio.get("src") == f"/controle/{challenge_id}.wav"
    assert audio.get("aria-label")
    (listen,) = box.xpath(".//a[@data-captcha-audio-link]")
    assert listen.get("href") == f"/controle/{challenge_id}.wav"
    assert listen.text_content().startswith("écouter")  # the visible text starts the accessible name
    (change,) = box.xpath(".//button")
    assert change.text_content() == "Changer le texte de contrôle"
    assert (change.get("type"), change.get("name"), change.get("value")) == (
        "submit",
        "action",
        "changer_captcha",
    )
    assert change.get("formnovalidate") is not None
    assert box.xpath(".//input[@type='hidden' and @name='captcha_id']/@value") == [challenge_id]
    assert box.get("data-captcha-url") == "/controle/nouveau"
    assert CONTACT in " ".join(box.text_content().split())
    assert doc.xpath("//script/@src") == ["/static/js/submit-once.js", "/static/js/captcha.js"]
    assert not doc.xpath("//script[not(@src)] | //style | //*[@style]")
    assert not [a for a in doc.xpath("//@*") if a.attrname.lower().startswith("on")]
    with browser.get("/static/js/captcha.js") as script:
        assert script.status_code == 200
        assert script.mimetype == "text/javascript"


def test_a_wrong_answer_shows_the_error_on_the_field_and_a_new_challenge(app, page_app):
    browser = page_app.test_client()
    token = csrf_token(browser, PAGE_URL)
    challenge_id = page_challenge_id(browser.get(PAGE_URL))
    wrong = str((int(code(app, challenge_id)) + 1) % 1_000_000).zfill(6)
    response = browser.post(
        PAGE_URL, data={"csrf_token": token, "captcha_id": challenge_id, "captcha": wrong}
    )
    doc = html(response)
    (field,) = doc.xpath("//input[@id='captcha']")
    assert field.get("aria-invalid") == "true"
    assert field.get("value") is None  # the typed answer is not written back
    (error,) = doc.xpath("//p[@class='error-message']")
    assert error.get("id") in field.get("aria-describedby").split()
    assert error.text_content() == captcha.ERROR_MESSAGE
    assert page_challenge_id(response) != challenge_id

    replay = browser.post(
        PAGE_URL, data={"csrf_token": token, "captcha_id": challenge_id, "captcha": code(app, challenge_id)}
    )
    assert "Contrôle réussi" not in text(replay)
    fresh = page_challenge_id(replay)
    passed = browser.post(
        PAGE_URL, data={"csrf_token": token, "captcha_id": fresh, "captcha": code(app, fresh)}
    )
    assert "Contrôle réussi" in text(passed)


def test_the_answer_is_in_no_html_cookie_or_url(app, page_app):
    browser = page_app.test_client()
    response = browser.get(PAGE_URL)
    challenge_id = page_challenge_id(response)
    answer = code(app, challenge_id)
    body = response.get_data(as_text=True)
    assert challenge_id in body
    assert answer not in body
    urls = html(response).xpath("//@src | //@href | //@action | //@data-captcha-url")
    assert urls
    assert not [url for url in urls if answer in url]
    set_cookies = response.headers.getlist("Set-Cookie")
    assert set_cookies
    assert not [cookie for cookie in set_cookies if answer in cookie]
    cookie = browser.get_cookie("session")
    assert cookie is not None
    session_data = page_app.session_interface.get_signing_serializer(page_app).loads(cookie.value)
    assert answer not in repr(session_data)
    assert challenge_id not in repr(session_data)
    for name in ("Location", "Set-Cookie", "Content-Disposition"):
        assert answer not in response.headers.get(name, "")
    image = browser.get(f"/controle/{challenge_id}.png")
    assert answer not in repr(list(image.headers.items()))


def test_when_disabled_the_macro_renders_nothing_and_verify_accepts(app, app_factory):
    kiosk = app_factory(CAPTCHA_ENABLED=False)
    with kiosk.test_request_context("/"):
        rendered = render_template_string(
            '{% from "_macros/captcha.html" import render_captcha %}[{{ render_captcha(field, "x") }}]',
            field={"id": "captcha", "name": "captcha", "errors": []},
        )
        assert re.fullmatch(r"\[\s*\]", rendered), rendered
        assert captcha.verify(db.session(), None, "n'importe quoi")
    challenge_id = issue(app)
    browser = kiosk.test_client()
    assert browser.get(f"/controle/{challenge_id}.png").status_code == 404
    token = csrf_token(browser, "/connexion")
    assert browser.post("/controle/nouveau", data={"csrf_token": token}).status_code == 404
    assert not attempt(app, "C" * 43, "n'importe quoi")  # the normal app still checks


# --- in the real browser -------------------------------------------------------------------------


@pytest.mark.browser
def test_the_change_button_swaps_the_image_and_audio_with_javascript(app, page, page_server):
    from playwright.sync_api import expect

    page.goto(f"{page_server}{PAGE_URL}")
    hidden = page.locator("input[name=captcha_id]")
    image = page.get_by_role("img", name=ALT)
    field = page.get_by_role("textbox", name="Entrez le texte ci-dessous")
    old = hidden.input_value()
    expect(image).to_have_attribute("src", f"/controle/{old}.png")
    page.wait_for_function("() => document.querySelector('[data-captcha-image]').naturalWidth === 220")
    expect(page.get_by_role("link", name=re.compile(r"^écouter"))).to_have_attribute(
        "href", f"/controle/{old}.wav"
    )
    field.fill("999999")

    with page.expect_response(re.compile(r"/controle/nouveau$")) as renewed:
        page.get_by_role("button", name="Changer le texte de contrôle").click()
    assert renewed.value.status == 200
    expect(hidden).not_to_have_value(old)
    new = hidden.input_value()
    assert page.url == f"{page_server}{PAGE_URL}"  # no reload: the script did it
    expect(image).to_have_attribute("src", f"/controle/{new}.png")
    expect(page.locator("audio")).to_have_attribute("src", f"/controle/{new}.wav")
    expect(page.get_by_role("link", name=re.compile(r"^écouter"))).to_have_attribute(
        "href", f"/controle/{new}.wav"
    )
    expect(page.locator("[data-captcha-status]")).to_have_text("Un nouveau texte de contrôle est affiché.")
    expect(field).to_have_value("")
    page.wait_for_function("() => document.querySelector('[data-captcha-image]').naturalWidth === 220")
    assert page.request.get(f"{page_server}/controle/{old}.png").status == 404
    wav = page.request.get(f"{page_server}/controle/{new}.wav")
    assert wav.status == 200
    assert wav.body()[8:12] == b"WAVE"

    field.fill(code(app, new))
    page.get_by_role("button", name="Valider").click()
    expect(page.locator("#resultat")).to_have_text("Contrôle réussi")


@pytest.mark.browser
def test_the_change_button_reloads_the_page_without_javascript(app, browser, page_server):
    from playwright.sync_api import expect

    context = browser.new_context(java_script_enabled=False, locale="fr-FR")
    try:
        tab = context.new_page()
        tab.goto(f"{page_server}{PAGE_URL}")
        hidden = tab.locator("input[name=captcha_id]")
        old = hidden.input_value()
        with tab.expect_navigation():
            tab.get_by_role("button", name="Changer le texte de contrôle").click()
        expect(hidden).not_to_have_value(old)
        new = hidden.input_value()
        expect(tab.get_by_role("img", name=ALT)).to_have_attribute("src", f"/controle/{new}.png")
        assert tab.get_by_role("alert").count() == 0
        assert not tab.locator("[aria-invalid]").count()
    finally:
        context.close()


@pytest.mark.browser
def test_when_the_renewal_call_fails_the_button_submits_the_form(app, page, page_server):
    from playwright.sync_api import expect

    page.route(re.compile(r"/controle/nouveau$"), lambda route: route.fulfill(status=500, body="panne"))
    page.goto(f"{page_server}{PAGE_URL}")
    hidden = page.locator("input[name=captcha_id]")
    old = hidden.input_value()
    with page.expect_navigation():
        page.get_by_role("button", name="Changer le texte de contrôle").click()
    expect(hidden).not_to_have_value(old)
    new = hidden.input_value()
    expect(page.get_by_role("img", name=ALT)).to_have_attribute("src", f"/controle/{new}.png")
    assert page.request.get(f"{page_server}/controle/{old}.png").status == 404
