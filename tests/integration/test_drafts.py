"""Drafts: « Enregistrer le brouillon », « Brouillons », « Reprendre », « Supprimer le brouillon »,
and a form posted after the session expired (its fields survive the new login)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select
from sqlalchemy import text as sql_text
from sqlalchemy.dialects import sqlite

from engine import api, drafts
from engine.models import HumanTask, ProcessInstance
from tests.fixtures.app import PASSWORD, csrf_token, login, on_postgresql
from tests.fixtures.integration import html, post_form, start_demarche, text
from web.extensions import db

sqlite_app = pytest.mark.skipif(
    on_postgresql(), reason="the `app` runs on PostgreSQL (GUICHET_TEST_DATABASE)"
)
BAD_PHONE = "06 12 34"  # not a valid number: a draft keeps it anyway


def draft_of(app, task_id: int):
    with app.app_context():
        return db.session.get(HumanTask, task_id).draft


def instances(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(ProcessInstance)).scalar_one()


def save_draft(client, task_id: int, data: dict[str, str]):
    return post_form(client, f"/taches/{task_id}", {**data, "action": "brouillon"})


def value_of(response, name: str) -> str | None:
    (field,) = html(response).xpath(f"//input[@name='{name}']")
    return field.get("value")


def test_a_draft_is_saved_without_validation_and_resumed_prefilled(app, people, client_for):
    famille = client_for(people["famille"])
    task_id = start_demarche(famille, "changement_telephone")
    response = save_draft(famille, task_id, {"telephone": "", "mobile": BAD_PHONE})
    assert response.status_code == 302
    assert response.headers["Location"] == "/mes-demandes"
    assert draft_of(app, task_id) == {"telephone": [""], "mobile": [BAD_PHONE]}

    listing = famille.get("/mes-demandes")
    page = text(listing)
    assert "Votre brouillon « Changement de téléphones » est enregistré" in page
    (section,) = html(listing).xpath("//section[@aria-labelledby='brouillons-titre']")
    assert "Changement de téléphones" in section.text_content()
    assert section.xpath(".//a[starts-with(normalize-space(), 'Reprendre')]/@href") == [f"/taches/{task_id}"]
    assert section.xpath(".//button[starts-with(normalize-space(), 'Supprimer le brouillon')]")
    assert html(listing).xpath("//table") == []  # a draft is not a request sent to the town

    resumed = famille.get(f"/taches/{task_id}")
    assert resumed.status_code == 200
    assert value_of(resumed, "mobile") == BAD_PHONE
    assert "Votre brouillon est repris" in text(resumed)
    # Sending it validates as usual, and the draft is gone once the task is done.
    response = post_form(famille, f"/taches/{task_id}", {"telephone": "", "mobile": "06 12 34 56 78"})
    assert response.status_code == 302
    assert draft_of(app, task_id) is None
    listing = famille.get("/mes-demandes")
    assert html(listing).xpath("//section[@aria-labelledby='brouillons-titre']") == []
    assert "En cours d'instruction" in text(listing)


def test_a_draft_never_keeps_the_password(app, people, client_for):
    famille = client_for(people["famille"])
    task_id = start_demarche(famille, "changement_courriel")
    response = save_draft(
        famille,
        task_id,
        {"nouveau_courriel": "nouvelle@", "confirmation_courriel": "", "mot_de_passe_actuel": PASSWORD},
    )
    assert response.status_code == 302
    assert draft_of(app, task_id) == {"nouveau_courriel": ["nouvelle@"], "confirmation_courriel": [""]}
    assert "les mots de passe ne sont jamais conservés" in text(famille.get("/mes-demandes"))
    resumed = famille.get(f"/taches/{task_id}")
    assert value_of(resumed, "nouveau_courriel") == "nouvelle@"
    assert not value_of(resumed, "mot_de_passe_actuel")


def test_starting_a_demarche_again_resumes_its_draft(app, people, client_for):
    famille = client_for(people["famille"])
    first = start_demarche(famille, "changement_telephone")
    assert start_demarche(famille, "changement_telephone") == first
    assert instances(app) == 1
    assert start_demarche(famille, "changement_courriel") != first  # another démarche is another draft
    assert instances(app) == 2


def test_discarding_a_draft_deletes_it_and_only_the_familys_own(app, people, client_for):
    famille = client_for(people["famille"])
    other = client_for(people["autre_famille"])
    task_id = start_demarche(famille, "changement_telephone")
    with app.app_context():
        instance_id = db.session.get(HumanTask, task_id).instance_id
    url = f"/mes-demandes/{instance_id}/supprimer-brouillon"
    assert post_form(other, "/mes-demandes", {}, action=url).status_code == 404
    assert famille.post(url, data={}).status_code == 400  # no CSRF token
    assert instances(app) == 1

    response = post_form(famille, "/mes-demandes", {}, action=url)
    assert response.status_code == 302
    assert "Le brouillon « Changement de téléphones » est supprimé" in text(famille.get("/mes-demandes"))
    assert instances(app) == 0


def test_a_request_already_sent_cannot_be_discarded(app, people, client_for):
    famille = client_for(people["famille"])
    task_id = start_demarche(famille, "changement_telephone")
    post_form(famille, f"/taches/{task_id}", {"telephone": "01 23 45 67 89", "mobile": ""})
    with app.app_context():
        instance_id = db.session.get(HumanTask, task_id).instance_id
    response = post_form(
        famille, "/mes-demandes", {}, action=f"/mes-demandes/{instance_id}/supprimer-brouillon"
    )
    assert response.status_code == 409
    assert "elle ne peut plus être supprimée, mais vous pouvez l'annuler" in text(response)
    assert instances(app) == 1


def test_a_waiting_step_with_a_draft_says_reprendre_mon_brouillon(app, people, client_for):
    """Past the first step, the request sits in the table; its call to action follows the draft."""
    famille = client_for(people["famille"])
    task_id = start_demarche(famille, "changement_courriel")
    response = post_form(
        famille,
        f"/taches/{task_id}",
        {
            "nouveau_courriel": "n@exemple.fr",
            "confirmation_courriel": "n@exemple.fr",
            "mot_de_passe_actuel": PASSWORD,
        },
    )
    assert response.status_code == 302
    assert "Compléter ma demande" in text(famille.get("/mes-demandes"))
    with app.app_context():
        session = db.session()
        (waiting,) = api.tasks_for(session, people["famille"])
        drafts.save_draft(session, waiting.id, people["famille"], {"note": ["à finir"]})
        session.commit()
    assert "Reprendre mon brouillon" in text(famille.get("/mes-demandes"))


def test_a_form_posted_after_the_session_expired_is_kept_as_a_draft(app, people):
    """The idle limit passes while the family types: the POST ends the session but keeps the fields."""
    famille = app.test_client()
    start = datetime.now(UTC)
    with time_machine.travel(start, tick=False) as traveller:
        login(famille, people["famille"])
        task_id = start_demarche(famille, "changement_courriel")
        token = csrf_token(famille, f"/taches/{task_id}")
        traveller.shift(timedelta(minutes=45))  # past SESSION_IDLE_MINUTES (30)
        response = famille.post(
            f"/taches/{task_id}",
            data={
                "csrf_token": token,
                "nouveau_courriel": "camille@exemple.fr",
                "confirmation_courriel": "camille@exemple.fr",
                "mot_de_passe_actuel": PASSWORD,
            },
        )
        assert response.status_code == 302
        assert response.headers["Location"] == f"/connexion?next=/taches/{task_id}"
        login_page = text(famille.get(response.headers["Location"]))
        assert "Votre session a expiré : reconnectez-vous." in login_page
        assert "Ce que vous aviez saisi est gardé en brouillon" in login_page
        assert draft_of(app, task_id) == {
            "nouveau_courriel": ["camille@exemple.fr"],
            "confirmation_courriel": ["camille@exemple.fr"],
        }
        with app.app_context():  # nothing was sent with the expired session
            assert db.session.get(HumanTask, task_id).state == "open"

        token = csrf_token(famille, f"/connexion?next=/taches/{task_id}")
        back = famille.post(
            f"/connexion?next=/taches/{task_id}",
            data={"username": people["famille"].username, "password": PASSWORD, "csrf_token": token},
        )
        assert back.headers["Location"] == f"/taches/{task_id}"
        resumed = famille.get(f"/taches/{task_id}")
        assert value_of(resumed, "nouveau_courriel") == "camille@exemple.fr"
        assert not value_of(resumed, "mot_de_passe_actuel")


def test_an_expired_session_with_a_forged_token_keeps_nothing(app, people):
    famille = app.test_client()
    with time_machine.travel(datetime.now(UTC), tick=False) as traveller:
        login(famille, people["famille"])
        task_id = start_demarche(famille, "changement_telephone")
        traveller.shift(timedelta(minutes=45))
        response = famille.post(f"/taches/{task_id}", data={"csrf_token": "faux", "mobile": "06 00 00 00 00"})
        assert response.status_code == 400
    assert draft_of(app, task_id) is None


def test_a_request_is_filed_when_sent_not_when_its_draft_began(app, people, client_for):
    """« Déposée le » and the deadline count from the sending: a draft may wait for days."""
    begun = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    sent = begun + timedelta(days=10)
    with time_machine.travel(begun, tick=False) as traveller:
        famille = client_for(people["famille"])
        task_id = start_demarche(famille, "changement_telephone")
        traveller.move_to(sent)
        famille = client_for(people["famille"])  # the session of ten days ago has expired
        post_form(famille, f"/taches/{task_id}", {"telephone": "", "mobile": "06 12 34 56 78"})
        with app.app_context():
            instance = db.session.get(HumanTask, task_id).instance
            assert instance.created_at == begun
            assert instance.submitted_at == sent
            assert instance.deadline_at == sent + timedelta(days=15)
        (row,) = html(famille.get("/mes-demandes")).xpath("//tbody/tr")
        cells = [" ".join(cell.text_content().split()) for cell in row.xpath("td")]
        assert cells[2:5] == ["12/03/2026", "En cours d'instruction", "27/03/2026"]


@sqlite_app
def test_the_draft_lookup_starts_from_the_familys_open_tasks(app):
    """« Commencer » looks for a draft of the démarche through the family's open tasks (their index
    on requester and state), not through every request the family ever made: its cost stays the
    same for a family with hundreds of requests sent."""
    statement = drafts._DRAFT_OF.params(b_requester=1, b_key="changement_adresse").compile(
        dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}
    )
    with app.app_context():
        plan = db.session.execute(sql_text("EXPLAIN QUERY PLAN " + str(statement))).all()
    details = " | ".join(str(row[-1]) for row in plan)
    by_open_tasks = "SEARCH human_task USING INDEX ix_human_task_requester_state (requester_id=? AND state=?)"
    assert by_open_tasks in details, details
    assert "SCAN" not in details, details
