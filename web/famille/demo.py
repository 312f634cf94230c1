"""Demo data of « Ma famille » and « Actualités »: the town's activities, the demo family's record (two
children in different activities), public and targeted news. Loaded through the CSV importer itself;
running it twice changes nothing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db import utcnow

from .importer import run
from .models import Activity, FamilyRecord
from .services import ENFANCE

ACTIVITIES_CSV = """activite_id;nom;type;service;lieu
CL-MERC;Centre de loisirs du mercredi;centre de loisirs;Enfance;Centre de loisirs Mozart, 12 rue Mozart
CANT-JMACE;Restauration scolaire Jean Macé;restauration scolaire;Enfance;École élémentaire Jean Macé
PERI-RABEL;Accueil périscolaire du soir Rabelais;accueil périscolaire;Enfance;École maternelle Rabelais
CONS-EVEIL;Éveil musical (4-6 ans);conservatoire;Enfance;Conservatoire municipal, 2 place de la Mairie
SPORT-NAT;École municipale de natation;sport;Enfance;Piscine municipale
SEJ-NEIGE;Séjour neige à Morzine;séjour;Enfance;Morzine (Haute-Savoie)
"""

FAMILY_HEADER = (
    "famille_id;famille_nom;adresse;responsable1_nom;responsable1_prenom;responsable1_courriel;"
    "responsable1_telephone;responsable2_nom;responsable2_prenom;responsable2_courriel;responsable2_telephone;"
    "enfant_id;enfant_nom;enfant_prenom;enfant_date_naissance;enfant_ecole;enfant_classe;enfant_services;"
    "enfant_activites"
)
MARTIN = (
    "F-0001;MARTIN Camille;3 rue des Lilas 78140 Vélizy-Villacoublay;MARTIN;Camille;famille@demo.example;"
)
MARTIN += "06 12 34 56 78;MARTIN;Nicolas;;"
BERNARD = "F-0002;BERNARD Louise;8 avenue de l'Europe 78140 Vélizy-Villacoublay;BERNARD;Louise;;;;;;"
FAMILIES_CSV = "\n".join(
    [
        FAMILY_HEADER,
        MARTIN + ";E-0001;MARTIN;Léa;14/03/2017;École élémentaire Jean Macé;CE2;Enfance;CANT-JMACE|CL-MERC",
        MARTIN + ";E-0002;MARTIN;Hugo;02/09/2021;École maternelle Rabelais;MS;Enfance;PERI-RABEL|CONS-EVEIL",
        BERNARD
        + ";E-0003;BERNARD;Nina;21/06/2015;École élémentaire Jean Macé;CM2;Enfance;SPORT-NAT|SEJ-NEIGE",
    ]
)


def load_family_demo(session: Session) -> None:
    from web.accounts.services import find_by_login

    run(session, ACTIVITIES_CSV.encode(), dry_run=False)
    run(session, FAMILIES_CSV.encode(), dry_run=False)
    family = find_by_login(session, "famille")
    record = session.scalars(
        select(FamilyRecord).where(FamilyRecord.service == ENFANCE, FamilyRecord.external_id == "F-0001")
    ).one()
    if family is not None and record not in family.family_records:
        family.family_records.append(record)
    _demo_news(session)


def _demo_news(session: Session) -> None:
    from web.actualites.models import Audience, NewsItem
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
    news = [
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
