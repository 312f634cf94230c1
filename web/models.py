"""Import every web area's models so that the shared metadata is complete (Alembic, tests)."""

import engine.api  # noqa: F401  (registers the engine's tables, the documents' included)
from web.accounts.models import (
    AccountToken,
    AgentGroup,
    CaptchaChallenge,
    LoginAttempt,
    ServiceKey,
    User,
    user_family,
    user_group,
)
from web.activites.models import (
    ActivityBooking,
    ActivityDraw,
    ActivityOffer,
    ActivitySession,
    BookingEvent,
    FamilyQuotient,
)
from web.actualites.models import NewsItem
from web.admin.models import AgentAbsence
from web.backoffice.models import SavedFilter
from web.coffre.models import StoredBlob, StoredDocument
from web.core.audit import AuditEvent
from web.donnees.models import DataExport, DraftWarning
from web.factures.models import (
    BankCallback,
    Invoice,
    InvoiceEvent,
    InvoiceLine,
    InvoiceSettlement,
    Payment,
    PaymentItem,
)
from web.famille.models import Activity, Child, ChildService, Enrolment, FamilyMember, FamilyRecord
from web.notifications.models import Notification
from web.structures.models import Closure, Facility, OpeningRange
from web.studio.models import StudioAudit, StudioDraft

__all__ = [
    "AccountToken",
    "Activity",
    "ActivityBooking",
    "ActivityDraw",
    "ActivityOffer",
    "ActivitySession",
    "AgentAbsence",
    "AgentGroup",
    "AuditEvent",
    "BankCallback",
    "BookingEvent",
    "CaptchaChallenge",
    "Child",
    "ChildService",
    "Closure",
    "DataExport",
    "DraftWarning",
    "Enrolment",
    "Facility",
    "FamilyMember",
    "FamilyQuotient",
    "FamilyRecord",
    "Invoice",
    "InvoiceEvent",
    "InvoiceLine",
    "InvoiceSettlement",
    "LoginAttempt",
    "NewsItem",
    "Notification",
    "OpeningRange",
    "Payment",
    "PaymentItem",
    "SavedFilter",
    "ServiceKey",
    "StoredBlob",
    "StoredDocument",
    "StudioAudit",
    "StudioDraft",
    "User",
    "user_family",
    "user_group",
]
