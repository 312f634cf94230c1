"""« Modifier mon espace » for the demo family and for records without a civility."""

from __future__ import annotations

from tests.fixtures.app import csrf_token
from tests.fixtures.integration import html
from web.accounts.models import User
from web.cli import main
from web.extensions import db

SPACE = "/profil/espace"


def page_values(client) -> dict[str, str]:
    """What the browser would send back, untouched: every input and select of the page's form."""
    page = html(client.get(SPACE))
    (form,) = page.xpath("//main//form[.//button[normalize-space()='Enregistrer']]")
    values = {name: value or "" for name, value in form.form_values()}
    for select in form.xpath(".//select"):
        chosen = select.xpath("./option[@selected]/@value")
        values[select.get("name")] = chosen[0] if chosen else ""
    return values


def log_in(client, username: str, password: str) -> None:
    token = csrf_token(client, "/connexion")
    response = client.post(
        "/connexion", data={"username": username, "password": password, "csrf_token": token}
    )
    assert response.status_code == 302


def test_the_demo_family_saves_its_profile_as_shown(app, client):
    assert app.test_cli_runner().invoke(main, ["demo"], catch_exceptions=False).exit_code == 0
    log_in(client, "famille", "demo-famille-2026")
    values = page_values(client)
    assert values["civilite"] == "Madame"
    response = client.post(SPACE, data={**values, "commune_naissance": "Versailles"})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    with app.app_context():
        user = db.session().query(User).filter_by(username="famille").one()
        assert (user.civilite, user.commune_naissance) == ("Madame", "Versailles")


def test_a_record_without_civility_is_asked_for_it_but_saves_other_changes(app, client, make_user):
    family = make_user("famille", username="sans.civilite")
    log_in(client, family.username, "correct horse battery staple")
    page = html(client.get(SPACE))
    assert page.xpath("//*[@data-civilite-manquante]")
    values = page_values(client)
    assert values["civilite"] == ""
    response = client.post(SPACE, data={**values, "nom_naissance": "Durand"})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    with app.app_context():
        user = db.session().get(User, family.id)
        assert (user.civilite, user.nom_naissance) == (None, "Durand")
