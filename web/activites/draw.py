"""The fair window's draw, run by the scheduled job `activites_tirages` (web/scheduler.py) at the end of
each window. Idempotent: `activity_draw.activity_id` is unique, so a second run (another worker, a
retry) finds the draw done and only sweeps requests that arrived while it ran (first come first served).

Entries are requests (one child, the sessions it asked for) received during the window; the weight of
an entry is 1 + the weights of the activity's published criteria it meets (web/activites/rules.py).
"""

from __future__ import annotations

import json
import logging
import secrets
from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.db import utcnow
from web.core.audit import Event, audit

from . import rules
from .allocation import allocate
from .billing import invoice_late_place
from .booking import window_end
from .models import ActivityBooking, ActivityDraw, ActivityOffer, BookingStatus, FamilyQuotient

log = logging.getLogger(__name__)


def _weight(
    session: Session, first: ActivityBooking, criteria: dict[str, int], askers: dict[int, int]
) -> int:
    weight = 1
    quotient = session.get(FamilyQuotient, first.family_record_id)
    if criteria.get("fratrie") and askers[first.family_record_id] > 1:
        weight += criteria["fratrie"]
    if criteria.get("residence") and quotient is not None and quotient.resident:
        weight += criteria["residence"]
    if criteria.get("quotient") and quotient is not None and quotient.quotient <= rules.LOW_QUOTIENT:
        weight += criteria["quotient"]
    return weight


def pending(session: Session, activity_id: int) -> list[ActivityBooking]:
    return list(
        session.scalars(
            select(ActivityBooking)
            .where(ActivityBooking.activity_id == activity_id, ActivityBooking.status == BookingStatus.DRAW)
            .order_by(ActivityBooking.received_at, ActivityBooking.id)
        )
    )


def run_draw(session: Session, offer: ActivityOffer, seed: str | None = None) -> ActivityDraw | None:
    """Draw the window's requests of `offer` and allocate; None if another run did it first."""
    end = window_end(offer)
    if end is None:
        raise ValueError("no fair window")
    bookings = pending(session, offer.activity_id)
    requests: dict[str, list[ActivityBooking]] = defaultdict(list)
    for b in bookings:
        if b.received_at < end:
            requests[b.request_ref].append(b)
    children_per_family: dict[int, set[int]] = defaultdict(set)
    for group in requests.values():
        children_per_family[group[0].family_record_id].add(group[0].child_id)
    askers = {record: len(kids) for record, kids in children_per_family.items()}
    criteria = rules.parse_criteria(offer.draw_criteria)
    entries = [rules.DrawEntry(ref, _weight(session, g[0], criteria, askers)) for ref, g in requests.items()]
    draw = ActivityDraw(
        activity_id=offer.activity_id, seed=seed or secrets.token_hex(16), rule=rules.DRAW_RULE
    )
    try:
        with session.begin_nested():
            session.add(draw)
            session.flush()
    except IntegrityError:
        return None
    order = rules.draw_order(draw.seed, entries)
    draw.result = json.dumps(
        [{"demande": d.ref, "poids": d.weight, "cle": d.key, "rang": d.rank} for d in order],
        ensure_ascii=False,
    )
    for d in order:
        for booking in sorted(requests[d.ref], key=lambda b: b.session.starts_on):
            allocate(session, booking, how="tirage", draw_rank=d.rank)
            invoice_late_place(session, booking)
    draw.ran_at = utcnow()
    session.flush()
    audit(
        Event.ACTIVITY_DRAW,
        target=f"activité {offer.activity.name}"[:200],
        details={"tirage": draw.id, "demandes": len(entries), "graine": draw.seed, "regle": draw.rule},
        session=session,
    )
    return draw


def sweep(session: Session, activity_id: int) -> int:
    """Requests received after the window (or while the draw ran): first come first served."""
    late = pending(session, activity_id)
    for booking in late:
        allocate(session, booking, how="apres_tirage")
        invoice_late_place(session, booking)
    return len(late)


def due_draws(session: Session, now: datetime | None = None) -> list[ActivityDraw]:
    """Run every draw whose window has ended; sweep late requests of drawn activities. Flushes only."""
    now = now or utcnow()
    done = []
    for offer in session.scalars(select(ActivityOffer).where(ActivityOffer.fair_minutes > 0)):
        end = window_end(offer)
        if end is None or now < end:
            continue
        if (
            session.scalar(select(ActivityDraw.id).where(ActivityDraw.activity_id == offer.activity_id))
            is None
        ):
            draw = run_draw(session, offer)
            if draw is not None:
                done.append(draw)
                from .notices import tell_draw_outcome

                tell_draw_outcome(session, offer)
        sweep(session, offer.activity_id)
    return done
