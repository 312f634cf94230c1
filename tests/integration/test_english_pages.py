"""Every page in English: a walk of every GET route (tests/fixtures/routes.py) as a visitor, a family,
agents of several services, an analyst and an admin, with `Accept-Language: en`.

Each HTML page must say `lang="en"`, and no French message of the catalogue may show in its text
untranslated: one would if it were translated once at import time (a module constant, a form label
not lazy), built outside gettext, or left out of the catalogue. The town's content (test names, the
démarches' data) is not a catalogue message, so it does not count.
"""

from __future__ import annotations

import lxml.html

from tests.fixtures.integration import decide, file_address_change, get_urls, outbox
from tests.fixtures.routes import ROUTE_VALUES
from web.core import translations

ROOTS = ["web", "forms", "engine", "workflows"]


def _french_messages(roots: list[str]) -> set[str]:
    """The catalogue's French texts that an English page must not show: long enough not to be a
    common word, without placeholders, and translated to something else."""
    table = translations.translated("en")
    return {
        msgid
        for msgid in translations.messages(roots)
        if isinstance(msgid, str)
        and len(msgid) >= 16
        and " " in msgid
        and "%" not in msgid
        and "<" not in msgid
        and table.get(msgid) not in (None, msgid)
    }


def _visible_text(body: str) -> str:
    page = lxml.html.fromstring(body)
    # Scripts, styles, text marked French (content shown as written) and text areas (what a person
    # typed or edits: the studio's BPMN source) are not the interface's messages.
    for element in page.xpath("//script | //style | //textarea | //*[@lang='fr']"):
        element.drop_tree()
    return " ".join(page.text_content().split())


def test_every_page_is_english_when_asked(app, people, client_for, make_user) -> None:
    famille = client_for(people["famille"])
    request = file_address_change(app, famille)
    agent = client_for(people["accueil"])
    decided = file_address_change(app, client_for(people["autre_famille"]))
    assert decide(agent, decided.agent_task_id, "acceptee", "OK", "interne").status_code == 302
    (mail,) = outbox(app)
    values = {
        **ROUTE_VALUES,
        "instance_id": request.instance_id,
        "task_id": request.agent_task_id,
        "message_id": mail.id,
        "user_id": 1,
        "case_id": 1,
    }
    urls = get_urls(app, values)
    clients = {
        "visitor": app.test_client(),
        "family": famille,
        "agent": agent,
        "agent (Enfance, Finances, Communication)": client_for(
            make_user("agent", groups=["Enfance", "Finances", "Communication", "Vie des quartiers"])
        ),
        "analyst": client_for(make_user("analyste")),
        "admin": client_for(make_user("admin")),
    }
    french = _french_messages(ROOTS)
    # The studio shows the diagrams' own texts as the analyst edits them (the BPMN's names, French):
    # there, only the interface's messages count.
    studio_french = french - set(translations.messages(["workflows"]))
    assert len(french) > 500  # the check has something to look for
    english = {"Accept-Language": "en"}
    pages, found = 0, []
    for client in clients.values():
        client.get("/")  # the flash messages of the set-up (French requests) are shown and gone
    for who, client in clients.items():
        for endpoint, url in urls.items():
            response = client.get(url, headers=english)
            assert response.status_code < 500, (who, url, response.status_code)
            if response.status_code != 200 or response.mimetype != "text/html":
                response.close()
                continue
            body = response.get_data(as_text=True)
            response.close()
            pages += 1
            assert 'lang="en"' in body[:200], (who, url)
            text = _visible_text(body)
            looked_for = studio_french if endpoint.startswith("studio.") else french
            found += [(who, endpoint, msgid) for msgid in looked_for if msgid in text]
    print(f"{pages} English pages, {len(french)} French messages looked for")
    assert pages > 100
    assert found == [], "\n".join(f"{who} {endpoint}: {msgid!r}" for who, endpoint, msgid in found)
