"""« Activités » and « Actualités » in English: the family's activities, booking form, bookings and a
draw's result, the agents' activity pages and attendance export, a refused booking, a message to a
family, the news pages and feed. French stays the default; stored texts (news, journal) stay as written."""

from __future__ import annotations

import io
from datetime import timedelta

import time_machine
from pypdf import PdfReader
from sqlalchemy import select

from tests.activites.helpers import OPENS
from tests.activites.test_booking_pages import activity, family_with_children
from tests.fixtures.app import csrf_token, login
from tests.fixtures.integration import html, text
from web.accounts.models import User
from web.activites.draw import due_draws
from web.activites.models import ActivityBooking
from web.actualites.models import NewsItem
from web.extensions import db
from web.notifications.models import Notification

DURING = OPENS + timedelta(hours=1)


def english(app, user=None):
    """A test client whose browser asks for English (Accept-Language), logged in as `user`."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en-GB,en;q=0.9"
    if user is not None:
        login(client, user)
    return client


def _book(client, activity_id, child, sessions):
    token = csrf_token(client, f"/activites/{activity_id}")
    data = {
        "csrf_token": token,
        "enfant": str(child),
        "sessions": [str(s) for s in sessions],
        "documents": "y",
    }
    return client.post(f"/activites/{activity_id}", data=data)


def test_the_family_books_in_english(app, make_user) -> None:
    user, (kid,) = family_with_children(app, make_user, "SMITH")
    activity_id, (first, _second) = activity(
        app, places=1, sessions=2, price_cents=1250, price_rule="par_jour"
    )
    with time_machine.travel(DURING, tick=False):
        client = english(app, user)
        index = client.get("/activites")
        assert html(index).get("lang") == "en"
        words = text(index)
        assert "Book the town’s activities for your children." in words
        assert "holiday club" in words  # the activity's kind, a code with a French label
        assert "Bookings open until 31 Jan 2027, 08:30." in words
        assert "Inscriptions ouvertes" not in words
        assert "centre de loisirs" not in words
        page = text(client.get(f"/activites/{activity_id}"))
        for shown in ("Book for a child", "Child to book for", "Send my request", "€12.50 per day attended",
                      "Free places", "1 out of 1", "from 15 Feb 2027 to 19 Feb 2027",
                      "online until 7 days before the session starts"):  # fmt: skip
            assert shown in page, shown
        for french in ("Inscrire un enfant", "Envoyer ma demande", "par jour d'accueil", "Places libres"):
            assert french not in page, french
        assert _book(client, activity_id, kid, [first]).status_code == 302
        mine = client.get("/activites/mes-inscriptions")
        assert "has been saved. Smith1 SMITH — Semaine 1: place given." in text(mine)
        words = text(mine)
        assert "My bookings" in words
        assert "Booked" in words
        assert "€62.50 (5 days × €12.50)" in words
        assert "Place given." in words  # the journal, stored in French, read in English
        assert "Cancel this booking" in words
        assert "Mes inscriptions" not in words
    with app.app_context():
        (stored,) = db.session().scalars(select(ActivityBooking.price_detail)).all()
        assert stored == "5 jour(s) × 12,50 €"  # what the booking keeps (and its invoice line) stays French


def test_a_refused_booking_is_explained_in_english(app, make_user) -> None:
    user, (kid,) = family_with_children(app, make_user, "YOUNG")
    activity_id, (sid,) = activity(app, min_age=10)
    with time_machine.travel(DURING, tick=False):
        client = english(app, user)
        refused = _book(client, activity_id, kid, [sid])
        assert refused.status_code == 422
        words = text(refused)
        assert "The request has not been saved" in words
        assert "Young1 is not old enough (at least 10 years old) for “Semaine 1”." in words
        assert "l'âge requis" not in words
        token = csrf_token(client, f"/activites/{activity_id}")
        empty = client.post(f"/activites/{activity_id}", data={"csrf_token": token})
        assert empty.status_code == 422
        assert "Choose a child and at least one session." in text(empty)


def test_a_draw_in_english_and_its_message_in_the_family_language(app, make_user) -> None:
    families = [family_with_children(app, make_user, f"DRAW{n}") for n in range(2)]
    with app.app_context():
        db.session().get(User, families[0][0].id).langue = "en"  # this family reads English
        db.session().commit()
    activity_id, (sid,) = activity(app, places=1, fair=30, draw_criteria="fratrie:2;residence:1")
    with time_machine.travel(OPENS + timedelta(minutes=5), tick=False):
        for user, (kid,) in families:
            client = app.test_client()
            login(client, user)
            assert _book(client, activity_id, kid, [sid]).status_code == 302
        english_client = english(app, families[1][0])
        page = text(english_client.get(f"/activites/{activity_id}"))
        assert "Requests received during the first 30 minutes (until 11 Jan 2027, 09:00)" in page
        assert "Published priority criteria: a brother or sister is also asking for the activity; " in page
        assert "Draw on 11 Jan 2027, 09:00" in text(english_client.get("/activites/mes-inscriptions"))
    with time_machine.travel(OPENS + timedelta(minutes=31), tick=False), app.app_context():
        (_draw,) = due_draws(db.session())
        db.session().commit()
        messages = db.session().scalars(select(Notification.message).order_by(Notification.id)).all()
    assert sum(m.startswith("Draw for “Activité CL-HIVER” for Draw01") for m in messages) == 1
    assert sum(m.startswith("Tirage au sort de « Activité CL-HIVER » pour Draw11") for m in messages) == 1
    with time_machine.travel(OPENS + timedelta(minutes=40), tick=False):
        english_client = english(app, families[1][0])  # a new login: the idle session has expired
        result = english_client.get(f"/activites/{activity_id}/tirage")
        assert html(result).get("lang") == "en"
        words = text(result)
        assert "Draw for “Activité CL-HIVER”" in words
        assert "Drawn on 11 Jan 2027, 09:0" in words
        assert "Rule: Efraimidis-Spirakis: key = u^(1/weight)" in words
        assert "Order of the draw (request references)" in words
        assert "Position" in words
        assert "Ordre du tirage" not in words
        assert "Poids" not in words
        mine = text(english_client.get("/activites/mes-inscriptions"))
        assert "Booked" in mine or "Waiting list, position 1" in mine


def test_the_agents_activity_pages_and_export_in_english(app, make_user) -> None:
    agent = make_user("agent", groups=["Enfance"])
    user, (kid,) = family_with_children(app, make_user, "LIST")
    activity_id, (first,) = activity(app, places=3, price_cents=900)
    with time_machine.travel(DURING, tick=False):
        family = app.test_client()
        login(family, user)
        assert _book(family, activity_id, kid, [first]).status_code == 302
        client = english(app, agent)
        words = text(client.get("/agents/activites"))
        assert "Activities and bookings" in words
        assert "open on 11 Jan 2027, 08:30" in words
        settings = client.get(f"/agents/activites/{activity_id}")
        assert html(settings).get("lang") == "en"
        words = text(settings)
        shown_texts = (
            "Sessions, children booked and waiting lists", "Booking settings", "Minimum age (years)",
            "Flat rate per session", "Save settings", "Add a session", "Monday", "Attendance lists",
        )  # fmt: skip
        for shown in shown_texts:
            assert shown in words, shown
        assert 'value="9.00"' in settings.get_data(as_text=True)  # the price as written in English
        assert "Réglages des inscriptions" not in words
        assert "lundi" not in words
        session = text(client.get(f"/agents/activites/{activity_id}/sessions/{first}"))
        assert "1 booked out of 3 places — 0 on the waiting list." in session
        assert "€9.00" in session
        assert "Edit the session" in session
        csv = client.get(f"/agents/activites/{activity_id}/sessions/{first}/presence.csv").get_data(
            as_text=True
        )
        assert csv.lstrip("\ufeff").startswith("Place;Name;First name;Date of birth;School year;School;")
        pdf = client.get(f"/agents/activites/{activity_id}/sessions/{first}/presence.pdf")
        sheet = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
        assert "Attendance list from 15 Feb 2027 to 19 Feb 2027 - 1 child - " in sheet
        assert "Child" in sheet
        assert "Liste de présence" not in sheet
        token = csrf_token(client, f"/agents/activites/{activity_id}")
        wrong = client.post(
            f"/agents/activites/{activity_id}",
            data={"csrf_token": token, "price_rule": "forfait", "price": "douze", "cancel_days": "7"},
        )
        assert wrong.status_code == 422
        assert "Enter a price in euros, for example 12.50." in text(wrong)


def test_the_news_pages_in_english_keep_the_news_as_written(app, make_user) -> None:
    from web.actualites.services import start_of_day

    with app.app_context():
        item = NewsItem(
            title="Fermeture de la mairie",
            summary="La mairie sera fermée le 26 décembre.",
            body_html="<p>Fermée toute la journée.</p>",
            published_at=start_of_day(DURING.date() - timedelta(days=1)),
        )
        db.session().add(item)
        db.session().commit()
        news_id = item.id
    with time_machine.travel(DURING, tick=False):
        client = english(app)
        page = client.get(f"/actualites/{news_id}")
        assert html(page).get("lang") == "en"
        words = text(page)
        assert "All news" in words
        assert "Published on 10 Jan 2027" in words
        assert "Fermeture de la mairie" in words  # the news itself: the town's content, as written
        assert html(page).xpath("//h1")[0].get("lang") == "fr"
        assert "Toutes les actualités" not in words
        assert "Publiée le" not in words
        listing = text(client.get("/actualites"))
        assert "Subscribe to the Atom feed" in listing
        assert "S'abonner" not in listing
        feed = client.get("/actualites/flux.atom").get_data(as_text=True)
        assert "<title>News – " in feed
        assert 'xml:lang="en"' in feed
        assert '<entry xml:lang="fr">' in feed
        french = app.test_client().get(f"/actualites/{news_id}")
        assert "Publiée le 10/01/2027" in text(french)
        writer = make_user("agent", groups=["Communication"])
        agents = english(app, writer)
        words = text(agents.get("/agents/actualites"))
        assert "Manage news" in words
        assert "Gérer les actualités" not in words
        assert "Write a news item" in words
        assert "Who sees it" in words
        assert "Everyone" in words
        token = csrf_token(agents, "/agents/actualites/nouvelle")
        refused = agents.post("/agents/actualites/nouvelle", data={"csrf_token": token})
        assert refused.status_code == 400
        assert html(refused).get("lang") == "en"


def test_the_journal_and_price_texts_are_stored_in_french_and_shown_in_english(app) -> None:
    from types import SimpleNamespace

    from web.activites import journal_texts as j
    from web.activites.booking import Outcome, RequestResult, demarche_data
    from web.activites.models import BookingStatus
    from web.activites.rules import detail_shown, price_of
    from web.core.i18n import in_language

    written = [
        j.stored(j.PLACED["tirage"], draw_rank=3),
        j.stored(j.WAITING["deplace"], session="Semaine 1", by="Alex Durand", rank=2),
        j.stored(j.REFUSED, reason="dossier incomplet"),
        j.stored(j.AWAITS_DRAW, when="11/01/2027 à 09:00"),
    ]
    # The stored French is the wording the journal always had (rows written before read back the same).
    assert written[0] == "Place attribuée au tirage au sort (rang de tirage 3)."
    assert written[1] == "Inscrit sur liste d'attente (déplacé depuis « Semaine 1 » par Alex Durand), rang 2."
    with app.test_request_context("/"), in_language("en"):
        assert [j.shown(text) for text in written] == [
            "Place given in the draw (drawn in position 3).",
            "Put on the waiting list (moved from “Semaine 1” by Alex Durand), position 2.",
            "Refused by the service: dossier incomplet",
            "Request received during the fair opening: draw on 11 Jan 2027, 09:00.",
        ]
        assert j.shown("Texte libre d'une ancienne version.") == "Texte libre d'une ancienne version."
        paid = "Facture FAC-2027-0001 déjà payée : 12,50 € à rembourser."  # written by cancel_billing.py
        assert j.shown(paid) == "Invoice FAC-2027-0001 already paid: €12.50 to be refunded."
        quotient = price_of("quotient", 0, "600:450;1200:900;:1400", 1, 850)
        assert quotient.detail == "1 jour(s) × 9,00 € (quotient 850 €)"
        assert detail_shown(quotient.detail) == "1 day × €9.00 (family quotient: €850)"
        assert detail_shown("2 jour(s) × 14,00 € (quotient non connu)") == (
            "2 days × €14.00 (family quotient not known)"
        )
        assert detail_shown("forfait 90,00 €") == "flat rate €90.00"
        assert detail_shown("démo") == "démo"
        # A request's summary: in the family's language on its page, in French in the démarche's data.
        result = RequestResult(
            "INS-1", "Léa MARTIN", [Outcome("Semaine 1", BookingStatus.WAITING, 2, 0)], None
        )
        assert result.summary() == "Léa MARTIN — Semaine 1: waiting list, position 2."
        offer = SimpleNamespace(
            activity=SimpleNamespace(name="Natation", service="Sports"), validation_required=False
        )
        assert demarche_data(offer, result)["resume"] == "Léa MARTIN — Semaine 1 : liste d'attente, rang 2."
    with app.test_request_context("/"):
        assert detail_shown("forfait 90,00 €") == "forfait 90,00\u00a0€"
