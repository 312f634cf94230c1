"""The invoices' daily job, at INVOICE_DAILY_HOUR (Paris time): in-process scheduler, `guichet worker`,
Celery beat (`guichet.factures_daily`) or `guichet factures quotidien`. Both parts only flush; the job
commits once. Both can run any number of times a day, on any number of workers:

1. The reconciliation report of the day before (Paris time), mailed through the outbox to each enabled
   agent of FINANCES_GROUP: totals per backend, refused or cancelled payments, payments waiting, payments
   to check, bank answers rejected, with the links to the day's page and its CSV (behind the agent's
   login: no payment data travels as an attachment). The Message-ID names the agent and the day, and
   Message-IDs are unique in the outbox: a second run the same day sends nothing. A day with nothing to
   report sends nothing.
2. The reminders: each invoice « à payer » whose due date has passed is claimed once by a conditional
   UPDATE of `reminded_at` (two workers cannot both claim it), gets a line on its timeline, and one mail
   goes to each enabled account of its family record. « En retard » itself is computed, not stored.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, lazyload

from engine.api import message_queued
from engine.db import utcnow
from web.accounts.models import Role, User, user_family
from web.core.mail import queue_mail
from web.core.presentation import PARIS

from .models import Invoice, InvoiceStatus
from .money import euros, lazy_euros
from .report import DailyReport, daily_report
from .services import add_event

log = logging.getLogger(__name__)
REMINDER_ACTOR = "relance automatique"


def _domain() -> str:
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    return sender.rsplit("@", 1)[-1].rstrip(">") or "guichet.localhost"


def report_message_id(agent_id: int, report: DailyReport, domain: str) -> str:
    return f"<rapprochement-{agent_id}-{report.day.isoformat()}@{domain}>"


def finance_agents(session: Session) -> list[User]:
    group = current_app.config["FINANCES_GROUP"]
    agents = session.scalars(
        select(User)
        .options(lazyload(User.family_records))
        .where(User.is_enabled.is_(True), User.role != Role.FAMILLE)
        .order_by(User.id)
    )
    return [agent for agent in agents if group in agent.groups]


def send_reconciliation(session: Session, now: datetime | None = None) -> int:
    """Queue the report of the day before `now` (Paris) to each finance agent who has not had it yet."""
    now = now or utcnow()
    report = daily_report(session, now.astimezone(PARIS).date() - timedelta(days=1))
    if report.is_empty:
        log.info("Reconciliation report of %s: nothing to report, no mail", report.day)
        return 0
    domain = _domain()
    queued = 0
    for agent in finance_agents(session):
        ident = report_message_id(agent.id, report, domain)
        if message_queued(session, ident):
            continue
        try:
            with session.begin_nested():
                queue_mail(
                    session,
                    "rapprochement_quotidien",
                    agent.email,
                    message_id=ident,
                    agent=agent,
                    report=report,
                    euros=euros,
                )
                session.flush()
        except IntegrityError:  # another worker queued it a moment ago
            continue
        queued += 1
    log.info("Reconciliation report of %s: %s mail(s) queued", report.day, queued)
    return queued


def send_late_reminders(session: Session, now: datetime | None = None) -> int:
    """Tell the family, once per invoice, that an invoice became late; returns the invoices reminded."""
    now = now or utcnow()
    today = now.astimezone(PARIS).date()
    late = session.scalars(
        select(Invoice.id)
        .where(
            Invoice.status == InvoiceStatus.A_PAYER,
            Invoice.due_on < today,
            Invoice.reminded_at.is_(None),
            Invoice.total_cents > 0,
        )
        .order_by(Invoice.id)
    ).all()
    reminded = 0
    for invoice_id in late:
        claimed = session.execute(
            update(Invoice)
            .where(
                Invoice.id == invoice_id,
                Invoice.reminded_at.is_(None),
                Invoice.status == InvoiceStatus.A_PAYER,
            )
            .values(reminded_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed:
            _remind(session, session.get(Invoice, invoice_id), now)
            reminded += 1
    session.flush()
    log.info("Late invoices: %s reminder(s)", reminded)
    return reminded


def _remind(session: Session, invoice: Invoice | None, now: datetime) -> None:
    if invoice is None:
        return
    session.refresh(invoice)
    domain = _domain()
    accounts = session.scalars(
        select(User)
        .options(lazyload(User.family_records))
        .join(user_family, user_family.c.user_id == User.id)
        .where(user_family.c.family_record_id == invoice.family_record_id, User.is_enabled.is_(True))
        .order_by(User.id)
    ).all()
    sent = 0
    for account in accounts:
        ident = f"<facture-retard-{invoice.id}-{account.id}@{domain}>"
        if message_queued(session, ident):
            continue
        queue_mail(
            session,
            "facture_en_retard",
            account.email,
            message_id=ident,
            user=account,
            invoice=invoice,
            amount=lazy_euros(invoice.total_cents),
        )
        sent += 1
    who = f"{sent} courriel(s) à la famille" if sent else "aucun compte en ligne à prévenir"
    add_event(
        invoice,
        f"Facture en retard (échéance du {invoice.due_on:%d/%m/%Y}) : relance, {who}.",
        REMINDER_ACTOR,
    )


def run_daily(app: Flask) -> tuple[int, int]:
    """The scheduled job: (report mails queued, invoices reminded), committed once."""
    from web.core.transaction import separate_unit_of_work

    with app.app_context(), separate_unit_of_work() as session:
        now = utcnow()
        return send_reconciliation(session, now), send_late_reminders(session, now)
