"""The finance service's daily reconciliation report: what the bank says happened on one day (Paris
time), to compare with the bank's or the treasury's statement of that day."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from web.core.presentation import PARIS

from .models import BankCallback, Payment, PaymentStatus


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), PARIS)
    return start, datetime.combine(day + timedelta(days=1), time(0), PARIS)


@dataclass
class DailyReport:
    day: date
    paid: list[Payment] = field(default_factory=list)
    refused: list[Payment] = field(default_factory=list)
    pending: list[Payment] = field(default_factory=list)
    to_review: list[Payment] = field(default_factory=list)
    rejected_answers: list[BankCallback] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.paid or self.refused or self.pending or self.to_review or self.rejected_answers)

    @property
    def paid_cents(self) -> int:
        return sum(p.amount_cents for p in self.paid)

    def by_backend(self) -> list[tuple[str, int, int]]:
        totals: dict[str, tuple[int, int]] = {}
        for payment in self.paid:
            count, cents = totals.get(payment.backend, (0, 0))
            totals[payment.backend] = (count + 1, cents + payment.amount_cents)
        return [(backend, count, cents) for backend, (count, cents) in sorted(totals.items())]


def daily_report(session: Session, day: date) -> DailyReport:
    start, end = day_bounds(day)
    report = DailyReport(day)
    decided = session.scalars(
        select(Payment)
        .where(Payment.decided_at >= start, Payment.decided_at < end)
        .order_by(Payment.decided_at, Payment.id)
    )
    for payment in decided:
        if payment.status == PaymentStatus.PAYE:
            report.paid.append(payment)
        else:
            report.refused.append(payment)
    report.pending = list(
        session.scalars(
            select(Payment)
            .where(Payment.status == PaymentStatus.EN_ATTENTE, Payment.created_at < end)
            .order_by(Payment.created_at)
        )
    )
    report.to_review = list(
        session.scalars(
            select(Payment)
            .where(Payment.needs_review.is_(True), Payment.reviewed_at.is_(None))
            .order_by(Payment.created_at)
        )
    )
    report.rejected_answers = list(
        session.scalars(
            select(BankCallback)
            .where(
                BankCallback.received_at >= start,
                BankCallback.received_at < end,
                BankCallback.accepted.is_(False),
            )
            .order_by(BankCallback.id)
        )
    )
    return report
