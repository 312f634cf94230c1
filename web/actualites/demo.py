"""Demo news of `guichet demo`: public ones and ones aimed at the demo family's activities."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db import utcnow
from web.famille.models import Activity


def _demo_news(activity: dict[str, Activity]) -> list[tuple]:
    """(title, summary, body, audience, activity id, days ago) of each demo news item."""
    from web.actualites.models import Audience

    return [
        (
            "Inscriptions aux centres de loisirs des vacances d'hiver",
            "Les inscriptions pour les vacances d'hiver ouvrent le 5 janvier : pensez à réserver avant "
            "le 23.",
            "Les centres de loisirs accueillent les enfants de 3 à 11 ans pendant les vacances d'hiver.\n\n"
            "Les inscriptions se font auprès du service Enfance, à l'accueil de la mairie, du 5 au "
            "23 janvier.",
            Audience.TOUS,
            None,
            2,
        ),
        (
            "Fermeture exceptionnelle de la mairie le 26 décembre",
            "L'hôtel de ville et ses services seront fermés le vendredi 26 décembre.",
            "<p>L'hôtel de ville sera <strong>fermé le vendredi 26 décembre</strong>. Les démarches en ligne "
            "restent ouvertes sur ce portail.</p>",
            Audience.TOUS,
            None,
            5,
        ),
        (
            "Menus de la restauration scolaire : semaine du goût",
            "Des produits locaux et de saison au menu des écoles toute la semaine.",
            "Les cuisiniers de la ville proposent chaque jour un produit local et de saison.",
            Audience.TOUS,
            None,
            9,
        ),
        (
            "Centre de loisirs du mercredi : sortie à la ferme de Viltain",
            "Mercredi prochain, les enfants du centre de loisirs partent à la ferme : prévoir des bottes.",
            "<p>Départ en car à 9 h 30, retour vers 17 h. Pensez à <strong>des bottes</strong> et à un "
            "vêtement de pluie.</p>",
            Audience.ACTIVITE,
            activity["CL-MERC"].id,
            1,
        ),
        (
            "Éveil musical : audition de fin de trimestre",
            "Les enfants de l'éveil musical présentent leur audition au conservatoire samedi à 10 h.",
            "Les familles sont invitées à l'audition, salle Debussy du conservatoire.",
            Audience.ACTIVITE,
            activity["CONS-EVEIL"].id,
            3,
        ),
        (
            "Séjour neige : réunion d'information des familles",
            "Réunion de préparation du séjour à Morzine, mardi à 18 h 30 en salle du conseil.",
            "Liste du trousseau et horaires de départ présentés à la réunion.",
            Audience.ACTIVITE,
            activity["SEJ-NEIGE"].id,
            4,
        ),
    ]


def load_news_demo(session: Session) -> None:
    """Three public news items and three aimed at activities (idempotent: nothing if news exist)."""
    from web.actualites.models import NewsItem
    from web.actualites.services import sanitise

    if session.scalar(select(NewsItem.id).limit(1)) is not None:
        return
    author = None
    from web.accounts.services import find_by_login

    agent = find_by_login(session, "communication")
    if agent is not None:
        author = agent.id
    activity = {a.external_id: a for a in session.scalars(select(Activity))}
    now = utcnow()
    news = _demo_news(activity)
    for title, summary, body, audience, activity_id, days_ago in news:
        session.add(
            NewsItem(
                title=title,
                summary=summary,
                body_html=sanitise(body),
                published_at=now - timedelta(days=days_ago),
                audience=audience,
                audience_activity_id=activity_id,
                created_by_id=author,
            )
        )
    session.flush()
