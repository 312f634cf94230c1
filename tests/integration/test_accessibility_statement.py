"""« Accessibilité »: the statement (loi 2005-102 art. 47; SECURITY.md check 55) and its footer link."""

from __future__ import annotations

from typing import Any

from tests.fixtures.integration import html, text
from web.accessibility import STATEMENT_DATE


def test_the_statement_gives_date_status_tests_contact_and_recourse(app: Any) -> None:
    response = app.test_client().get("/accessibilite")
    assert response.status_code == 200
    page = html(response)
    assert page.xpath("string(//h1)") == "Déclaration d'accessibilité"
    assert page.xpath("string(//title)").startswith("Accessibilité – ")
    content = text(response)
    assert STATEMENT_DATE.strftime("%d/%m/%Y") in page.xpath("string(//*[@data-statement-date])")
    assert "partiellement conforme" in content
    assert "RGAA" in content
    assert "axe-core" in content
    assert "Non-conformités connues" in content
    assert "Défenseur des droits" in content
    contact = app.config["CONTACT_EMAIL"]
    assert page.xpath(f"//main//a[@href='mailto:{contact}']"), "no contact link in the statement"


def test_every_page_links_the_statement_in_its_footer(app: Any, people: Any, client_for: Any) -> None:
    visitor = app.test_client()
    famille = client_for(people["famille"])
    agent = client_for(people["accueil"])
    for client, url in [
        (visitor, "/"),
        (visitor, "/connexion"),
        (visitor, "/demarches"),
        (visitor, "/accessibilite"),
        (visitor, "/page-qui-n-existe-pas"),
        (famille, "/mes-demandes"),
        (agent, "/agents/"),
    ]:
        page = html(client.get(url))
        links = page.xpath("//footer//a[@href='/accessibilite']")
        assert [link.text_content() for link in links] == ["Accessibilité : partiellement conforme"], url
