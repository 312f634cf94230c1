"""Demo data of « Ma famille » and « Actualités »: the town's activities, the demo family's record (two
children in different activities), public and targeted news. Loaded through the CSV importer itself;
running it twice changes nothing."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .importer import run
from .models import FamilyRecord
from .services import ENFANCE

# « structure »: the demo facilities (web/structures/demo.py, loaded before this file by web/demo.py).
ACTIVITIES_CSV = """activite_id;nom;type;service;lieu;structure
CL-MERC;Centre de loisirs du mercredi;centre de loisirs;Enfance;2 place Mozart;Centre de loisirs Mozart
CANT-JMACE;Restauration scolaire Jean Macé;restauration scolaire;Enfance;;École élémentaire Jean-Macé
PERI-RABEL;Accueil périscolaire du soir Rabelais;accueil périscolaire;Enfance;École maternelle Rabelais;
CONS-EVEIL;Éveil musical (4-6 ans);conservatoire;Enfance;;Conservatoire Henri-Dutilleux
SPORT-NAT;École municipale de natation;sport;Enfance;;Piscine municipale Les Écureuils
SEJ-NEIGE;Séjour neige à Morzine;séjour;Enfance;Morzine (Haute-Savoie);
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
