"""The agents' queues through the Flask client: tabs, filters, claim buttons, navigation, saved
filters, exports (parsed back), and bad input."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from odf import opendocument, table, teletype
from sqlalchemy import func, select

from engine.db import utcnow
from engine.models import HistoryEvent, HumanTask, HumanTaskState
from tests.fixtures.app import csrf_token
from tests.fixtures.integration import decide, file_requests, html, snapshot, text
from web.backoffice.models import SavedFilter
from web.extensions import db

pytestmark = pytest.mark.usefixtures("clock")  # due dates, the export's year and period around « today »


def reference_of(app, task_id):
    with app.app_context():
        return db.session.get(HumanTask, task_id).instance.reference


def events(app, event_type):
    with app.app_context():
        return db.session.execute(
            select(func.count()).select_from(HistoryEvent).where(HistoryEvent.event_type == event_type)
        ).scalar_one()


def assignee(app, task_id):
    with app.app_context():
        return db.session.get(HumanTask, task_id).assignee_id


def post(client, url, data=None, page="/agents/"):
    return client.post(url, data={**(data or {}), "csrf_token": csrf_token(client, page)})


def rows(response):
    return [" ".join(tr.text_content().split()) for tr in html(response).xpath("//table/tbody/tr")]


@pytest.fixture
def agent(people, client_for):
    return client_for(people["accueil"])


def test_tabs_with_counts_and_my_tasks(app, people, agent, client_for):
    ids = file_requests(app, people["famille"], 3)
    assert post(agent, f"/agents/taches/{ids[0]}/prendre").status_code == 302
    page = agent.get("/agents/")
    assert page.status_code == 200
    tabs = [" ".join(a.text_content().split()) for a in html(page).xpath("//nav[@class='queue-tabs']//a")]
    assert tabs == ["Mes tâches 1", "Accueil 3", "En attente de la famille 0"]
    mine = agent.get("/agents/?file=moi")
    assert len(rows(mine)) == 1
    assert reference_of(app, ids[0]) in rows(mine)[0]
    assert html(mine).xpath("//a[@aria-current='page']")[0].text_content().startswith("Mes tâches")
    accueil = rows(agent.get("/agents/?file=Accueil"))
    assert len(accueil) == 3
    assert "Moi" in accueil[0]
    assert "À personne" in accueil[1]
    # A service the agent does not belong to is not a queue of theirs.
    assert agent.get("/agents/?file=Etat civil").status_code == 404
    etat_civil = client_for(people["etat_civil"])
    assert "Aucune tâche à traiter" in text(etat_civil.get("/agents/"))


def test_filters_search_sort_and_overdue_in_words(app, people, agent, make_user):
    zola = make_user("famille", prenom="Hélène", nom="Zola")
    ids = file_requests(app, people["famille"], 2) + file_requests(app, zola)
    with app.app_context():
        db.session.get(HumanTask, ids[1]).due_at = utcnow() - timedelta(days=2)
        db.session.commit()
    found = rows(agent.get("/agents/?q=helene+zola"))
    assert len(found) == 1
    assert "Hélène Zola" in found[0]
    late = agent.get("/agents/?en_retard=y")
    (late_row,) = rows(late)
    assert "En retard" in late_row  # the word, not only a colour
    assert html(late).xpath("//tr[@class='row-overdue']//strong[text()='En retard']")
    by_family = rows(agent.get("/agents/?tri=famille&ordre=desc"))
    assert "Hélène Zola" in by_family[0]
    sorted_page = agent.get("/agents/?tri=famille")
    assert html(sorted_page).xpath("//th[@aria-sort='ascending']//a")[0].text_content().startswith("Famille")
    assert rows(agent.get("/agents/?attribution=personne&demarche=changement_adresse")) != []
    statut = rows(agent.get("/agents/?statut=En+cours+d%27instruction"))
    assert len(statut) == 3


def test_bad_filters_get_french_messages_and_keep_what_was_typed(app, people, agent):
    file_requests(app, people["famille"])
    response = agent.get("/agents/?tri=id;drop&ordre=sideways&demarche=nope&page=-3&q=Martin")
    assert response.status_code == 400
    page = text(response)
    assert "Ce tri n'est pas proposé." in page
    assert "Cette démarche n'est pas dans la liste." in page
    assert "Numéro de page invalide." in page
    doc = html(response)
    assert doc.xpath("//input[@name='q']/@value") == ["Martin"]  # nothing typed is lost
    assert len(rows(response)) == 1  # the valid part of the filter still applies
    assert agent.get("/agents/?q=" + "x" * 101).status_code == 400
    not_a_number = agent.get("/agents/?page=deux")
    assert not_a_number.status_code == 400
    assert "Numéro de page invalide." in text(not_a_number)


def test_pagination_keeps_the_filter(app, people, agent):
    app.config["PAGE_SIZE"] = 2
    try:
        file_requests(app, people["famille"], 5)
        first = agent.get("/agents/?file=Accueil&tri=reference")
        assert len(rows(first)) == 2
        (next_link,) = html(first).xpath("//nav[@class='pagination']//a[contains(., 'Page suivante')]/@href")
        assert parse_qs(urlsplit(next_link).query) == {
            "file": ["Accueil"],
            "tri": ["reference"],
            "page": ["2"],
        }
        assert "Page 3 sur 3" in text(agent.get("/agents/?file=Accueil&tri=reference&page=3"))
    finally:
        app.config["PAGE_SIZE"] = 50


def test_claim_release_from_the_list_and_the_409_of_a_stale_click(app, people, agent, client_for):
    (task_id,) = file_requests(app, people["famille"])
    colleague = client_for(people["accueil2"])
    stale_token = csrf_token(agent, "/agents/")  # Alex's page is open...
    assert post(colleague, f"/agents/taches/{task_id}/prendre").status_code == 302  # ...Sam is faster
    before = snapshot(app)
    response = agent.post(f"/agents/taches/{task_id}/prendre", data={"csrf_token": stale_token})
    assert response.status_code == 409
    page = text(response)
    assert "Cette tâche est déjà prise en charge par Sam Moreau." in page
    state = dict(
        zip(html(response).xpath("//dl/dt/text()"), html(response).xpath("//dl/dd/text()"), strict=True)
    )
    assert state["Attribuée à"] == "Sam Moreau"  # the state now
    assert snapshot(app) == before  # nothing half-applied
    refused = post(agent, f"/agents/taches/{task_id}/remettre")
    assert refused.status_code == 403
    assert "seule cette personne peut la remettre dans la file" in text(refused)
    released = post(colleague, f"/agents/taches/{task_id}/remettre", {"retour": "/agents/?file=Accueil"})
    assert released.status_code == 302
    assert released.headers["Location"] == "/agents/?file=Accueil"
    assert assignee(app, task_id) is None
    assert events(app, "task_claimed") == 1
    assert events(app, "task_released") == 1
    # An outside `retour` is ignored.
    taken = post(agent, f"/agents/taches/{task_id}/prendre", {"retour": "//evil.example/x"})
    assert taken.headers["Location"] == "/agents/"


def test_forged_and_foreign_task_ids(app, people, agent, client_for):
    (task_id,) = file_requests(app, people["famille"])
    missing = post(agent, "/agents/taches/999999/prendre")
    assert missing.status_code == 404
    assert "Cette tâche n'existe pas." in text(missing)
    other = client_for(people["etat_civil"])
    foreign = post(other, f"/agents/taches/{task_id}/prendre")
    assert foreign.status_code == 404  # another service's task: as if it did not exist
    assert "Cette tâche n'existe pas." in text(foreign)
    assert other.get(f"/agents/taches/{task_id}/attribuer").status_code == 404
    famille = client_for(people["famille"])
    assert post(famille, f"/agents/taches/{task_id}/prendre", page="/mes-demandes").status_code == 403
    assert assignee(app, task_id) is None
    assert events(app, "task_claimed") == 0


def test_bulk_claim_of_a_selection(app, people, agent, client_for):
    ids = file_requests(app, people["famille"], 3)
    assert post(client_for(people["accueil2"]), f"/agents/taches/{ids[1]}/prendre").status_code == 302
    response = post(agent, "/agents/prendre-selection", {"taches": [str(i) for i in ids]})
    assert response.status_code == 302
    page = text(agent.get(response.headers["Location"]))
    assert "2 tâches prises en charge." in page
    assert f"{reference_of(app, ids[1])} : Cette tâche est déjà prise en charge par Sam Moreau." in page
    assert [assignee(app, i) for i in ids] == [
        people["accueil"].id,
        people["accueil2"].id,
        people["accueil"].id,
    ]
    assert events(app, "task_claimed") == 3
    nothing = post(agent, "/agents/prendre-selection", {"taches": [str(ids[1])]})
    assert nothing.status_code == 409
    assert "Aucune des tâches cochées n'a pu être prise en charge." in text(nothing)
    assert post(agent, "/agents/prendre-selection", {"taches": ["1 OR 1=1"]}).status_code == 400
    empty = post(agent, "/agents/prendre-selection", {})
    assert "Cochez au moins une tâche" in text(agent.get(empty.headers["Location"]))


def test_assign_to_a_colleague_only(app, people, agent, client_for):
    (task_id,) = file_requests(app, people["famille"])
    sam, lou = people["accueil2"], people["etat_civil"]
    form_page = agent.get(f"/agents/taches/{task_id}/attribuer")
    assert form_page.status_code == 200
    options = html(form_page).xpath("//select[@name='agent']/option/text()")
    assert options == ["Alex Durand (moi)", "Sam Moreau"]  # Accueil only
    before = snapshot(app)
    outsider = post(
        agent,
        f"/agents/taches/{task_id}/attribuer",
        {"agent": str(lou.id), "attendu": ""},
        page=f"/agents/taches/{task_id}/attribuer",
    )
    assert outsider.status_code == 400
    assert "Choisissez un agent du service de la tâche." in text(outsider)
    assert snapshot(app) == before
    done = post(
        agent,
        f"/agents/taches/{task_id}/attribuer",
        {"agent": str(sam.id), "attendu": ""},
        page=f"/agents/taches/{task_id}/attribuer",
    )
    assert done.status_code == 302
    assert assignee(app, task_id) == sam.id
    # A second, stale page (it still says « nobody ») is refused with the new state.
    stale = post(
        agent,
        f"/agents/taches/{task_id}/attribuer",
        {"agent": str(people["accueil"].id), "attendu": ""},
        page=f"/agents/taches/{task_id}/attribuer",
    )
    assert stale.status_code == 409
    assert "maintenant prise en charge par Sam Moreau" in text(stale)
    with app.app_context():
        labels = (
            db.session.execute(select(HistoryEvent.label).where(HistoryEvent.event_type == "task_assigned"))
            .scalars()
            .all()
        )
    assert labels == ["Attribuée à Sam Moreau par Alex Durand"]


def dossier_of(app, task_id):
    """The dossier page of a task's request."""
    with app.app_context():
        return f"/agents/dossiers/{db.session.get(HumanTask, task_id).instance_id}"


def test_task_page_claim_box_and_completing_a_colleagues_task(app, people, agent, client_for):
    (task_id,) = file_requests(app, people["famille"])
    opened = agent.get(f"/taches/{task_id}?file=Accueil&tri=echeance")
    assert opened.status_code == 302  # the agents' page is the dossier, the queue's filter kept
    assert (
        opened.headers["Location"] == f"{dossier_of(app, task_id)}?tache={task_id}&file=Accueil&tri=echeance"
    )
    page = agent.get(opened.headers["Location"])
    assert "Attribuée à personne." in text(page)
    links = html(page).xpath("//nav[@aria-label='Navigation dans la file']//a/@href")
    assert links == [
        f"/agents/taches/{task_id}/precedent?file=Accueil&tri=echeance",
        f"/agents/taches/{task_id}/suivant?file=Accueil&tri=echeance",
    ]
    assert post(client_for(people["accueil2"]), f"/agents/taches/{task_id}/prendre").status_code == 302
    assert "Prise en charge par Sam Moreau." in text(agent.get(f"/taches/{task_id}", follow_redirects=True))
    refused = decide(agent, task_id, "acceptee")
    assert refused.status_code == 409
    assert "prise en charge par Sam Moreau : vous ne pouvez pas la traiter" in text(refused)
    with app.app_context():
        assert db.session.get(HumanTask, task_id).state == HumanTaskState.OPEN


def test_next_and_previous_inside_the_filtered_queue(app, people, agent, make_user):
    families = [make_user("famille", nom=name) for name in ("Carre", "Abel", "Bernard")]
    ids = [file_requests(app, family)[0] for family in families]
    query = "file=Accueil&tri=famille"
    first = agent.get(f"/agents/taches/{ids[1]}/suivant?{query}")  # Abel -> Bernard
    assert first.status_code == 302
    assert first.headers["Location"] == f"{dossier_of(app, ids[2])}?tache={ids[2]}&file=Accueil&tri=famille"
    assert (
        agent.get(f"/agents/taches/{ids[2]}/suivant?{query}")
        .headers["Location"]
        .startswith(f"{dossier_of(app, ids[0])}?tache={ids[0]}&")
    )
    assert (
        agent.get(f"/agents/taches/{ids[2]}/precedent?{query}")
        .headers["Location"]
        .startswith(f"{dossier_of(app, ids[1])}?tache={ids[1]}&")
    )
    end = agent.get(f"/agents/taches/{ids[0]}/suivant?{query}")
    assert end.headers["Location"] == "/agents/?file=Accueil&tri=famille"
    assert "C'était le dernier dossier de cette file." in text(agent.get(end.headers["Location"]))
    assert agent.get("/agents/taches/999999/suivant").status_code == 302  # unknown: back to the queue
    assert agent.get(f"/agents/taches/{ids[0]}/suivant?tri=nope").status_code == 302


def test_saved_filters_per_agent(app, people, agent, client_for):
    file_requests(app, people["famille"])
    saved = post(
        agent,
        "/agents/filtres",
        {"nom": "  En retard à moi ", "requete": "en_retard=y&attribution=moi&page=4&evil=1"},
    )
    assert saved.status_code == 302
    assert saved.headers["Location"] == "/agents/?en_retard=y&attribution=moi"
    page = agent.get("/agents/")
    (link,) = html(page).xpath("//section[@class='saved-filters']//a")
    assert (link.text_content(), link.get("href")) == (
        "En retard à moi",
        "/agents/?en_retard=y&attribution=moi",
    )
    duplicate = post(agent, "/agents/filtres", {"nom": "en retard à MOI", "requete": "q=x"})
    assert duplicate.status_code == 400
    assert "Vous avez déjà un filtre de ce nom" in text(duplicate)
    assert html(duplicate).xpath("//input[@name='nom']/@value") == ["en retard à MOI"]
    unnamed = post(agent, "/agents/filtres", {"nom": " ", "requete": ""})
    assert unnamed.status_code == 400
    assert "Donnez un nom à ce filtre." in text(unnamed)
    # Another agent neither sees nor deletes it.
    sam = client_for(people["accueil2"])
    assert "En retard à moi" not in text(sam.get("/agents/"))
    with app.app_context():
        filter_id = db.session.execute(select(SavedFilter.id)).scalar_one()
    assert post(sam, "/agents/filtres/supprimer", {"filtre": str(filter_id)}).status_code == 404
    assert post(agent, "/agents/filtres/supprimer", {"filtre": str(filter_id)}).status_code == 302
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(SavedFilter)).scalar_one() == 0


# Exports -----------------------------------------------------------------------------------------


def test_queue_export_csv_for_excel_with_formulas_neutralised(app, people, agent, make_user):
    evil = make_user("famille", prenom='=HYPERLINK("http://x")', nom="-2+3")
    ids = file_requests(app, people["famille"]) + file_requests(app, evil)
    with app.app_context():
        db.session.get(HumanTask, ids[0]).due_at = utcnow() - timedelta(days=1)
        db.session.commit()
    response = agent.get("/agents/export.csv?file=Accueil&tri=reference")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert lines[0] == [
        "Référence",
        "Démarche",
        "Tâche",
        "Famille",
        "Reçue le",
        "Échéance",
        "En retard",
        "Statut",
        "Service",
        "Attribuée à",
    ]
    assert len(lines) == 3
    assert lines[1][0] == reference_of(app, ids[0])
    assert lines[1][3] == "Camille Martin"
    assert lines[1][6] == "En retard"
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", lines[1][4])
    assert lines[2][3] == '\'=HYPERLINK("http://x") -2+3'
    filtered = agent.get("/agents/export.csv?q=hyperlink").get_data().decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(filtered), delimiter=";"))) == 2
    assert agent.get("/agents/export.csv?tri=nope").status_code == 400


def read_ods(data: bytes) -> list[list[str]]:
    document = opendocument.load(io.BytesIO(data))
    (sheet,) = document.spreadsheet.getElementsByType(table.Table)
    return [
        [teletype.extractText(cell) for cell in row.getElementsByType(table.TableCell)]
        for row in sheet.getElementsByType(table.TableRow)
    ]


def test_queue_export_ods_parsed_back(app, people, agent):
    ids = file_requests(app, people["famille"], 2)
    response = agent.get("/agents/export.ods")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.oasis.opendocument.spreadsheet"
    sheet = read_ods(response.get_data())
    assert sheet[0][:4] == ["Référence", "Démarche", "Tâche", "Famille"]
    assert [line[0] for line in sheet[1:]] == [reference_of(app, i) for i in ids]
    assert sheet[1][3] == "Camille Martin"
    assert sheet[1][4].startswith(str(utcnow().year))  # a real date cell


def test_closed_requests_export(app, people, agent):
    ids = file_requests(app, people["famille"], 2)
    assert decide(agent, ids[0], "acceptee").status_code == 302
    today = utcnow().date()
    period = f"du={today - timedelta(days=1):%Y-%m-%d}&au={today + timedelta(days=1):%Y-%m-%d}"
    page = agent.get(f"/agents/demandes-cloturees?{period}")
    assert page.status_code == 200
    assert reference_of(app, ids[0]) in text(page)
    assert reference_of(app, ids[1]) not in text(page)
    lines = list(
        csv.reader(
            io.StringIO(
                agent.get(f"/agents/demandes-cloturees?{period}&format=csv").get_data().decode("utf-8-sig")
            ),
            delimiter=";",
        )
    )
    assert lines[0] == ["Référence", "Démarche", "Famille", "Déposée le", "Clôturée le", "Statut"]
    assert [line[0] for line in lines[1:]] == [reference_of(app, ids[0])]
    assert lines[1][5] == "Acceptée"
    sheet = read_ods(agent.get(f"/agents/demandes-cloturees?{period}&format=ods").get_data())
    assert [line[0] for line in sheet[1:]] == [reference_of(app, ids[0])]
    bad = agent.get("/agents/demandes-cloturees?du=31/02/2026&au=2026-01-01")
    assert bad.status_code == 400
    assert "Cette date n'est pas valable" in text(bad)
    backwards = agent.get("/agents/demandes-cloturees?du=2026-03-01&au=2026-01-01")
    assert "La date de fin précède la date de début." in text(backwards)
    assert html(backwards).xpath("//input[@name='du']/@value") == ["2026-03-01"]


def test_staff_without_a_service_get_an_empty_queue(app, make_user, client_for):
    analyste = client_for(make_user("analyste"))
    page = analyste.get("/agents/")
    assert page.status_code == 200
    assert "Aucune tâche à traiter dans vos services." in text(page)
    assert [
        " ".join(a.text_content().split()) for a in html(page).xpath("//nav[@class='queue-tabs']//a")
    ] == ["Mes tâches 0"]
    csv_export = analyste.get("/agents/export.csv").get_data().decode("utf-8-sig")
    assert csv_export.count("\r\n") == 1  # the headers only
