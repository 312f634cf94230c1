"""« En attente de la famille » and « Trouver une demande » in the agents' back office."""

from __future__ import annotations

from tests.fixtures.integration import decide, file_address_change, html, text


def tabs(page) -> dict[str, str]:
    doc = html(page)
    return {
        " ".join(a.text_content().split()): a.get("aria-current") or ""
        for a in doc.xpath("//nav[@aria-label='Files de tâches']//a")
    }


def test_a_request_waiting_for_the_family_stays_listed_and_counted(app, people, client_for):
    famille = client_for(people["famille"])
    filed = file_address_change(app, famille)
    other = file_address_change(app, famille)
    agent = client_for(people["accueil"])
    assert "En attente de la famille 0" in tabs(agent.get("/agents/"))
    assert decide(agent, filed.agent_task_id, "complement", "Précisez l'étage.").status_code == 302

    queue = agent.get("/agents/")
    assert "En attente de la famille 1" in tabs(queue)
    queued = [
        " ".join(a.text_content().split()) for a in html(queue).xpath("//table//a[@class='reference-link']")
    ]
    assert queued == [other.reference]  # it left the task queue…
    waiting = agent.get("/agents/attente-famille")
    assert waiting.status_code == 200
    assert tabs(waiting)["En attente de la famille 1"] == "page"
    rows = html(waiting).xpath("//table[@data-requests]/tbody/tr")
    assert [" ".join(r.xpath("./td[1]")[0].text_content().split()) for r in rows] == [filed.reference]
    (link,) = rows[0].xpath(".//a/@href")
    assert agent.get(link).status_code == 200  # …and its dossier opens from here
    assert other.reference not in text(waiting)

    # Another service sees neither the count nor the request.
    etat_civil = client_for(people["etat_civil"])
    assert "En attente de la famille 0" in tabs(etat_civil.get("/agents/"))
    assert filed.reference not in text(etat_civil.get("/agents/attente-famille"))


def test_the_search_finds_the_service_s_requests_whatever_their_state(app, people, client_for):
    famille = client_for(people["famille"])
    closed = file_address_change(app, famille)
    waiting = file_address_change(app, famille)
    agent = client_for(people["accueil"])
    assert decide(agent, closed.agent_task_id, "refusee", "Justificatif illisible.").status_code == 302
    assert decide(agent, waiting.agent_task_id, "complement", "Précisez l'étage.").status_code == 302
    queue = html(agent.get("/agents/"))
    assert not queue.xpath("//table//a[@class='reference-link']")

    found = agent.get("/agents/recherche", query_string={"recherche": "martin"})
    page = text(found)
    assert closed.reference in page
    assert waiting.reference in page
    assert "(clôturée)" in page
    by_reference = text(agent.get("/agents/recherche", query_string={"recherche": closed.reference.lower()}))
    assert closed.reference in by_reference
    assert waiting.reference not in by_reference
    assert "Aucune demande" in text(agent.get("/agents/recherche", query_string={"recherche": "zzz"}))
    # Another service's agent finds nothing.
    etat_civil = client_for(people["etat_civil"])
    other_service = etat_civil.get("/agents/recherche", query_string={"recherche": "martin"})
    assert closed.reference not in text(other_service)


def test_an_agent_of_one_service_sees_its_tab_selected(app, people, client_for):
    agent = client_for(people["accueil"])
    queue = agent.get("/agents/")
    current = [name for name, state in tabs(queue).items() if state == "page"]
    assert current == ["Accueil 0"]
    assert "Tous mes services" not in text(queue)
