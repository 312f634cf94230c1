"""Invoices of a family record and their online payment (issue 13).

Amounts are integer cents everywhere (never floats). « En retard » is not stored: it is an unpaid
invoice whose due date has passed (`Invoice.shown_status`), so no job has to flip it; the daily job only
tells the family once (`reminded_at`).

Exactly once, by the database: an invoice is settled by one payment at most (`invoice_settlement`
has the invoice as primary key); a payment is decided once (a conditional UPDATE from « en attente »,
web/factures/payments.py); a bank transaction id belongs to one payment (unique).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import Base, UTCDateTime, utcnow
from web.famille.models import FamilyRecord


class InvoiceStatus(enum.StrEnum):
    A_PAYER = "à payer"
    PAYEE = "payée"
    ANNULEE = "annulée"


LATE = "en retard"  # shown, never stored


class InvoiceSource(enum.StrEnum):
    AGENT = "agent"
    IMPORT = "import"
    DEMARCHE = "démarche"


class Invoice(Base):
    __tablename__ = "invoice"
    __table_args__ = (
        CheckConstraint("total_cents >= 0", name="total_not_negative"),
        CheckConstraint("due_on >= issued_on", name="due_after_issue"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    family_record_id: Mapped[int] = mapped_column(
        ForeignKey("family_record.id", ondelete="RESTRICT"), index=True
    )
    period_label: Mapped[str] = mapped_column(String(100))  # « Novembre 2026 »
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    issued_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    total_cents: Mapped[int] = mapped_column(Integer)
    status: Mapped[InvoiceStatus] = mapped_column(String(20), default=InvoiceStatus.A_PAYER, index=True)
    source: Mapped[InvoiceSource] = mapped_column(String(20), default=InvoiceSource.AGENT)
    # The management software's invoice id (CSV import key), or the démarche's reference.
    external_id: Mapped[str | None] = mapped_column(String(60), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    # When the family was told the invoice became late (web/factures/daily.py): once per invoice.
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    record: Mapped[FamilyRecord] = relationship(lazy="joined")
    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice", cascade="all, delete-orphan", order_by="InvoiceLine.position"
    )
    events: Mapped[list[InvoiceEvent]] = relationship(
        back_populates="invoice", cascade="all, delete-orphan", order_by="InvoiceEvent.id"
    )

    def __repr__(self) -> str:
        return f"<Invoice {self.number} {self.status} {self.total_cents}>"

    def shown_status(self, today: date) -> str:
        if self.status == InvoiceStatus.A_PAYER and self.due_on < today:
            return LATE
        return str(self.status)

    @property
    def payable(self) -> bool:
        return self.status == InvoiceStatus.A_PAYER and self.total_cents > 0


class InvoiceLine(Base):
    __tablename__ = "invoice_line"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price_cents >= 0", name="unit_price_not_negative"),
        CheckConstraint("amount_cents = quantity * unit_price_cents", name="amount_is_quantity_times_price"),
        UniqueConstraint("invoice_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    child_id: Mapped[int | None] = mapped_column(ForeignKey("child.id", ondelete="SET NULL"))
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activity.id", ondelete="SET NULL"))
    # What the invoice says, kept as issued even if the child or the activity is renamed later.
    child_name: Mapped[str] = mapped_column(String(300))
    label: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_cents: Mapped[int] = mapped_column(Integer)
    amount_cents: Mapped[int] = mapped_column(Integer)

    invoice: Mapped[Invoice] = relationship(back_populates="lines")


class InvoiceEvent(Base):
    """The invoice's timeline: issued, payment started, paid, cancelled (with the reason), flagged."""

    __tablename__ = "invoice_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    text: Mapped[str] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(200))

    invoice: Mapped[Invoice] = relationship(back_populates="events")


class PaymentStatus(enum.StrEnum):
    EN_ATTENTE = "en attente"
    PAYE = "payé"
    REFUSE = "refusé"
    ANNULE = "annulé"


class Payment(Base):
    """One online payment attempt of one or several invoices, created on the server before the bank."""

    __tablename__ = "payment"
    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        UniqueConstraint("backend", "bank_transaction_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)  # ours: « P20261207A1B2C3D4E5F6 »
    family_record_id: Mapped[int] = mapped_column(
        ForeignKey("family_record.id", ondelete="RESTRICT"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    email: Mapped[str | None] = mapped_column(String(320))
    backend: Mapped[str] = mapped_column(String(30))
    bank_transaction_id: Mapped[str | None] = mapped_column(String(100))
    amount_cents: Mapped[int] = mapped_column(Integer)
    # HMAC of (reference, amount, family, invoices): checked again before anything is applied.
    signature: Mapped[str] = mapped_column(String(64))
    status: Mapped[PaymentStatus] = mapped_column(String(20), default=PaymentStatus.EN_ATTENTE, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    bank_status: Mapped[str | None] = mapped_column(String(200))
    # An agent must look at it: money received for an invoice already paid (two tabs), a backend whose
    # callbacks are not authenticated (TIPI), a later callback contradicting the decision...
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    review_reason: Mapped[str | None] = mapped_column(Text)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by: Mapped[str | None] = mapped_column(String(200))
    review_note: Mapped[str | None] = mapped_column(Text)

    record: Mapped[FamilyRecord] = relationship(lazy="joined")
    items: Mapped[list[PaymentItem]] = relationship(
        back_populates="payment", cascade="all, delete-orphan", lazy="selectin"
    )
    callbacks: Mapped[list[BankCallback]] = relationship(
        back_populates="payment", order_by="BankCallback.id", viewonly=True
    )

    def __repr__(self) -> str:
        return f"<Payment {self.reference} {self.status} {self.amount_cents}>"

    def flag(self, reason: str) -> None:
        self.needs_review = True
        self.reviewed_at = None
        self.review_reason = f"{self.review_reason}\n{reason}" if self.review_reason else reason


class PaymentItem(Base):
    """An invoice paid by a payment attempt, with the amount asked for it."""

    __tablename__ = "payment_item"

    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id", ondelete="CASCADE"), primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id", ondelete="RESTRICT"), primary_key=True)
    amount_cents: Mapped[int] = mapped_column(Integer)

    payment: Mapped[Payment] = relationship(back_populates="items")
    invoice: Mapped[Invoice] = relationship(lazy="joined")


class InvoiceSettlement(Base):
    """The payment that settled an invoice: one row per invoice at most (the primary key), so that two
    payments racing for one invoice cannot both settle it, whatever the application does."""

    __tablename__ = "invoice_settlement"

    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id", ondelete="RESTRICT"), primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id", ondelete="RESTRICT"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BankCallback(Base):
    """Every return or notification from the bank, stored raw with the backend's verdict before anything
    is done with it, and what Guichet did (`outcome`)."""

    __tablename__ = "bank_callback"

    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    via: Mapped[str] = mapped_column(String(20))  # « retour », « notification »
    method: Mapped[str] = mapped_column(String(10))
    backend: Mapped[str] = mapped_column(String(30))
    raw: Mapped[str] = mapped_column(Text)
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    result: Mapped[str | None] = mapped_column(String(30))  # the backend's verdict: payé, refusé...
    signed: Mapped[bool | None] = mapped_column(Boolean)
    transaction_id: Mapped[str | None] = mapped_column(String(100))
    bank_status: Mapped[str | None] = mapped_column(String(200))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id", ondelete="SET NULL"), index=True)
    outcome: Mapped[str | None] = mapped_column(Text)
    accepted: Mapped[bool] = mapped_column(Boolean, default=False)

    payment: Mapped[Payment | None] = relationship(back_populates="callbacks")
