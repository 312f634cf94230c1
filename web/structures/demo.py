"""Demo facilities of a French town for `guichet demo`: only when there is none yet (idempotent)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forms.dates import today_in_france
from forms.structures import DAY_FIELDS, parse_ranges

from .models import Facility
from .services import FacilityData, add_closure, save_facility

SCHOOL = {"lundi": "8:20-11:30, 13:20-16:30", "mardi": "8:20-11:30, 13:20-16:30",
          "jeudi": "8:20-11:30, 13:20-16:30", "vendredi": "8:20-11:30, 13:20-16:30"}  # fmt: skip
WEEKDAYS_ONLY = {day: "7:30-18:30" for day in DAY_FIELDS[:5]}

FACILITIES: list[dict[str, object]] = [
    {
        "name": "École élémentaire Jean-Macé", "kind": "ecole", "address": "12 rue Jean-Macé",
        "area": "Centre", "phone": "+33139461200", "email": "ecole.jean-mace@ville.example",
        "description": "École élémentaire publique de 11 classes, du CP au CM2.",
        "services": "Restauration scolaire\nAccueil périscolaire du matin et du soir\nÉtudes surveillées",
        "hours": SCHOOL,
    },
    {
        "name": "École maternelle Fronval", "kind": "ecole", "address": "4 allée de Fronval",
        "area": "Mozart", "phone": "+33139461250", "email": "maternelle.fronval@ville.example",
        "description": "École maternelle publique : petite, moyenne et grande sections.",
        "services": "Restauration scolaire\nAccueil périscolaire",
        "hours": SCHOOL,
    },
    {
        "name": "Crèche collective Les Lutins", "kind": "creche", "address": "8 rue de la Division-Leclerc",
        "area": "Louvois", "phone": "+33139461300", "email": "creche.leslutins@ville.example",
        "description": "Multi-accueil de 60 berceaux pour les enfants de 10 semaines à 3 ans.",
        "services": "Accueil régulier\nAccueil occasionnel\nRepas préparés sur place",
        "hours": WEEKDAYS_ONLY,
    },
    {
        "name": "Centre de loisirs Mozart", "kind": "centre_loisirs", "address": "2 place Mozart",
        "area": "Mozart", "phone": "+33139461400", "email": "loisirs.mozart@ville.example",
        "description": "Accueil de loisirs des 3-11 ans le mercredi et pendant les vacances scolaires.",
        "services": "Mercredis loisirs\nVacances scolaires\nSorties et mini-séjours",
        "hours": {"mercredi": "7:30-18:30"},
    },
    {
        "name": "Gymnase Richet", "kind": "equipement_sportif", "address": "15 avenue Louis-Breguet",
        "area": "Europe", "phone": "+33139461500",
        "description": "Salle omnisports, salle de danse et mur d'escalade.",
        "services": "Créneaux associatifs\nÉcole municipale des sports\nSport scolaire",
        "hours": {
            "lundi": "8:00-22:00", "mardi": "8:00-22:00", "mercredi": "8:00-22:00", "jeudi": "8:00-22:00",
            "vendredi": "8:00-22:00", "samedi": "9:00-19:00", "dimanche": "9:00-13:00",
        },
    },
    {
        "name": "Piscine municipale Les Écureuils", "kind": "equipement_sportif",
        "address": "1 rue des Écureuils", "area": "Louvois", "phone": "+33139461550",
        "website": "https://www.ville.example/piscine",
        "description": "Bassin sportif de 25 m et bassin d'apprentissage.",
        "services": "Nage libre\nCours de natation enfants\nAquagym",
        "hours": {
            "lundi": "12:00-14:00, 17:00-20:00", "mardi": "12:00-14:00", "mercredi": "10:00-19:00",
            "jeudi": "12:00-14:00, 17:00-21:30", "vendredi": "12:00-14:00", "samedi": "9:00-18:00",
            "dimanche": "9:00-13:00",
        },
    },
    {
        "name": "Médiathèque Jules-Verne", "kind": "bibliotheque", "address": "3 place de l'Europe",
        "area": "Europe", "phone": "+33139461600", "email": "mediatheque@ville.example",
        "website": "https://www.ville.example/mediatheque",
        "description": "Livres, bandes dessinées, musique, films et jeux vidéo pour tous les âges.",
        "services": "Prêt de livres, CD et DVD\nHeure du conte le mercredi\nPostes informatiques et wifi",
        "hours": {
            "mardi": "14:00-19:00", "mercredi": "10:00-12:30, 14:00-18:00", "vendredi": "14:00-19:00",
            "samedi": "10:00-18:00",
        },
        "closure": "Inventaire annuel",
    },
    {
        "name": "Conservatoire Henri-Dutilleux", "kind": "autre", "address": "21 rue Albert-Thomas",
        "area": "Centre", "phone": "+33139461700", "email": "conservatoire@ville.example",
        "description": "Conservatoire à rayonnement communal : musique, danse et théâtre.",
        "services": "Éveil musical dès 4 ans\nCours d'instrument\nOrchestres et chorales",
        "hours": {
            "lundi": "14:00-21:00", "mardi": "14:00-21:00", "mercredi": "9:00-21:00", "jeudi": "14:00-21:00",
            "vendredi": "14:00-21:00", "samedi": "9:00-17:00",
        },
    },
]  # fmt: skip


def load_demo_facilities(session: Session) -> int:
    """Create the demo facilities when the town has none; returns how many were created."""
    if session.execute(select(func.count(Facility.id))).scalar_one():
        return 0
    today = today_in_france()
    for item in FACILITIES:
        hours: dict[str, str] = item["hours"]  # type: ignore[assignment]
        openings = [
            (weekday, start, end)
            for weekday, day in enumerate(DAY_FIELDS)
            for start, end in parse_ranges(hours.get(day))
        ]
        facility = save_facility(
            session,
            FacilityData(
                name=str(item["name"]),
                kind=str(item["kind"]),
                address=str(item["address"]),
                postal_code="78140",
                commune="Vélizy-Villacoublay",
                area=str(item["area"]),
                phone=item.get("phone"),  # type: ignore[arg-type]
                email=item.get("email"),  # type: ignore[arg-type]
                website=item.get("website"),  # type: ignore[arg-type]
                description=str(item["description"]),
                services=str(item["services"]),
                openings=openings,
            ),
        )
        if "closure" in item:
            start = today + timedelta(days=7)
            add_closure(session, facility, start, start + timedelta(days=2), str(item["closure"]))
    return len(FACILITIES)
