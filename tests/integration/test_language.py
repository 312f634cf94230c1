"""The language of the pages: the header switch, the cookie for visitors, the account's choice,
the browser's Accept-Language, and dates formatted per language."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.fixtures.app import csrf_token
from tests.fixtures.integration import html, text
from web.accounts.models import User
from web.core.i18n import in_language, local_date, money
from web.extensions import db


def _lang(response) -> str:
    return html(response).get("lang")


def test_french_by_default_english_when_the_browser_asks(app) -> None:
    client = app.test_client()
    page = client.get("/connexion")
    assert _lang(page) == "fr"
    assert "Skip to content" not in page.get_data(as_text=True)
    english = app.test_client().get("/connexion", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert _lang(english) == "en"
    assert "Skip to content" in english.get_data(as_text=True)
    german = app.test_client().get("/connexion", headers={"Accept-Language": "de"})
    assert _lang(german) == "fr"


def test_the_switch_sets_a_cookie_and_returns_to_the_page(app) -> None:
    client = app.test_client()
    token = csrf_token(client, "/demarches")
    response = client.post("/langue", data={"langue": "en", "retour": "/demarches", "csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == "/demarches"
    assert "langue=en" in response.headers["Set-Cookie"]
    page = client.get("/demarches")
    assert _lang(page) == "en"
    switch = html(page).xpath("//form[contains(@class, 'language-switch')]//button")
    assert [(b.get("value"), b.text_content(), b.get("lang")) for b in switch] == [("fr", "Français", "fr")]


def test_an_unknown_language_or_an_outside_target_is_refused(app) -> None:
    client = app.test_client()
    token = csrf_token(client, "/demarches")
    response = client.post(
        "/langue",
        data={"langue": "xx", "retour": "//evil.example/", "csrf_token": token},
        follow_redirects=True,
    )
    assert _lang(response) == "fr"
    assert "Cette langue n'est pas proposée" in text(response)
    assert response.request.path == "/"


def test_the_account_remembers_its_language(app, people, client_for) -> None:
    family = people["famille"]
    client = client_for(family)
    token = csrf_token(client, "/")
    client.post("/langue", data={"langue": "en", "retour": "/", "csrf_token": token})
    with app.app_context():
        assert db.session.get(User, family.id).langue == "en"
    other_browser = client_for(family)  # no cookie: the account's choice
    other_browser.delete_cookie("langue")
    assert _lang(other_browser.get("/")) == "en"


def test_dates_follow_the_language(app) -> None:
    moment = datetime(2026, 11, 27, 13, 5, tzinfo=UTC)
    with app.test_request_context("/"):
        assert local_date(moment) == "27/11/2026 à 14:05"
        with in_language("en"):
            assert local_date(moment) == "27 Nov 2026, 14:05"
            assert local_date(moment.date(), with_time=False) == "27 Nov 2026"


def test_amounts_follow_the_language(app) -> None:
    with app.test_request_context("/"):
        assert money(123450) == "1\u00a0234,50\u00a0€"
        with in_language("en"):
            assert money(123450) == "€1,234.50"


def test_wtforms_own_messages_follow_the_language_and_are_read_once(app, monkeypatch) -> None:
    """A message WTForms writes itself (a bad whole number) in the request's language, its catalogue
    read once per language for the process (Flask-WTF alone parses the `.mo` file at every request)."""
    from babel import support
    from flask_wtf import FlaskForm
    from wtforms import IntegerField

    from web.core import i18n

    class Sample(FlaskForm):
        class Meta:
            csrf = False

        nombre = IntegerField("Nombre")

    i18n._wtforms_catalogue.cache_clear()
    reads = []
    load = support.Translations.load
    monkeypatch.setattr(support.Translations, "load", lambda *a, **k: reads.append(a) or load(*a, **k))
    errors = {}
    for language in ("fr", "en", "fr", "en", "fr"):
        headers = {"Accept-Language": language}
        with app.test_request_context("/", method="POST", data={"nombre": "abc"}, headers=headers):
            app.preprocess_request()
            form = Sample()
            assert not form.validate()
            errors.setdefault(language, set()).update(form.nombre.errors)
    assert errors == {"fr": {"N'est pas un entier valide."}, "en": {"Not a valid integer value."}}
    assert len(reads) == 2
