"""Demo data of « Activités »: the winter holiday centre with a fair opening window (drawn, with a
waiting list), the conservatoire's musical awakening (validated by the service, documents) and the
swimming school (price by family quotient); the demo family's children booked. Idempotent: an activity
that already has its booking settings is left alone."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import api
from engine.db import utcnow
from web.core.presentation import PARIS
from web.famille.models import Activity, ActivityKind, Child, FamilyRecord

from .allocation import allocate, journal
from .draw import run_draw
from .enrolments import resync_enrolments
from .models import ActivityBooking, ActivityOffer, ActivitySession, BookingStatus, FamilyQuotient, PriceRule

HIVER = "CL-HIVER"
WINTER = date(2027, 2, 15)  # vacances d'hiver 2027, zone C


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), PARIS)


def _activity(session: Session) -> Activity:
    found = session.scalars(select(Activity).where(Activity.external_id == HIVER)).first()
    if found is None:
        from web.structures.models import Facility

        mozart = session.scalars(select(Facility).where(Facility.name == "Centre de loisirs Mozart")).first()
        found = Activity(
            external_id=HIVER,
            name="Centre de loisirs des vacances d'hiver",
            service="Enfance",
            kind=ActivityKind.CENTRE_DE_LOISIRS,
            place="2 place Mozart",
            facility_id=mozart.id if mozart else None,
        )
        session.add(found)
        session.flush()
    return found


def _sessions(
    session: Session, activity_id: int, specs: list[tuple[str, date, date, str, int]]
) -> list[ActivitySession]:
    made = [
        ActivitySession(
            activity_id=activity_id,
            label=label,
            starts_on=start,
            ends_on=end,
            weekdays=days,
            places=places,
            allocated=0,
            tickets=0,
            closed=False,
        )
        for label, start, end, days, places in specs
    ]
    session.add_all(made)
    session.flush()
    return made


def _book(
    session: Session, child: Child, s: ActivitySession, ref: str, at: datetime, cents: int
) -> ActivityBooking:
    booking = ActivityBooking(
        session_id=s.id,
        activity_id=s.activity_id,
        child_id=child.id,
        family_record_id=child.family_record_id,
        request_ref=ref,
        status=BookingStatus.DRAW,
        child_slot=child.id,
        price_cents=cents,
        price_detail="démo",
        received_at=at,
    )
    session.add(booking)
    session.flush()
    return booking


def load_activities_demo(session: Session) -> None:
    from web.accounts.services import find_by_login

    family = find_by_login(session, "famille")
    kids = {c.external_id: c for c in session.scalars(select(Child).where(Child.external_id.is_not(None)))}
    record = session.scalars(select(FamilyRecord).where(FamilyRecord.external_id == "F-0001")).first()
    if family is None or record is None or "E-0001" not in kids:
        return
    if session.get(FamilyQuotient, record.id) is None:
        session.add(FamilyQuotient(family_record_id=record.id, quotient=850, resident=True))
    hiver = _activity(session)
    if session.get(ActivityOffer, hiver.id) is not None:
        resync_enrolments(session)  # the famille demo's import has just replaced the enrolments
        return
    today = utcnow().astimezone(PARIS).date()
    opened = _at(today - timedelta(days=1), 8, 30)
    session.add(
        ActivityOffer(
            activity_id=hiver.id,
            description="Accueil de loisirs à la journée pendant les vacances d'hiver, "
            "de 8 h 30 à 17 h 30, repas compris. Les demandes des 30 premières minutes sont tirées au sort.",
            min_age=3,
            max_age=11,
            price_rule=PriceRule.QUOTIENT,
            price_cents=0,
            quotient_bands="600:450;1200:900;:1400",
            opens_at=opened,
            closes_at=_at(WINTER - timedelta(days=14), 18),
            fair_minutes=30,
            draw_criteria="fratrie:1;residence:1;quotient:1",
            cancel_days=7,
            documents="Fiche sanitaire de liaison\nAttestation d'assurance extrascolaire",
        )
    )
    weeks = _sessions(
        session,
        hiver.id,
        [
            ("Semaine 1 (15–19 février)", WINTER, WINTER + timedelta(days=4), "0,1,2,3,4", 24),
            (
                "Semaine 2 (22–26 février)",
                WINTER + timedelta(days=7),
                WINTER + timedelta(days=11),
                "0,1,2,3,4",
                1,
            ),
        ],
    )
    lea, nina = kids["E-0001"], kids.get("E-0003")
    for child, minute, ref in ((lea, 2, "INS-DEMO-0001"), (nina, 7, "INS-DEMO-0002")):
        if child is None:
            continue
        for week in weeks:
            b = _book(session, child, week, ref, opened + timedelta(minutes=minute), 4500)
            b.user_id = family.id if child is lea else None
            journal(session, b, "Demande reçue pendant l'ouverture équitable.")
    run_draw(session, session.get(ActivityOffer, hiver.id), seed="demo-hiver-2027")  # type: ignore[arg-type]
    _conservatoire_and_sport(session, family, kids, today)


def _conservatoire_and_sport(session: Session, family: object, kids: dict[str, Child], today: date) -> None:
    activities = {a.external_id: a for a in session.scalars(select(Activity))}
    eveil, natation = activities.get("CONS-EVEIL"), activities.get("SPORT-NAT")
    year = date(2027, 1, 6)
    if eveil is not None and session.get(ActivityOffer, eveil.id) is None:
        session.add(
            ActivityOffer(
                activity_id=eveil.id,
                description="Éveil musical le mercredi, de janvier à juin.",
                min_age=4,
                max_age=6,
                price_rule=PriceRule.FLAT,
                price_cents=9500,
                opens_at=_at(today - timedelta(days=10), 9),
                closes_at=_at(year - timedelta(days=2), 18),
                validation_required=True,
                cancel_days=3,
                documents="Justificatif de domicile de moins de trois mois",
            )
        )
        sessions = _sessions(
            session,
            eveil.id,
            [
                ("Mercredi 10 h – 11 h (janvier – juin)", year, date(2027, 6, 30), "2", 12),
                ("Mercredi 14 h – 15 h (janvier – juin)", year, date(2027, 6, 30), "2", 12),
            ],
        )
        hugo = kids.get("E-0002")
        if hugo is not None:
            b = _book(session, hugo, sessions[0], "INS-DEMO-0003", utcnow() - timedelta(days=2), 9500)
            b.user_id = getattr(family, "id", None)
            allocate(session, b)
            instance = api.start(
                session,
                "inscription_activite",
                family,
                {  # type: ignore[arg-type]
                    "demande": "INS-DEMO-0003",
                    "activite": eveil.name,
                    "enfant": hugo.full_name,
                    "resume": f"{hugo.full_name} — {sessions[0].label} : place attribuée.",
                    "validation_requise": "oui",
                    "service": eveil.service,
                },
            )
            b.instance_id = instance.id
            _demo_document(session, instance.id, family)
    _swimming(session, natation, today)
    session.flush()
    _swimming_booked(session, family, kids.get("E-0001"))


def _swimming(session: Session, natation: Activity | None, today: date) -> None:
    if natation is not None and session.get(ActivityOffer, natation.id) is None:
        session.add(
            ActivityOffer(
                activity_id=natation.id,
                description="Apprentissage de la nage, le samedi matin.",
                min_age=6,
                max_age=12,
                price_rule=PriceRule.QUOTIENT,
                price_cents=0,
                quotient_bands="600:300;1200:550;:800",
                opens_at=_at(today - timedelta(days=3), 9),
                closes_at=_at(date(2027, 1, 20), 18),
                cancel_days=7,
                draw_criteria=None,
            )
        )
        _sessions(
            session,
            natation.id,
            [
                ("Samedi 9 h (janvier – mars)", date(2027, 1, 9), date(2027, 3, 27), "5", 15),
                ("Samedi 10 h (avril – juin)", date(2027, 4, 3), date(2027, 6, 26), "5", 15),
            ],
        )


def _demo_document(session: Session, instance_id: int, family: object) -> None:
    """The justificatif de domicile given with Hugo's request (seen by the agent who validates it)."""
    import io

    from PIL import Image, ImageDraw

    page = Image.new("RGB", (595, 842), "white")
    draw = ImageDraw.Draw(page)
    for n, line in enumerate(["EDF — Facture d'électricité", "Camille MARTIN", "3 rue des Lilas",
                              "78140 Vélizy-Villacoublay", "Période : octobre 2026"]):  # fmt: skip
        draw.text((60, 80 + 30 * n), line, fill=(20, 40, 90))
    out = io.BytesIO()
    page.save(out, format="PDF")
    api.add_document(
        session,
        instance_id,
        step="Demande d'inscription",
        field="piece_1",
        actor=family,  # type: ignore[arg-type]
        role=api.lane_label(api.REQUESTER_LANE),
        filename="justificatif-domicile.pdf",
        mime="application/pdf",
        content=out.getvalue(),
        label="Justificatif de domicile de moins de trois mois",
    )


def _swimming_booked(session: Session, family: object, lea: Child | None) -> None:
    """Léa booked at the swimming school through the portal's path: place given, démarche run, its
    invoice in « Mes factures », Léa enrolled in « Ma famille »."""
    from .booking import demarche_data, request_booking

    offer = session.scalars(
        select(ActivityOffer)
        .join(Activity, Activity.id == ActivityOffer.activity_id)
        .where(Activity.external_id == "SPORT-NAT")
    ).first()
    if offer is None or lea is None or family is None:
        return
    session.expire(offer)
    result = request_booking(session, family, offer, lea.id, [offer.sessions[0].id], documents_ok=True)
    instance = api.start(session, "inscription_activite", family, demarche_data(offer, result))  # type: ignore[arg-type]
    for booking in session.scalars(select(ActivityBooking).where(ActivityBooking.request_ref == result.ref)):
        booking.instance_id = instance.id
    session.flush()
